"""Incremental builds at Kohesio scale, beside the floor: pyoxigraph's bare bulk load.

The seed data and one synthetic Kohesio country file of `--rows` operations (the golden
fixture's layout, `exports_bench.kohesio`) are built from scratch; then one small file is
changed (a curated project's title), then the large file (one operation's name), then one
amount in it (a change the links do not read: they are carried over), then nothing (`--force`).
Each build runs in a fresh process, which reports every stage's time and its peak memory. The
floor is a fresh process bulk-loading the published default graph's N-Triples into a new on-disk
store.

    python bench/incremental_bench.py --rows 200000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))
OUT = PROJECT / "bench" / "out" / "incremental"


def child_build(data: Path, store: Path, full: bool) -> None:
    """One build, printing one JSON line: its stages (name, seconds) and peak memory."""
    from loaders.build import BuildConfig, build

    stages: list[list[object]] = []
    started = last = time.monotonic()
    name = "mapping"

    def progress(message: object) -> None:
        nonlocal last, name
        if not isinstance(message, str) or message.startswith("loading") or "unchanged: reusing" in message:
            return
        now = time.monotonic()
        stages.append([name, round(now - last, 2)])
        last, name = now, message.split(":")[0].split(" (")[0]

    config = BuildConfig(
        data_dir=data,
        sources_file=data / "sources.yaml",
        store_dir=store,
        report_dir=store.parent / "reports",
        incremental=not full,
    )
    info, outcome = build(config, progress, force=True)
    stages.append([name, round(time.monotonic() - last, 2)])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    focus = outcome.focus if outcome else None
    print(
        json.dumps(
            {
                "stages": stages,
                "total": round(time.monotonic() - started, 1),
                "peak": peak,
                "triples": info.triples,
                "focus": focus,
            }
        )
    )


def _full(config: object) -> object:
    import dataclasses

    return dataclasses.replace(config, incremental=False)  # type: ignore[type-var]


def child_floor(dump: Path, target: Path) -> None:
    import pyoxigraph as ox

    started = time.monotonic()
    store = ox.Store(str(target))
    store.bulk_load(path=str(dump), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    print(
        json.dumps(
            {"total": round(time.monotonic() - started, 1), "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
        )
    )


def _run(*args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--again", action="store_true", help="reuse the data and store of the last run: its edits again")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            child_build(Path(rest[0]), Path(rest[1]), rest[2] == "full")
        else:
            child_floor(Path(rest[0]), Path(rest[1]))
        return
    from exports_bench import kohesio
    from seed_data import copy_seed_data

    data, store = OUT / "data", OUT / "store"
    results: dict[str, dict[str, object]] = {}
    if not args.again:
        shutil.rmtree(OUT, ignore_errors=True)
        copy_seed_data(data)
        (data / "exports").mkdir()
        kohesio(args.rows, data / "exports" / "kohesio.csv")
        with (data / "sources.yaml").open("a", encoding="utf-8") as listing:
            listing.write("  - {kind: kohesio-projects, path: exports/kohesio.csv}\n")
        results["full build"] = _run("--child", "build", str(data), str(store), "full")
        print("full build", results["full build"], flush=True)
    else:  # the code may have changed since: a first build absorbs that (everything is validated again)
        print("catching up", _run("--child", "build", str(data), str(store), "incremental"), flush=True)
    projects = data / "curated" / "projects.yaml"
    projects.write_text(projects.read_text(encoding="utf-8").replace("GoToS3", "GoToS3 (edited)", 1), encoding="utf-8")
    results["one small file changed"] = _run("--child", "build", str(data), str(store), "incremental")
    print("small", results["one small file changed"], flush=True)
    big = data / "exports" / "kohesio.csv"
    text = big.read_text(encoding="utf-8-sig")
    row = 18 if args.again else 17
    big.write_text(text.replace(f"Operation {row},", f"Operation {row} (edited),", 1), encoding="utf-8-sig")
    results["one row of the large file changed"] = _run("--child", "build", str(data), str(store), "incremental")
    print("large", results["one row of the large file changed"], flush=True)
    text = big.read_text(encoding="utf-8-sig")
    start = text.index(f"/Q{10_000_000 + row + 1},")  # the next operation's total: nothing the links read
    end = text.index(",EUR,", start)
    text = text[: text.rindex(",", start, end) + 1] + "99999999" + text[end:]  # above its EU budget: still valid
    big.write_text(text, encoding="utf-8-sig")
    results["one amount of the large file changed"] = _run("--child", "build", str(data), str(store), "incremental")
    print("amount", results["one amount of the large file changed"], flush=True)
    results["nothing changed (--force)"] = _run("--child", "build", str(data), str(store), "incremental")
    print("forced", results["nothing changed (--force)"], flush=True)
    import pyoxigraph as ox

    dump = OUT / "default.nt"
    ox.Store.read_only(str(store / "current")).dump(str(dump), ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    results["floor: pyoxigraph bulk load"] = _run("--child", "floor", str(dump), str(OUT / "floor"))
    print("floor", results["floor: pyoxigraph bulk load"], flush=True)
    (OUT / f"result-{args.rows}{'-again' if args.again else ''}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
