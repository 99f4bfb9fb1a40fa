"""Each triple stored twice (its source's named graph and the merged default graph) against the
store answering the union of the source graphs at query time (issue 26: "no triple written twice
where the store can answer the union; measure the query-side cost of the choice").

From a published store's current build, its source graphs (those merged into the default graph)
are dumped as N-Quads, then loaded into two fresh on-disk stores, each by a fresh process that
reports its time and peak memory:
- `written twice`: the named graphs, then the default graph, as a build writes them;
- `union`: the named graphs only; a query's default graph is the union of the source graphs
  (pyoxigraph's `default_graph=[...]`, as a remote engine's `default-graph-uri`s would be).
Then queries the site and the endpoint issue are asked of both stores in one process, in turn,
each `--times` times: the median of each, and whether the two answers are the same multiset.

    python bench/union_bench.py --store bench/out/incremental/store
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from loaders.publish.store import PublishedStore  # noqa: E402

PREFIX = "PREFIX s3: <https://w3id.org/s3kg/ontology#>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"


def child_load(quads: Path, target: Path, twice: bool) -> None:
    """Load the N-Quads into a new store (and, `twice`, the merged default graph beside them)."""
    started = time.monotonic()
    store = ox.Store(str(target))
    store.bulk_load(path=str(quads), format=ox.RdfFormat.N_QUADS)
    if twice:
        store.bulk_load(path=str(quads.with_name("default.nt")), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    store.optimize()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"seconds": round(time.monotonic() - started, 1), "peak": peak}))


def _load(quads: Path, target: Path, twice: bool) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", str(quads), str(target), "twice" if twice else "once"]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _first(store: ox.Store, query: str) -> str:
    rows = store.query(PREFIX + query)
    assert isinstance(rows, ox.QuerySolutions)
    return str(next(iter(rows))[0].value)


def queries(store: ox.Store) -> dict[str, list[str]]:
    """Kind → the queries asked (a kind with several subjects asks each once per round)."""
    projects = [str(row[0].value) for row in store.query(PREFIX + "SELECT ?p WHERE { ?p a s3:Project } LIMIT 200")]  # type: ignore[union-attr]
    largest = _first(store, "SELECT ?g WHERE { ?p s3:programme ?g } GROUP BY ?g ORDER BY DESC(COUNT(?p)) LIMIT 1")
    return {
        "point lookup (a project's triples), 200 projects": [f"SELECT ?p ?o WHERE {{ <{p}> ?p ?o }}" for p in projects],
        "a fact sheet's first 100 incoming links (largest programme)": [f"SELECT ?s ?p WHERE {{ ?s ?p <{largest}> }} LIMIT 100"],
        "projects of the largest programme with their titles": [
            f"SELECT ?p ?t WHERE {{ ?p s3:programme <{largest}> ; dcterms:title ?t }}"
        ],
        "aggregate: projects per programme": [
            "SELECT ?g (COUNT(?p) AS ?n) WHERE { ?p a s3:Project ; s3:programme ?g } GROUP BY ?g"
        ],
        "10,000 rows (projects and titles)": ["SELECT ?p ?t WHERE { ?p a s3:Project ; dcterms:title ?t } LIMIT 10000"],
        "count every triple": ["SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"],
        "count distinct triples": ["SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"],
    }


def _answer(
    store: ox.Store, query: str, union: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None
) -> Counter[tuple[str, ...]]:
    rows = store.query(PREFIX + query, default_graph=union) if union else store.query(PREFIX + query)
    assert isinstance(rows, ox.QuerySolutions)
    names = [v.value for v in rows.variables]
    return Counter(tuple(str(row[name]) for name in names) for row in rows)


def measure(
    twice: ox.Store, once: ox.Store, graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph], times: int
) -> list[dict[str, object]]:
    results = []
    for kind, asked in queries(twice).items():
        seconds: dict[str, list[float]] = {"written twice": [], "union": []}
        same = True
        for _ in range(times):
            for name, store, union in (("written twice", twice, None), ("union", once, graphs)):
                started = time.perf_counter()
                answers = [_answer(store, query, union) for query in asked]
                seconds[name].append(time.perf_counter() - started)
                if name == "written twice":
                    expected = answers
                else:
                    same = same and answers == expected
        medians = {name: statistics.median(values) * 1000 for name, values in seconds.items()}
        results.append({"query": kind, **medians, "ratio": medians["union"] / medians["written twice"], "same": same})
        print(json.dumps(results[-1]), flush=True)
    return results


def _size(folder: Path) -> int:
    return sum(file.stat().st_size for file in folder.rglob("*") if file.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path)
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child_load(Path(args.child[0]), Path(args.child[1]), args.child[2] == "twice")
        return
    published = PublishedStore(args.store)
    info = published.current()
    sources = [ox.NamedNode(g) for g in info.graphs if g not in set(info.outside)]
    with tempfile.TemporaryDirectory(dir=PROJECT / "bench") as scratch:
        work = Path(scratch)
        quads = work / "sources.nq"
        current = ox.Store.read_only(str(info.path))
        with quads.open("wb") as out:
            for graph in sources:
                ox.serialize(current.quads_for_pattern(None, None, None, graph), out, ox.RdfFormat.N_QUADS)
        current.dump(str(work / "default.nt"), ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        triples = sum(info.graphs[g.value] for g in sources)
        print(f"{len(sources)} source graphs, {triples:,} triples", flush=True)
        loads = {"written twice": _load(quads, work / "twice", True), "union": _load(quads, work / "once", False)}
        print(json.dumps(loads), flush=True)
        twice, once = ox.Store.read_only(str(work / "twice")), ox.Store.read_only(str(work / "once"))
        disk = {name: _size(work / folder) >> 20 for name, folder in (("written twice", "twice"), ("union", "once"))}
        print(json.dumps({"disk MiB": disk}), flush=True)
        measure(twice, once, [*sources], args.times)


if __name__ == "__main__":
    main()
