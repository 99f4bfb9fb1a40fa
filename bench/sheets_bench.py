"""Fact sheet latency on a published store, side by side with the sheets as they were before
each build published their figures (issue 26; `--before`, a commit checked out beside): the
largest programmes, regions at each NUTS level and organisations, each page asked `--times`
times in a row (a new URL each time) of `s3kg serve --processes 1`, p50 and p99.

    python bench/sheets_bench.py --store bench/out/incremental/store --times 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from loaders.core.queries import select_values  # noqa: E402
from loaders.publish.store import PublishedStore  # noqa: E402

NUTS = "http://data.europa.eu/nuts/code/"


def _biggest(store: ox.Store, query: str, limit: int = 2) -> list[str]:
    return [row[0] for row in select_values(store, query + f" ORDER BY DESC(?n) LIMIT {limit}")]


def pages(store: ox.Store) -> list[tuple[str, str, str]]:
    """(kind, path, IRI) of the pages measured: the largest of each kind."""
    chosen: list[tuple[str, str, str]] = []
    for iri in _biggest(store, "SELECT ?g (COUNT(?p) AS ?n) WHERE { ?p s3:programme ?g } GROUP BY ?g"):
        chosen.append(("programme", "id/" + iri.split("/id/", 1)[1], iri))
    for level in range(4):
        query = f"""SELECT ?r (COUNT(?e) AS ?n) WHERE {{ ?e s3:region ?place . ?place skos:broader* ?r .
                    ?r s3:nutsLevel {level} }} GROUP BY ?r"""
        for iri in _biggest(store, query, 1):
            chosen.append((f"region, NUTS {level}", "region/" + iri.removeprefix(NUTS), iri))
    query = "SELECT ?o (COUNT(?x) AS ?n) WHERE { ?x s3:participant ?o } GROUP BY ?o"
    for iri in _biggest(store, query, 1):
        chosen.append(("organisation", "id/" + iri.split("/id/", 1)[1], iri))
    return chosen


def serve(code: Path, store: Path, port: int) -> subprocess.Popen[bytes]:
    """`s3kg serve` (one process) of the code in `code` over `store`, once it answers."""
    command = [sys.executable, "-c", "from s3kg.cli import app; app()", "serve", "--store-dir", str(store)]
    command += ["--port", str(port), "--processes", "1"]
    env = {**os.environ, "PYTHONPATH": str(code)}
    process = subprocess.Popen(command, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the server of {code} did not start")


def latencies(base: str, path: str, times: int) -> tuple[float, float]:
    """p50 and p99 seconds of `times` requests in a row for the page (each URL new to the server)."""
    httpx.get(base + path, headers={"Accept": "text/html"}, timeout=600)  # the build's figures opened once
    seconds = []
    for n in range(times):
        started = time.perf_counter()
        answer = httpx.get(base + path, params={"n": str(n)}, headers={"Accept": "text/html"}, timeout=600)
        seconds.append(time.perf_counter() - started)
        assert answer.status_code == 200, (base, path, answer.status_code)
    seconds.sort()
    return statistics.median(seconds), seconds[min(len(seconds) - 1, round(0.99 * len(seconds)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--times", type=int, default=20)
    parser.add_argument("--before", default="c152627", help="the commit whose sheets gathered every project")
    args = parser.parse_args()
    store = PublishedStore(args.store).open()
    chosen, quads = pages(store), len(store)
    del store
    before = Path(tempfile.mkdtemp()) / "before"
    subprocess.run(["git", "-C", str(PROJECT), "worktree", "add", "-q", "--detach", str(before), args.before], check=True)
    servers = []
    try:
        servers = [serve(code, args.store, port) for code, port in ((before, 8781), (PROJECT, 8782))]
        print(
            f"{quads:,} quads; each page asked {args.times} times in a row; `s3kg serve --processes 1` of {args.before} and now\n"
        )
        print("| page | entity | before: p50 | p99 | now: p50 | p99 | p50 now ÷ before |")
        print("|---|---|---|---|---|---|---|")
        for kind, path, _ in chosen:
            old = latencies("http://127.0.0.1:8781/", path, args.times)
            new = latencies("http://127.0.0.1:8782/", path, args.times)
            cells = " | ".join(f"{v * 1000:,.0f} ms" for v in (*old, *new))
            print(f"| {kind} | {path} | {cells} | {new[0] / old[0]:.2f} |", flush=True)
    finally:
        for process in servers:
            process.terminate()
            process.wait(30)
        subprocess.run(["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(before)], check=False)


if __name__ == "__main__":
    main()
