"""Issue 21's attacks against `s3kg serve`, measured: outbound connections, a leaked answer, a
server process's peak memory, and a probe client's p99 while another client keeps ending workers.

Runs the server from a checkout (`--code`, default this one), so the same run can measure the code
before a change (a `git worktree` of an older commit) beside the code after it:

    python bench/attack_bench.py --store var/store                       # this checkout
    git worktree add /tmp/before <commit> && python bench/attack_bench.py --store var/store --code /tmp/before

1. Outbound: the issue's reproducers and every Unicode space and line break in each position
   (tests/test_fast_path.py), sent to `/sparql` while a local listener answers any request with
   a SPARQL result holding SECRET-FROM-INTERNAL-SERVICE: connections counted, answers searched.
2. Memory: the issue's `DESCRIBE <U+00A0#> … ORDER BY` sent twice; the server processes' peak
   resident memory (VmHWM) before and after.
3. Churn: a probe (127.0.0.1) sends point lookups for `--seconds`, alone, then while another client
   (127.0.0.2) loops on a query that ends its worker: a call to an unknown function (it did before
   issue 21) or one over the workers' memory cap (400 MB here).
"""

from __future__ import annotations

import argparse
import json
import os
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
sys.path.insert(0, str(PROJECT / "tests"))
from test_fast_path import generated, reproducers  # noqa: E402 - the test's own generated set

SECRET = b'{"head":{"vars":["leak"]},"results":{"bindings":[{"leak":{"type":"literal","value":"SECRET-FROM-INTERNAL-SERVICE"}}]}}'


class InternalService:
    """A local HTTP service that answers every request with SECRET, counting connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            self.connections += 1
            conn.settimeout(2)
            try:
                conn.recv(65536)
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                head += f"Content-Length: {len(SECRET)}\r\n\r\n"
                conn.sendall(head.encode() + SECRET)
            except OSError:
                pass
            conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(code: Path, store: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "S3KG_STORE_DIR": str(store), "PYTHONPATH": str(code)}
    env.update(S3KG_QUERY_TIMEOUT="10", S3KG_QUERY_MEMORY_MB="400")
    command = [sys.executable, "-m", "s3kg.cli", "serve", "--port", str(port), "--processes", "2"]
    server = subprocess.Popen(command, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                time.sleep(2)
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError("s3kg serve did not start")


def _server_processes(supervisor: int) -> list[int]:
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(c) for c in children if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()]


def _peak_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def outbound(base: str) -> dict[str, Any]:
    service = InternalService()
    queries = reproducers(service.port) + generated(service.port)
    statuses: Counter[int] = Counter()
    leaked = 0
    with httpx.Client(timeout=60) as client:
        for query in queries:
            try:
                answer = client.post(base + "sparql", data={"query": query})
            except httpx.HTTPError:
                statuses[0] += 1
                continue
            statuses[answer.status_code] += 1
            leaked += b"SECRET" in answer.content
    time.sleep(1)
    found = {"queries": len(queries), "connections": service.connections, "answers_with_secret": leaked}
    return {**found, "statuses": dict(statuses)}


def memory(base: str, supervisor: int) -> dict[str, Any]:
    before = {pid: _peak_kb(pid) for pid in _server_processes(supervisor)}
    query = "DESCRIBE <\u00a0#> WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
    outcomes: list[int | str] = []
    for _ in range(2):
        try:
            outcomes.append(httpx.post(base + "sparql", data={"query": query}, timeout=40).status_code)
        except httpx.HTTPError as error:
            outcomes.append(type(error).__name__)
    alive = [pid for pid in before if Path(f"/proc/{pid}").exists()]
    after = {pid: _peak_kb(pid) for pid in alive}
    return {
        "answers": outcomes,
        "peak_mb_before": round(max(before.values()) / 1024),
        "peak_mb_after": round(max(after.values(), default=0) / 1024),
        "server_processes_lost": len(before) - len(alive),
    }


def _probe(base: str, seconds: float) -> dict[str, float]:
    latencies = []
    with httpx.Client(timeout=30) as client:
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            query = f"SELECT ?p ?o WHERE {{ <https://w3id.org/s3kg/id/probe/{n}> ?p ?o }}"
            started = time.perf_counter()
            client.post(base + "sparql", data={"query": query})
            latencies.append(time.perf_counter() - started)
            n += 1
    ordered = sorted(latencies)
    return {"p50_ms": 1000 * statistics.median(ordered), "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))]}


KILLERS = {
    "unknown-function": "SELECT * WHERE { ?s ?p ?o FILTER(<http://example.org/f>(?s)) }",  # ended a worker before issue 21
    "memory": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 10",  # over the 400 MB cap set here: ends a worker
}


def churn(base: str, seconds: float, killer_query: str) -> dict[str, Any]:
    alone = _probe(base, seconds)
    stop, statuses = threading.Event(), Counter[int]()

    def killer() -> None:
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport, timeout=60) as client:
            while not stop.is_set():
                statuses[client.post(base + "sparql", data={"query": killer_query}).status_code] += 1

    thread = threading.Thread(target=killer)
    thread.start()
    busy = _probe(base, seconds)
    stop.set()
    thread.join()
    return {"alone": alone, "with_worker_killer": busy, "p99_ratio": busy["p99_ms"] / alone["p99_ms"], "killer": dict(statuses)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--code", type=Path, default=PROJECT, help="the checkout whose server is measured")
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    port = _free_port()
    server = _serve(args.code.resolve(), args.store.resolve(), port)
    base = f"http://127.0.0.1:{port}/"
    try:
        report = {
            "code": str(args.code),
            "outbound": outbound(base),
            **{f"churn ({name})": churn(base, args.seconds, query) for name, query in KILLERS.items()},
            "memory": memory(base, server.pid),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
