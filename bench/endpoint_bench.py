"""Endpoint benchmark: this endpoint beside Oxigraph's server and rdflib-endpoint, one run, one store.

The peers run from their own virtual environment (bench/.venv-peers, made by bench/peers.sh):
`oxigraph serve-read-only` on the very same store directory, and rdflib-endpoint on an
N-Triples dump of that store's default graph. Eight connections (wrk, or client threads where
wrk is missing) send each query for a fixed time, point lookups and DESCRIBE with a different
IRI each time; we report throughput and p50/p99 latency. The headline is s3kg with its answer
cache off (`s3kg-nocache`) against Oxigraph's server; the cached figures are a second column.
Each server is measured only once it is idle: after its start-up work (s3kg's pages' warm-up)
and between queries (the work the last load left).

    python bench/endpoint_bench.py --store bench/out/remote-1000000/store --seconds 8
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

PROJECT = Path(__file__).resolve().parent.parent
PEERS = PROJECT / "bench" / ".venv-peers" / "bin"
PREFIX = "PREFIX s3: <https://w3id.org/s3kg/ontology#>\n"
BASE = "https://w3id.org/s3kg/id/"


def queries(n_projects: int) -> dict[str, tuple[str, str]]:
    """name → (query template with {i}, Accept)."""
    json_results = "application/sparql-results+json"
    return {
        "point lookup": (PREFIX + f"SELECT ?p ?o WHERE {{ <{BASE}project/p-{{i}}> ?p ?o }}", json_results),
        "aggregate": (
            PREFIX + "SELECT ?prog (COUNT(?p) AS ?n) WHERE { ?p a s3:Project ; s3:programme ?prog } GROUP BY ?prog",
            json_results,
        ),
        "10,000 rows": (PREFIX + "SELECT ?p ?a WHERE { ?p s3:acronym ?a } LIMIT 10000", json_results),
        "10,000 rows CSV": (PREFIX + "SELECT ?p ?a WHERE { ?p s3:acronym ?a } LIMIT 10000", "text/csv"),
        "CONSTRUCT 10,000": (
            PREFIX + "CONSTRUCT { ?p s3:acronym ?a } WHERE { ?p s3:acronym ?a } LIMIT 10000",
            "application/n-triples",
        ),
        "describe": (f"DESCRIBE <{BASE}project/p-{{i}}>", "application/n-triples"),
    }


def _cpu_seconds(root: int) -> float:
    """CPU time used so far by a process and all its descendants (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:  # ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # from field 3 (state) on: utime and stime are 14 and 15
        total += (int(fields[11]) + int(fields[12])) / tick
        pending += [int(child) for child in children]
    return total


def settle(pid: int, seconds: float = 1800) -> None:
    """Wait until a server and its processes have been idle (under 5 % of a core) for 3 s: its
    background warm-up (home and browse pages) and any work left from the last load are over,
    so that they do not share the cores with the next measurement."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(3)
        if _cpu_seconds(pid) - before < 0.15:
            return


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def load(url: str, template: str, accept: str, n_projects: int, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        with httpx.Client(timeout=120) as http:
            while time.monotonic() < stop:
                query = template.replace("{i}", str(rng.randrange(min(n_projects, 1000))))
                started = time.perf_counter()
                try:
                    response = http.post(url, data={"query": query}, headers={"Accept": accept})
                    ok = response.status_code == 200 and len(response.content) > 0
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [float("nan")]
    return {
        "requests": len(latencies),
        "errors": errors,
        "throughput": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


WRK_SCRIPT = """
local template = [==[%s]==]
local accept = "%s"
local n = %d
local counter = 0
local function encode(text)
  text = string.gsub(text, "([^%%w%%-%%.%%_%%~ ])", function(c) return string.format("%%%%%%02X", string.byte(c)) end)
  return (string.gsub(text, " ", "+"))
end
request = function()
  counter = counter + 1
  local query = string.gsub(template, "{i}", tostring((counter * 7919) %% n))
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = accept}
  return wrk.format("POST", nil, headers, "query=" .. encode(query))
