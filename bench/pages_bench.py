"""Entity pages per second and p99 latency under 8 concurrent clients (wrk), and the time to
write all dumps, on a published store; with --overview, the latency of the home and browse
pages (whose build-wide parts are computed once per build, in the background at start).

    python bench/pages_bench.py --store bench/out/work-0.25-oxigraph/store --seconds 10
    python bench/pages_bench.py --store bench/out/exports/work-kohesio/store --overview
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.endpoint_bench import settle  # noqa: E402
from loaders.publish.dumps import write_dumps  # noqa: E402

SCRIPT = """
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/id/project/p-" .. ((n * 7919) %% 1000), {["Accept"] = "%s"})
end
"""


def wrk(url: str, accept: str, seconds: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(SCRIPT % accept)
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", script.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert rate and p50 and p99
    return f"| {accept} | {float(rate.group(1)):,.0f} | {p50.group(1)} | {p99.group(1)} | {errors.group(1) if errors else 0} |"


def overview(base: str, up_after: float) -> None:
    """Each page right after the server answers (the warm-up may still run), then once it is done."""
    paths = ["/", "/browse/Project", "/browse/Project?page=1000", "/browse/Organisation?order=desc", "/browse/Project?sort=iri"]
    print(f"Server answering {up_after:.1f} s after start.\n")
    print("| page | first request s | after warm-up s |")
    print("|---|---|---|")
    first = {}
    for path in paths:
        started = time.perf_counter()
        httpx.get(base + path, timeout=600).raise_for_status()
        first[path] = time.perf_counter() - started
    time.sleep(30)
    for path in paths:
        started = time.perf_counter()
        httpx.get(base + path, timeout=600).raise_for_status()
        print(f"| {path} | {first[path]:.2f} | {time.perf_counter() - started:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--overview", action="store_true", help="time the home and browse pages only")
    parser.add_argument("--skip-dumps", action="store_true", help="do not time writing the dumps")
    args = parser.parse_args()
    env = {**os.environ, "S3KG_STORE_DIR": str(args.store.resolve()), "S3KG_CLIENT_SECONDS_PER_MINUTE": "1e9"}
    server = subprocess.Popen([sys.executable, "-m", "s3kg.cli", "serve", "--port", "7021"], cwd=PROJECT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        started = time.perf_counter()
        for _ in range(600):
            try:
                httpx.get("http://127.0.0.1:7021/sparql?query=ASK%7B%7D", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        if args.overview:
            overview("http://127.0.0.1:7021", time.perf_counter() - started)
            return
        settle(server.pid)  # the pages' warm-up done: it would share the cores
        print("| entity document | pages/s | p50 | p99 | errors |")
        print("|---|---|---|---|---|")
        for accept in ("text/html", "text/turtle", "application/ld+json"):
            print(wrk("http://127.0.0.1:7021", accept, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.skip_dumps:
        return
    store = ox.Store.read_only(str((args.store / "current").resolve()))
    started = time.perf_counter()
    written = write_dumps(store, Path(tempfile.mkdtemp()))
    seconds = time.perf_counter() - started
    print(f"\nAll dumps ({', '.join(d.name for d in written)}; {written[1].triples:,} quads): {seconds:.1f} s")


if __name__ == "__main__":
    main()
