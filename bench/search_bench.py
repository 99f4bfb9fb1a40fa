"""Search at Kohesio scale: the build's SQLite FTS5 index against the peer, the same search as
a SPARQL query on the same Oxigraph store (labels matched with CONTAINS after LCASE, which is
what /search did before the index, and what a SPARQL user has).

Writes N synthetic projects (titles of 4-8 words and a 20-word description, drawn with Zipf's law
from a vocabulary of 30,000 words: S3 words of five EU languages first, then made-up words with
their accents), loads them into an on-disk Oxigraph store, builds the
index with the build's own code (loaders.publish.search_index), then times queries of 1-3 words.

    python bench/search_bench.py --entities 1000000 --queries 200 --peer-queries 10
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from loaders.core.vocab import PREFIXES  # noqa: E402
from loaders.publish.search_index import SearchIndex, write_search_index  # noqa: E402

WORDS = (  # noqa: SIM905 (a sentence of words is easier to read than a list of them)
    "innovation smart specialisation textile health care agriculture food energy hydrogen circular economy "
    "materials chemistry photonics digital mobility tourism maritime logistics cluster university region "
    "innovatie slimme specialisatie gezondheid zorg landbouw voeding energie textiel materialen chemie "
    "spécialisation santé énergie économie matériaux numérique mobilité région université coopération "
    "innowacje inteligentna specjalizacja zdrowie żywność energia gospodarka materiały współpraca region "
    "smart specialisering hälsa livsmedel energi cirkulär ekonomi material samverkan län näringsliv"
).split()
S3 = PREFIXES["s3"]


def _literal(text: str, language: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + f'"@{language}'


SYLLABLES = (  # noqa: SIM905
    "ka lo mi ne ru sa to vi ze bra cle dro fri gla kro pla stri tro vla wen ąb ćo łu ńe śa źi żo ów är ön åk é è"
).split()
ZIPF_S = 1.07  # word frequencies in titles follow Zipf's law; the S3 words above are the most frequent


def vocabulary(size: int = 30_000, seed: int = 3) -> tuple[list[str], list[float]]:
    """The S3 words first, then made-up words of 2-4 syllables, with cumulative Zipf weights by rank
    (for random.choices(cum_weights=...), which then draws in log time)."""
    rng = random.Random(seed)
    words = list(WORDS)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words, list(itertools.accumulate(1 / (rank**ZIPF_S) for rank in range(1, size + 1)))


def write_data(path: Path, entities: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    languages = ["en", "fr", "nl", "pl", "sv"]
    words, weights = vocabulary()
    with path.open("w", encoding="utf-8") as out:
        for n in range(entities):
            iri = f"<https://w3id.org/s3kg/id/project/p-{n}>"
            title = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(4, 8)))
            description = " ".join(rng.choices(words, cum_weights=weights, k=20))
            language = rng.choice(languages)
            out.write(f"{iri} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{S3}Project> .\n")
            out.write(f"{iri} <http://www.w3.org/2000/01/rdf-schema#label> {_literal(title, language)} .\n")
            out.write(f'{iri} <{S3}acronym> "P{n}" .\n')
            out.write(f"{iri} <http://purl.org/dc/terms/description> {_literal(description, language)} .\n")


def queries(count: int, seed: int = 11) -> list[str]:
    """Queries of 1-3 words drawn with the titles' own word frequencies: common words are asked
    for often, as in real search logs (the most common ones match a tenth of all projects)."""
    rng = random.Random(seed)
    words, weights = vocabulary()
    return [" ".join(rng.choices(words, cum_weights=weights, k=rng.randint(1, 3))) for _ in range(count)]


def peer_query(text: str) -> str:
    """The SPARQL a reader without the index runs: every word in a label, case aside."""
    filters = " ".join(f'FILTER CONTAINS(LCASE(STR(?l)), "{word.casefold()}")' for word in text.split())
    return f"SELECT DISTINCT ?s WHERE {{ ?s rdfs:label ?l {filters} }} LIMIT 20"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--peer-queries", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        started = time.perf_counter()
        write_data(work / "data.nt", args.entities)
        store = ox.Store(str(work / "store"))
        store.bulk_load(path=str(work / "data.nt"), format=ox.RdfFormat.N_TRIPLES)
        store.optimize()
        print(f"data: {args.entities:,} projects, {len(store):,} triples, loaded in {time.perf_counter() - started:.1f} s")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        indexed = write_search_index(store, work / "search.sqlite")
        build_seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = (work / "search.sqlite").stat().st_size
        print(
            f"index: {indexed:,} entities in {build_seconds:.1f} s, {size / 1e6:,.0f} MB, "
            f"peak RSS {peak / 1024:,.0f} MiB (before {before / 1024:,.0f})"
        )
        texts = queries(args.queries)
        times, hits = [], []
        with SearchIndex(work / "search.sqlite") as index:
            for text in texts:
                started = time.perf_counter()
                found = index.search(text, ["en"], limit=20)
                times.append(time.perf_counter() - started)
                hits.append(found.total)
        peer_times = []
        for text in texts[: args.peer_queries]:
            started = time.perf_counter()
            solutions = store.query(peer_query(text), prefixes=PREFIXES)
            assert isinstance(solutions, ox.QuerySolutions)
            list(solutions)
            peer_times.append(time.perf_counter() - started)
        index_p50, index_p99 = statistics.median(times), percentile(times, 0.99)
        peer_p50, peer_p99 = statistics.median(peer_times), percentile(peer_times, 0.99)
        print(
            f"FTS5 index, {len(texts)} queries (ranked, with type facets and the total): "
            f"p50 {index_p50 * 1e3:.1f} ms, p99 {index_p99 * 1e3:.1f} ms; median total {statistics.median(hits):,.0f} hits"
        )
        print(
            f"SPARQL CONTAINS on Oxigraph, {len(peer_times)} queries (first 20 matches, unranked): "
            f"p50 {peer_p50 * 1e3:.1f} ms, p99 {peer_p99 * 1e3:.1f} ms"
        )
        print(f"ratio (peer / index): p50 {peer_p50 / index_p50:.1f}x, p99 {peer_p99 / index_p99:.1f}x")


if __name__ == "__main__":
    main()
