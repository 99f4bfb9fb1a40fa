"""What a command costs before it does anything (issue 22): `import s3kg.cli` (from
`python -X importtime`) and `s3kg --help` (wall clock), for this checkout and, side by side, for
another one (`--code`, e.g. a worktree of the commit before a change), in one run, interleaved so
that both see the same machine.

    git worktree add /tmp/before <commit>
    python bench/startup_bench.py --code /tmp/before [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def _env(code: Path) -> dict[str, str]:
    # PYTHONPATH comes before site-packages, so `code` is imported even where this checkout is
    # installed; each run also starts in `code` (the working directory comes first on the path)
    return {**os.environ, "PYTHONPATH": str(code)}


def import_ms(code: Path) -> float:
    """Cumulative import time of s3kg.cli, as Python's own -X importtime counts it (ms)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import s3kg.cli"],
        capture_output=True,
        text=True,
        env=_env(code),
        cwd=code,
        check=True,
    )
    line = next(line for line in reversed(done.stderr.splitlines()) if line.rstrip().endswith("| s3kg.cli"))
    return int(line.split("|")[1]) / 1000


def help_ms(code: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "s3kg.cli", "--help"], capture_output=True, env=_env(code), cwd=code, check=True)
    return (time.perf_counter() - started) * 1000


def loads_web_stack(code: Path) -> bool:
    probe = "import sys, s3kg.cli; print(any(m.split('.')[0] in ('fastapi', 'uvicorn', 'server') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(code), cwd=code, check=True)
    return done.stdout.strip() == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", type=Path, required=True, help="the other checkout, measured beside this one")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    sides = {"other (--code)": args.code.resolve(), "this checkout": PROJECT}
    imports: dict[str, list[float]] = {name: [] for name in sides}
    helps: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.runs):
        for name, code in sides.items():
            imports[name].append(import_ms(code))
            helps[name].append(help_ms(code))
    print(f"| checkout | import s3kg.cli, median ms | s3kg --help, median ms | imports the web stack |  ({args.runs} runs)")
    print("| --- | --- | --- | --- |")
    for name, code in sides.items():
        imported, helped = statistics.median(imports[name]), statistics.median(helps[name])
        print(f"| {name} | {imported:.0f} | {helped:.0f} | {loads_web_stack(code)} |")
    other, this = sides
    print(
        f"\nratio this/other: import {statistics.median(imports[this]) / statistics.median(imports[other]):.2f}×, "
        f"--help {statistics.median(helps[this]) / statistics.median(helps[other]):.2f}×"
    )


if __name__ == "__main__":
    main()
