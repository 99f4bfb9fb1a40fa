"""The default graph's dumps (N-Triples gzipped, Turtle, JSON-LD) written whole, in one process and
in one per core, beside the floor: Oxigraph writing the graph's N-Triples in one call.

A synthetic graph of `--triples` triples shaped like the projects' (a label with a language,
a budget as a decimal, a date, links to a programme and partners), in an on-disk store; each
write in this process, one after the other, one run each.

    python bench/dumps_bench.py --triples 2000000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import pyoxigraph as ox  # noqa: E402

from loaders.core.cores import usable_cores  # noqa: E402
from loaders.publish.triple_dumps import write_triple_dumps  # noqa: E402

S3 = "https://w3id.org/s3kg/ontology#"
ID = "https://w3id.org/s3kg/id/"


def synthetic(store: ox.Store, triples: int) -> int:
    """About `triples` triples, eight per project; returns how many."""
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    date = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
    quads = []
    for i in range(triples // 8):
        p = ox.NamedNode(f"{ID}project/p-{i}")
        g = ox.DefaultGraph()
        quads += [
            ox.Quad(p, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(f"{S3}Project"), g),
            ox.Quad(
                p, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal(f"Project {i} — «ä»", language="en"), g
            ),
            ox.Quad(p, ox.NamedNode(f"{S3}acronym"), ox.Literal(f"P{i}"), g),
            ox.Quad(p, ox.NamedNode(f"{S3}budget"), ox.Literal(f"{i * 17 % 999983}.50", datatype=decimal), g),
            ox.Quad(
                p, ox.NamedNode("https://schema.org/startDate"), ox.Literal(f"20{10 + i % 15}-0{1 + i % 9}-01", datatype=date), g
            ),
            ox.Quad(p, ox.NamedNode(f"{S3}programme"), ox.NamedNode(f"{ID}programme/g-{i % 400}"), g),
            ox.Quad(p, ox.NamedNode(f"{S3}partner"), ox.NamedNode(f"{ID}organisation/o-{i % 90000}"), g),
            ox.Quad(p, ox.NamedNode(f"{S3}partner"), ox.NamedNode(f"{ID}organisation/o-{(i * 7) % 90000}"), g),
        ]
        if len(quads) >= 400_000:
            store.bulk_extend(quads)
            quads = []
    store.bulk_extend(quads)
    return len(store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=int, default=2_000_000)
    args = parser.parse_args()
    cores = usable_cores()
    with tempfile.TemporaryDirectory() as scratch:
        store = ox.Store(Path(scratch) / "store")
        size = synthetic(store, args.triples)
        timed: dict[str, float] = {}
        started = time.monotonic()
        store.dump(Path(scratch) / "floor.nt", ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        timed["floor: Oxigraph's N-Triples, one call"] = time.monotonic() - started
        for processes in dict.fromkeys((1, cores)):
            out = Path(scratch) / f"dumps-{processes}"
            out.mkdir()
            started = time.monotonic()
            write_triple_dumps(store, out, size, processes=processes)
            timed[f"three dumps, {processes} process(es)"] = time.monotonic() - started
    floor = timed["floor: Oxigraph's N-Triples, one call"]
    print(f"{size:,} triples, {cores} cores\n\n| write | seconds | ÷ floor |\n|---|---|---|")
    for name, seconds in timed.items():
        print(f"| {name} | {seconds:.1f} | {seconds / floor:.1f}× |")


if __name__ == "__main__":
    main()
