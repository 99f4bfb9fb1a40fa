"""Denial-of-service benchmark: a probe client's latency alone, then while four abusive
connections run runaway queries, on s3kg and on Oxigraph's server over the same store, one run.

The abusers connect from 127.0.0.2 and loop on four runaway queries (cartesian COUNT, regex
over every literal, an unbounded property path both ways, nested OPTIONALs); the probe connects from
127.0.0.1 and sends cheap point lookups with a different IRI each time (no answer cache helps),
and, on s3kg, entity pages. We report the probe's p50/p99 in both phases, their ratio, and
what the abusers got back.

    python bench/abuse_bench.py --store var/store --seconds 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

PROJECT = Path(__file__).resolve().parent.parent
PEERS = PROJECT / "bench" / ".venv-peers" / "bin"
RUNAWAYS = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(STR(?c), STR(?f))) }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:x>|^!<urn:x>)+ ?b }",
    "SELECT * WHERE { ?a ?b ?c OPTIONAL { ?d ?e ?f OPTIONAL { ?g ?h ?i OPTIONAL { ?j ?k ?l } } } } ORDER BY ?l",
]


def _up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                time.sleep(3)  # every server process is listening
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies) or [float("nan")]
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


def probe(url: str, page: str | None, subjects: list[str], seconds: float) -> dict[str, Any]:
    """Cheap queries (and entity pages) one after another for `seconds`."""
    queries: list[float] = []
    pages: list[float] = []
    statuses: Counter[str] = Counter()
    stop = time.monotonic() + seconds
    with httpx.Client(timeout=120) as client:
        i = 0
        while time.monotonic() < stop:
            subject = subjects[i % len(subjects)]
            i += 1
            started = time.perf_counter()
            try:
                status = client.get(url, params={"query": f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}"}).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__  # type: ignore[assignment]
            statuses[str(status)] += 1
            if status != 200:
                print("probe got", status, file=sys.stderr)
            if status == 200:
                queries.append(time.perf_counter() - started)
            if page and i % 5 == 0:
                started = time.perf_counter()
                if client.get(page, headers={"Accept": "text/html"}).status_code == 200:
                    pages.append(time.perf_counter() - started)
    result: dict[str, Any] = {"queries": len(queries), "statuses": dict(statuses), **_percentiles(queries)}
    if page:
        result["pages"] = {"count": len(pages), **_percentiles(pages)}
    return result


def abuse(url: str, stop: threading.Event, statuses: Counter[str]) -> list[threading.Thread]:
    def one(query: str) -> None:
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport, timeout=300) as client:
            while not stop.is_set():
                try:
                    statuses[str(client.post(url, data={"query": query}).status_code)] += 1
                except httpx.HTTPError as error:
                    statuses[type(error).__name__] += 1

    threads = [threading.Thread(target=one, args=(query,), daemon=True) for query in RUNAWAYS]
    for thread in threads:
        thread.start()
    return threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="a published store directory (has current/)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--servers", nargs="+", default=["s3kg", "oxigraph"])
    args = parser.parse_args()
    store = args.store.resolve()
    current = (store / "current").resolve()
    reader = ox.Store.read_only(str(current))
    named = (q.subject for q in reader.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    subjects = list(dict.fromkeys(s.value for s in named if isinstance(s, ox.NamedNode)))[:1000]
    del reader
    env = {**os.environ, "S3KG_STORE_DIR": str(store), "S3KG_CACHE_BYTES": "0"}  # every answer computed
    commands = {
        "s3kg": ([sys.executable, "-m", "s3kg.cli", "serve", "--port", "7011"], "http://127.0.0.1:7011/sparql"),
        "oxigraph": (
            [
                str(PEERS / "oxigraph"),
                "serve-read-only",
                "--location",
                str(current),
                "--bind",
                "127.0.0.1:7012",
                "--timeout-s",
                "30",
            ],
            "http://127.0.0.1:7012/query",
        ),
    }
    results: dict[str, dict[str, Any]] = {}
    for name in args.servers:
        command, url = commands[name]
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _up(url, process)
            page = url.replace("/sparql", "/id/project/gotos3") if name == "s3kg" else None
            alone = probe(url, page, subjects, args.seconds)
            stop, abused = threading.Event(), Counter[str]()
            threads = abuse(url, stop, abused)
            time.sleep(2)
            attacked = probe(url, page, subjects, args.seconds)
            stop.set()
            results[name] = {"alone": alone, "attacked": attacked, "abusers": dict(abused)}
            print(name, json.dumps(results[name]), file=sys.stderr)
        finally:
            process.kill()
            process.wait()
        for thread in threads:
            thread.join(timeout=1)
    out = PROJECT / "bench" / "out" / "abuse.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print("| server | probe | alone p50 / p99 ms | with 4 abusers p50 / p99 ms | p99 ratio | probe answers | abusers got |")
    print("|---|---|---|---|---|---|---|")
    for name, result in results.items():
        alone, attacked = result["alone"], result["attacked"]
        rows = [("queries", alone, attacked)]
        if "pages" in alone:
            rows.append(("entity pages", alone["pages"], attacked["pages"]))
        for label, before, during in rows:
            ratio = during["p99_ms"] / before["p99_ms"]
            cells = [
                name,
                label,
                f"{before['p50_ms']:.1f} / {before['p99_ms']:.1f}",
                f"{during['p50_ms']:.1f} / {during['p99_ms']:.1f}",
                f"{ratio:.2f}×",
                json.dumps(attacked.get("statuses", {})) if label == "queries" else str(during["count"]),
                json.dumps(result["abusers"]) if label == "queries" else "",
            ]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
