"""Every page kind's latency on a large published store, uncached (issue 26: p99 < 300 ms at 30
million triples): `s3kg serve --processes 1` of this checkout, each URL asked once, new to the
server (a fact sheet under a new query string; a table, map or search with a filter or words it
has not been asked before), in a row from one client; p50, p99 and the slowest per page kind.

    python bench/scale_pages_bench.py --store bench/out/incremental/store --times 20 [--settled]

Without `--settled` the first URLs are asked while the server's warm-up (the home page's
build-wide figures, the browse lists) still runs beside them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.endpoint_bench import settle  # noqa: E402
from bench.sheets_bench import pages, serve  # noqa: E402
from loaders.core.queries import select_values  # noqa: E402
from loaders.publish.store import PublishedStore  # noqa: E402


def _some(store: ox.Store, query: str, limit: int) -> list[str]:
    return [row[0] for row in select_values(store, f"{query} LIMIT {limit}")]


def urls(store: ox.Store, times: int) -> list[tuple[str, list[str]]]:
    """(page kind, the URLs asked) for every kind of page the site shows."""
    kinds: list[tuple[str, list[str]]] = []
    for kind, path, _ in pages(store):
        kinds.append((f"fact sheet: {kind} ({path})", [f"{path}?n={n}" for n in range(times)]))
    projects = _some(store, "SELECT ?p WHERE { ?p a s3:Project ; s3:hasParticipation ?x }", times)
    kinds.append(("fact sheet: project", ["id/" + p.split("/id/", 1)[1] for p in projects]))
    programmes = _some(store, "SELECT DISTINCT ?g WHERE { ?p s3:programme ?g }", times)
    countries = _some(store, "SELECT DISTINCT ?c WHERE { ?o a s3:Organisation ; s3:country ?c }", times)
    kinds.append(("table: projects, page n", [f"browse/Project?page={n + 1}" for n in range(times)]))
    kinds.append(("table: projects of a programme", [f"browse/Project?{urlencode({'programme': g})}" for g in programmes]))
    kinds.append(("table: organisations of a country", [f"browse/Organisation?{urlencode({'country': c})}" for c in countries]))
    kinds.append(("map: projects of a programme", [f"map?{urlencode({'programme': g})}" for g in programmes]))
    every = [f"map?level={level}&measure={measure}" for measure in ("projects", "partners", "budget") for level in range(4)]
    kinds.append(("map: every project, a level and measure", every[:times]))
    geojson = [f"map.geojson?{urlencode({'level': 3, 'measure': 'budget', 'programme': g})}" for g in programmes]
    kinds.append(("map: GeoJSON of a programme, NUTS 3", geojson))
    words = ["energy", "water", "health", "school", "digital", "transport", "research", "tourism", "climate", "training"]
    kinds.append(("search", [f"search?{urlencode({'q': f'{words[n % len(words)]} {n}'})}" for n in range(times)]))
    kinds.append(("home", [f"?n={n}" for n in range(times)]))
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--times", type=int, default=20)
    parser.add_argument("--port", type=int, default=8783)
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a page counts as timed out")
    parser.add_argument("--only", nargs="*", help="only the page kinds starting with these words")
    parser.add_argument("--settled", action="store_true", help="ask once the server's start-up work (warm-up) is over")
    args = parser.parse_args()
    store = PublishedStore(args.store).open()
    asked, quads = urls(store, args.times), len(store)
    asked = [(kind, paths) for kind, paths in asked if not args.only or any(kind.startswith(o) for o in args.only)]
    del store
    server = serve(PROJECT, args.store, args.port)
    base = f"http://127.0.0.1:{args.port}/"
    try:
        started = time.monotonic()
        if args.settled:
            settle(server.pid)
        warm = f", asked {time.monotonic() - started:.0f} s after it was ready (its warm-up over)" if args.settled else ""
        print(f"{quads:,} quads; `s3kg serve --processes 1`{warm}; each URL asked once, in a row\n")
        print("| page | URLs | p50 | p99 | slowest | statuses |")
        print("|---|---|---|---|---|---|")
        for kind, paths in asked:
            seconds: list[float] = []
            statuses: set[str] = set()
            for path in paths:
                started = time.perf_counter()
                try:
                    statuses.add(str(httpx.get(base + path, headers={"Accept": "text/html"}, timeout=args.timeout).status_code))
                except httpx.TimeoutException:
                    statuses.add(f"no answer in {args.timeout:.0f} s")
                seconds.append(time.perf_counter() - started)
            seconds.sort()
            p99 = seconds[min(len(seconds) - 1, round(0.99 * len(seconds)))]
            cells = " | ".join(f"{v * 1000:,.0f} ms" for v in (statistics.median(seconds), p99, seconds[-1]))
            print(f"| {kind} | {len(paths)} | {cells} | {', '.join(sorted(statuses))} |", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # a page still being made holds a worker
            server.kill()


if __name__ == "__main__":
    main()
