"""The matcher at scale (issue 24): projects × priorities in one Oxigraph store, timed beside the
floor — reading the same facts out of the store with the matcher's own queries and nothing else.

Synthetic but shaped like real data: each project has one to three partners in NUTS 2 regions
(drawn from data/reference/nuts-2021.csv), one or two 2021-2027 specific objectives, sometimes a
NACE sector, and an English title of 6 to 12 words; each priority a region of a strategy, one to
three objectives or sectors and a name of 3 to 8 words. The words are those of the NACE Rev. 2
labels (data/reference/nace-rev2.csv), so that titles and names share a vocabulary as real ones do.

    python bench/matching_bench.py [--projects 100000] [--priorities 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import time
from pathlib import Path

import pyoxigraph as ox

from loaders.core.iris import IriMinter
from loaders.core.queries import select_values
from loaders.link import matching

PROJECT = Path(__file__).resolve().parent.parent
S3 = "https://w3id.org/s3kg/ontology#"
NUTS = "http://data.europa.eu/nuts/code/"
OBJECTIVES = [
    f"https://example.org/objective/rso{p}.{s}" for p, n in ((1, 5), (2, 8), (3, 2), (4, 6), (5, 2)) for s in range(1, n + 1)
]
SECTORS = [f"http://data.europa.eu/ux2/nace2/{d:02d}" for d in range(10, 34)]


def _regions() -> list[str]:
    with (PROJECT / "data" / "reference" / "nuts-2021.csv").open(encoding="utf-8") as handle:
        return [r["code"] for r in csv.DictReader(handle) if r["level"] == "2"]


def _words() -> list[str]:
    with (PROJECT / "data" / "reference" / "nace-rev2.csv").open(encoding="utf-8") as handle:
        return sorted({w.lower() for r in csv.DictReader(handle) for w in r["label_en"].replace(",", " ").split() if len(w) > 3})


def generate(projects: int, priorities: int, seed: int) -> str:
    """N-Triples of the projects, their partners, codes and titles, and the strategies' priorities."""
    rng, regions, words, lines = random.Random(seed), _regions(), _words(), []

    def title(low: int, high: int) -> str:
        return '"' + " ".join(rng.sample(words, rng.randint(low, high))) + '"@en'

    def add(s: str, p: str, o: str) -> None:
        lines.append(f"<{s}> <{p}> {o} .")

    for n in range(projects):
        project = f"https://example.org/project/{n}"
        add(project, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{S3}Project>")
        for k in range(rng.randint(1, 3)):
            participation, organisation = f"{project}/p{k}", f"https://example.org/org/{rng.randrange(projects)}"
            add(project, S3 + "hasParticipation", f"<{participation}>")
            add(participation, S3 + "participant", f"<{organisation}>")
            add(organisation, S3 + "region", f"<{NUTS}{rng.choice(regions)}>")
        for objective in rng.sample(OBJECTIVES, rng.randint(1, 2)):
            add(project, S3 + "specificObjective", f"<{objective}>")
        if rng.random() < 0.3:
            add(project, S3 + "naceSector", f"<{rng.choice(SECTORS)}>")
        add(project, "http://purl.org/dc/terms/title", title(6, 12))
    for n in range(priorities):
        strategy, priority = f"https://example.org/strategy/{n // 8}", f"https://example.org/priority/{n}"
        add(strategy, S3 + "region", f"<{NUTS}{regions[(n // 8) % len(regions)]}>")
        add(priority, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{S3}S3Domain>")
        add(priority, S3 + "strategy", f"<{strategy}>")
        for code in rng.sample(OBJECTIVES + SECTORS, rng.randint(1, 3)):
            predicate = "naceSector" if code in SECTORS else "targetsObjective"
            add(priority, S3 + predicate, f"<{code}>")
        add(priority, "http://www.w3.org/2004/02/skos/core#prefLabel", title(3, 8))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--priorities", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    store = ox.Store()
    store.bulk_load(generate(args.projects, args.priorities, args.seed).encode(), format=ox.RdfFormat.N_TRIPLES)
    triples = len(store)
    started = time.perf_counter()
    for query in matching.QUERIES:  # the floor: the facts the matcher needs, read from the store
        for _ in select_values(store, query):
            pass
    floor = time.perf_counter() - started
    started = time.perf_counter()
    written = matching.match_ntriples(store, IriMinter("https://example.org/id/"))  # as the build writes them
    total = time.perf_counter() - started
    serves = f"<{matching.S3.servesPriority}>".encode()
    found = {rule: sum(1 for line in data.splitlines() if serves in line) for rule, data in written.items()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.projects:,} projects × {args.priorities:,} priorities ({triples:,} triples)")
    print(
        f"read the facts (floor): {floor:.2f} s; match (read + pair + write the links): {total:.2f} s; ratio {total / floor:.2f}×"
    )
    print(f"links by rule: {found}; peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
