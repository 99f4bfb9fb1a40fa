"""Benchmark of the build on synthetic keep.eu-scale data: map, validate, publish.

For each scale it generates the sources (bench/generate.py), then runs the build stage by
stage in a fresh process per SHACL engine, recording wall time, triples per second and the
process's peak resident memory after each stage. Results go to bench/out/build.json and
a Markdown table on stdout (copied into docs/benchmarks.md).

    python bench/build_bench.py --scales 0.02 0.05 --engines rudof pyshacl
    python bench/build_bench.py --scales 1.0 --engines rudof
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "bench" / "out"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stages(data_dir: Path, engine: str, work: Path) -> dict[str, object]:
    """Runs in a child process: map, validate, publish, with figures per stage."""
    sys.path.insert(0, str(PROJECT))
    from loaders.build import BuildConfig, assemble, check
    from loaders.core.iris import IriMinter
    from loaders.core.queries import count_matches
    from loaders.publish.staging import publish
    from loaders.publish.store import PublishedStore

    config = BuildConfig(
        data_dir=data_dir,
        sources_file=data_dir / "sources.yaml",
        store_dir=work / "store",
        report_dir=work / "reports",
        shacl_engine=engine,
    )
    figures: dict[str, object] = {"engine": engine}
    start = time.perf_counter()
    assembled = assemble(config)
    figures["map"] = {"seconds": time.perf_counter() - start, "peak_mib": _peak_mib()}
    start = time.perf_counter()
    check(config, assembled)
    figures["validate"] = {"seconds": time.perf_counter() - start, "peak_mib": _peak_mib()}
    start = time.perf_counter()
    minter = IriMinter(config.base_iri)
    publish(PublishedStore(config.store_dir), {minter.graph(g): graph for g, graph in assembled.graphs.items()})
    figures["publish"] = {"seconds": time.perf_counter() - start, "peak_mib": _peak_mib()}
    triples = count_matches(PublishedStore(config.store_dir).open(), "?s ?p ?o")  # the merged default graph
    figures["triples"] = triples
    for stage in ("map", "validate", "publish"):
        stage_figures = figures[stage]
        assert isinstance(stage_figures, dict)
        stage_figures["triples_per_second"] = round(triples / stage_figures["seconds"])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[0.02])
    parser.add_argument("--engines", nargs="+", default=["rudof", "pyshacl"])
    parser.add_argument("--child", nargs=3, metavar=("DATA", "ENGINE", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        data, engine, work = args.child
        print(json.dumps(run_stages(Path(data), engine, Path(work))))
        return
    sys.path.insert(0, str(PROJECT))
    from bench.generate import generate

    results = []
    for scale in args.scales:
        data = OUT / f"data-{scale}"
        sizes = generate(scale, data)
        for engine in args.engines:
            work = OUT / f"work-{scale}-{engine}"
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(data), engine, str(work)], capture_output=True, text=True, check=True
            )
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            results.append({"scale": scale, **sizes, **figures})
            print(json.dumps(results[-1]), file=sys.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "build.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print("| scale | projects | partnerships | triples | engine | map s (t/s) | validate s (t/s) | publish s (t/s) | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        cells = [f"{r[s]['seconds']:.1f} ({r[s]['triples_per_second']:,})" for s in ("map", "validate", "publish")]
        print(
            f"| {r['scale']} | {r['projects']:,} | {r['partnerships']:,} | {r['triples']:,} | {r['engine']} | "
            + " | ".join(cells)
            + f" | {r['publish']['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
