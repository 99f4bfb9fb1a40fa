"""Many readers of the project table with varied facets, and what it does to everyone else
(issue 21): 25 clients, each from its own loopback address, ask /browse/Project with a random
country and programme for `--seconds`, while a probe reads entity pages and point lookups.

Reports the table's answers per second by status, and the probe's p50/p99 alone and under the
table load. Run it on a store at the issue's scale (22,000 projects: bench/generate.py --scale 0.67).

    python bench/facets_bench.py --store bench/out/work-0.67-oxigraph/store --seconds 30 [--code /tmp/before]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

PROJECT = Path(__file__).resolve().parent.parent
CLIENTS = 25


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _values(base: str, query: str) -> list[str]:
    answer = httpx.post(
        base + "sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=120
    )
    return [row["v"]["value"] for row in answer.json()["results"]["bindings"]]


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies) or [float("nan")]
    return {"p50_ms": 1000 * statistics.median(ordered), "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))]}


def _probe(base: str, entities: list[str], seconds: float) -> dict[str, Any]:
    pages, lookups = [], []
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport, timeout=60) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            iri = random.choice(entities)
            started = time.perf_counter()
            client.get(base + "id/" + iri.split("/id/", 1)[1], headers={"Accept": "text/html"})
            pages.append(time.perf_counter() - started)
            started = time.perf_counter()
            client.post(base + "sparql", data={"query": f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"})
            lookups.append(time.perf_counter() - started)
    return {"entity_pages": _percentiles(pages), "point_lookups": _percentiles(lookups)}


def _tables(
    base: str, countries: list[str], programmes: list[str], stop: threading.Event, found: Counter[int]
) -> list[threading.Thread]:
    def reader(n: int) -> None:
        transport = httpx.HTTPTransport(local_address=f"127.0.1.{n + 1}")
        with httpx.Client(transport=transport, timeout=120) as client:
            while not stop.is_set():
                params = {"country": random.choice(countries), "programme": random.choice(programmes)}
                try:
                    found[client.get(base + "browse/Project", params=params).status_code] += 1
                except httpx.HTTPError:
                    found[0] += 1

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    return threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--code", type=Path, default=PROJECT, help="the checkout whose server is measured")
    args = parser.parse_args()
    random.seed(21)
    port = _free_port()
    code = args.code.resolve()
    env = {**os.environ, "S3KG_STORE_DIR": str(args.store.resolve()), "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "s3kg.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:  # (the code before issue 21 has no /readyz: its home page says it is up)
                if httpx.get(base, timeout=60).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("s3kg serve did not become ready")
            time.sleep(0.5)
        time.sleep(3)
        s3 = "PREFIX s3: <https://w3id.org/s3kg/ontology#> "
        countries = _values(base, s3 + "SELECT DISTINCT ?v WHERE { ?o a s3:Organisation ; s3:country ?v } LIMIT 40")
        programmes = _values(base, s3 + "SELECT DISTINCT ?v WHERE { ?p a s3:Project ; s3:programme ?v } LIMIT 40")
        entities = _values(base, s3 + "SELECT ?v WHERE { ?v a s3:Project } LIMIT 2000")
        alone = _probe(base, entities, args.seconds / 2)
        stop, found = threading.Event(), Counter[int]()
        started = time.monotonic()
        threads = _tables(base, countries, programmes, stop, found)
        loaded = _probe(base, entities, args.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # (before issue 21 a server busy with facets did not stop)
            server.kill()
            server.wait()
    report = {
        "table_answers_per_second": {str(k): round(v / elapsed, 2) for k, v in sorted(found.items())},
        "probe_alone": alone,
        "probe_under_table_load": loaded,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
