"""What keeping versions costs at publishing: the changes against the build before, and the
feed's members, beside the dumps that publishing already writes (the yardstick), on a published
store of the benchmarks. Each step runs in a fresh process for its wall time and peak memory.

    python bench/versions_bench.py --store bench/out/remote-1000000/store

Steps: the dumps; the changes of a first build (nothing before) and of a build with nothing
changed (every graph compared: the most work); the feed of a first build (every entity a member)
and of a build with nothing changed (every entity's digest compared).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

STEPS = ["dumps", "changes-first", "changes-unchanged", "feed-first", "feed-unchanged"]


def run_step(step: str, store_path: str, work: str) -> dict[str, float]:
    import pyoxigraph as ox

    from loaders.publish.changes import write_changes
    from loaders.publish.dumps import write_dumps
    from loaders.publish.feed import write_feed

    store = ox.Store.read_only(store_path)
    out = Path(work)
    started = time.perf_counter()
    if step == "dumps":
        write_dumps(store, out / "dumps")
    elif step == "changes-first":
        write_changes(store, None, "new", None, out / "changes")
    elif step == "changes-unchanged":
        write_changes(store, ox.Store.read_only(store_path), "new", "old", out / "changes")
    elif step == "feed-first":
        write_feed(store, out / "feed", 1, "old", "2026-01-01T00:00:00+00:00", None)
    elif step == "feed-unchanged":
        write_feed(store, out / "feed", 2, "new", "2026-01-02T00:00:00+00:00", 1)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="a published store directory (has current/)")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)  # one step, in a child process
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    current = str((args.store / "current").resolve())
    if args.step:
        print(json.dumps(run_step(args.step, current, args.work)))
        return
    work = Path(tempfile.mkdtemp(prefix="versions-bench-"))
    results = {}
    try:
        for step in STEPS:  # feed-unchanged reads the state feed-first wrote
            command = [sys.executable, __file__, "--store", str(args.store), "--step", step, "--work", str(work)]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            results[step] = json.loads(output.strip().splitlines()[-1])
            print(step, results[step], file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    dumps = results["dumps"]["seconds"]
    print("| step | seconds | × the dumps | peak memory (MB) |")
    print("|---|---|---|---|")
    for step, figures in results.items():
        print(f"| {step} | {figures['seconds']:.1f} | {figures['seconds'] / dumps:.2f}× | {figures['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