end
"""


def _milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load_wrk(url: str, template: str, accept: str, n_projects: int, clients: int, seconds: float) -> dict[str, float]:
    """The same load from wrk (C, two threads), so the client is never the bottleneck."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (template, accept, max(1, min(n_projects, 1000))))
    command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "--timeout", "120s", "-s", script.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    failed = int(errors.group(1)) if errors else 0
    return {
        "requests": requests - failed,
        "errors": failed,
        "throughput": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)) * (1 - failed / max(requests, 1)),  # type: ignore[union-attr]
        "p50_ms": _milliseconds(latency.get("50", "nan")) if "50" in latency else float("nan"),
        "p99_ms": _milliseconds(latency.get("99", "nan")) if "99" in latency else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="a published store directory (has current/)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--servers", nargs="+", default=["s3kg-nocache", "oxigraph", "s3kg", "rdflib-endpoint"])
    parser.add_argument("--queries", nargs="+", help="only these queries (names as in the table)")
    args = parser.parse_args()
    store = args.store.resolve()
    current = (store / "current").resolve()
    dump = store.parent / "default-graph.nt"
    processes: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
    # all load comes from one client address here, so per-client fairness is switched off
    env = {**os.environ, "S3KG_STORE_DIR": str(store), "S3KG_CLIENT_SECONDS_PER_MINUTE": "1e9", "S3KG_CLIENT_CONCURRENCY": "64"}
    reader = ox.Store.read_only(str(current))
    n_projects = len(list(reader.query(PREFIX + "SELECT ?p WHERE { ?p a s3:Project }")))  # type: ignore[arg-type]
    if "rdflib-endpoint" in args.servers and not dump.exists():
        ox.serialize(
            (q.triple for q in reader.quads_for_pattern(None, None, None, ox.DefaultGraph())), str(dump), ox.RdfFormat.N_TRIPLES
        )
    del reader
    ours = [sys.executable, "-m", "s3kg.cli", "serve", "--query-timeout", "120", "--port"]
    commands = {
        "s3kg": ([*ours, "7001"], "http://127.0.0.1:7001/sparql"),
        "s3kg-nocache": ([*ours, "7004"], "http://127.0.0.1:7004/sparql"),
        "oxigraph": (
            [str(PEERS / "oxigraph"), "serve-read-only", "--location", str(current), "--bind", "127.0.0.1:7002"],
            "http://127.0.0.1:7002/query",
        ),
        "rdflib-endpoint": (
            [str(PEERS / "rdflib-endpoint"), "serve", str(dump), "--host", "127.0.0.1", "--port", "7003"],
            "http://127.0.0.1:7003/",
        ),
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    chosen = {k: v for k, v in queries(n_projects).items() if not args.queries or k in args.queries}
    try:
        for name in args.servers:
            command, url = commands[name]
            server_env = {**env, "S3KG_CACHE_BYTES": "0"} if name == "s3kg-nocache" else env
            process = subprocess.Popen(command, cwd=PROJECT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes[name] = (url, process)
            wait_until_up(url, process)
            settle(process.pid)
            results[name] = {}
            for query_name, (template, accept) in chosen.items():
                run = load_wrk if shutil.which("wrk") else load
                results[name][query_name] = run(url, template, accept, n_projects, args.clients, args.seconds)
                print(name, query_name, json.dumps(results[name][query_name]), file=sys.stderr)
                settle(process.pid)  # answers the load left unread end (s3kg replaces the workers of cut streams)
            process.terminate()
            process.wait(timeout=30)
    finally:
        for _, process in processes.values():
            if process.poll() is None:
                process.kill()
    out = PROJECT / "bench" / "out" / "endpoint.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"projects": n_projects, "clients": args.clients, "results": results}, indent=2), encoding="utf-8")
    report(results, list(chosen), args.servers)


def report(results: dict[str, dict[str, dict[str, float]]], query_names: list[str], servers: list[str]) -> None:
    """Every figure, then the headline: s3kg uncached ÷ Oxigraph's server, and s3kg cached beside it."""
    print("| query | server | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for query_name in query_names:
        for name in servers:
            stats = results[name][query_name]
            figures = [f"{stats['throughput']:.1f}", f"{stats['p50_ms']:.2f}", f"{stats['p99_ms']:.2f}", str(stats["errors"])]
            print("| " + " | ".join([query_name, name, *figures]) + " |")
    if "s3kg-nocache" not in results or "oxigraph" not in results:
        return
    print()
    print("| query | uncached ÷ Oxigraph (req/s) | uncached p99 ÷ Oxigraph p99 | cached ÷ Oxigraph (req/s) |")
    print("|---|---|---|---|")
    for query_name in query_names:
        ours, peer = results["s3kg-nocache"][query_name], results["oxigraph"][query_name]
        cached = results.get("s3kg", {}).get(query_name)
        cells = [
            f"{ours['throughput'] / peer['throughput']:.2f}×",
            f"{ours['p99_ms'] / peer['p99_ms']:.2f}×",
            f"{cached['throughput'] / peer['throughput']:.2f}×" if cached else "–",
        ]
        print("| " + " | ".join([query_name, *cells]) + " |")


if __name__ == "__main__":
    main()
