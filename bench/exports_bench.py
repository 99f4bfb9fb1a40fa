"""Loader benchmark for the real exports, end to end: each export file is generated at the
size asked for, in the export's exact layout (the golden fixtures' columns), then built with
the seed data in a fresh process — mapping, SHACL validation, reconciliation and publishing —
with wall time and peak memory after each stage.

    python bench/exports_bench.py --kohesio-rows 200000 --keep-projects 33000 --cordis-projects 30000
    python bench/exports_bench.py --only kohesio --kohesio-rows 20000
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import Workbook

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
OUT = PROJECT / "bench" / "out" / "exports"


def kohesio(rows: int, path: Path) -> None:
    with (PROJECT / "tests" / "golden" / "kohesio" / "BE-pp14-20-test.csv").open(encoding="utf-8-sig", newline="") as handle:
        template = next(iter(csv.DictReader(handle)))
    rng = random.Random(1)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template), lineterminator="\r\n")
        writer.writeheader()
        for n in range(rows):
            item = f"https://linkedopendata.eu/entity/Q{10_000_000 + n}"
            beneficiary = f"Beneficiary {rng.randrange(rows // 3 + 1)}"
            amount = str(rng.randint(10_000, 5_000_000))
            writer.writerow(
                {
                    **template,
                    "Operation_Unique_Identifier": item,
                    "Operation_Name_English": f"Operation {n}",
                    "Beneficiary_Name": beneficiary,
                    "Total_Eligible_Expenditure_amount": amount,
                    "Project_EU_Budget": str(int(amount) * 4 // 5),
                }
            )


def keep_eu(projects: int, path: Path) -> None:
    sys.path.insert(0, str(PROJECT / "tests" / "golden" / "keep-eu"))
    from make_workbook import partner, project

    from loaders.map.exports.keep_eu_layouts import SEARCH_PARTNER_COLUMNS as PARTNER_COLUMNS
    from loaders.map.exports.keep_eu_layouts import SEARCH_PROJECT_COLUMNS as PROJECT_COLUMNS

    rng = random.Random(2)
    book = Workbook(write_only=True)
    book.create_sheet("Info").append(["synthetic"])
    sheet = book.create_sheet("Search results, projects")
    sheet.append(PROJECT_COLUMNS)
    programme = "Interreg V-B - Baltic Sea"
    for n in range(projects):
        sheet.append(
            project(programme, "2014-2020", None, f"P{n}", f"Project {n}", "01/01/2016", "31/12/2019", 1_000_000, 800_000)
        )
    sheet = book.create_sheet("Search results, partners")
    sheet.append(PARTNER_COLUMNS)
    for n in range(projects):
        for k in range(rng.randint(2, 7)):
            sheet.append(partner(programme, None, f"P{n}", f"Org {rng.randrange(projects)}", "Yes" if k == 0 else "No", "PL",
                                 str(900_000_000 + rng.randrange(projects)), None, "PL84", 100_000))  # fmt: skip
    book.save(path)


def cordis(projects: int, folder: Path) -> None:
    with (PROJECT / "tests" / "golden" / "cordis-projects" / "project.csv").open(encoding="utf-8", newline="") as handle:
        p_template = next(iter(csv.DictReader(handle, delimiter=";")))
    with (PROJECT / "tests" / "golden" / "cordis-organisations" / "organization.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        o_template = next(iter(csv.DictReader(handle, delimiter=";")))
    rng = random.Random(3)
    with (folder / "project.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(p_template), delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for n in range(projects):
            writer.writerow({**p_template, "id": str(200_000_000 + n), "acronym": f"C{n}"})
    with (folder / "organization.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(o_template), delimiter=";", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for n in range(projects):
            for k in range(rng.randint(2, 8)):
                organisation = str(990_000_000 + rng.randrange(projects))
                writer.writerow({**o_template, "projectID": str(200_000_000 + n), "organisationID": organisation,
                                 "role": "coordinator" if k == 0 else "participant"})  # fmt: skip


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


STAGES = {  # the build's progress message that starts each stage
    "writing the sources": "load",
    "validating with SHACL": "validate",
    "reconciling": "publish",
}


def child(kind: str, files: list[str]) -> dict[str, object]:
    """Runs in a fresh process: a whole build of the seed data plus the export files, timed stage
    by stage from the build's own progress messages (map, load into the new build's store,
    validate, reconcile + publish), with the peak memory at the end of each."""
    from loaders.build import BuildConfig, build
    from loaders.core.progress import Advance

    data_dir = OUT / f"data-{kind}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    for entry in (PROJECT / "data").iterdir():
        if entry.name != "sources.yaml":
            (data_dir / entry.name).symlink_to(entry)
    kinds = {"kohesio": ["kohesio-projects"], "keep-eu": ["keep-eu"], "cordis": ["cordis-projects", "cordis-organisations"]}
    sources = (PROJECT / "data" / "sources.yaml").read_text(encoding="utf-8")
    sources += "".join(f"  - {{kind: {k}, path: {json.dumps(f)}}}\n" for k, f in zip(kinds[kind], files, strict=True))
    (data_dir / "sources.yaml").write_text(sources, encoding="utf-8")
    work = OUT / f"work-{kind}"
    shutil.rmtree(work, ignore_errors=True)  # no export cache: every row is mapped
    config = BuildConfig(
        data_dir=data_dir, sources_file=data_dir / "sources.yaml", store_dir=work / "store", report_dir=work / "reports"
    )
    figures: dict[str, object] = {"kind": kind, "start_mib": round(_peak_mib())}
    stage, started = "map", time.perf_counter()

    def progress(step: str | Advance) -> None:
        nonlocal stage, started
        following = next((name for prefix, name in STAGES.items() if str(step).startswith(prefix)), None)
        if following is not None:
            figures[stage] = (time.perf_counter() - started, _peak_mib())
            stage, started = following, time.perf_counter()

    info, outcome = build(config, progress)
    figures[stage] = (time.perf_counter() - started, _peak_mib())
    assert outcome is not None
    figures["rows"] = sum(s.read for s in outcome.summaries)
    figures["rejected"] = sum(s.rejected for s in outcome.summaries)
    derived = ("provenance", "ontology", "shapes", "reconciliation-")
    figures["triples"] = sum(n for graph, n in info.graphs.items() if not graph.rsplit("/", 1)[-1].startswith(derived))
    started = time.perf_counter()
    build(config, force=True)  # again, every file unchanged: mapping is skipped (the export cache), the rest redone
    figures["rebuild"] = time.perf_counter() - started
    started = time.perf_counter()
    build(config)  # and without --force: nothing has changed, so nothing is done
    figures["unchanged"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kohesio-rows", type=int, default=20_000)
    parser.add_argument("--keep-projects", type=int, default=5_000)
    parser.add_argument("--cordis-projects", type=int, default=5_000)
    parser.add_argument("--only", nargs="*", choices=["kohesio", "keep-eu", "cordis"], help="run only these loaders")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1:])))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.only or "kohesio" in args.only:
        kohesio(args.kohesio_rows, OUT / "kohesio.csv")
    if not args.only or "keep-eu" in args.only:
        keep_eu(args.keep_projects, OUT / "keep-eu.xlsx")
    if not args.only or "cordis" in args.only:
        cordis(args.cordis_projects, OUT)
    jobs = [
        ("kohesio", [OUT / "kohesio.csv"]),
        ("keep-eu", [OUT / "keep-eu.xlsx"]),
        ("cordis", [OUT / "project.csv", OUT / "organization.csv"]),
    ]
    columns = "map s | load s | validate s | publish s | total s | rows/s end to end | peak MiB | forced rebuild s | unchanged s"
    print(f"| loader | rows | triples | {columns} |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, files in jobs:
        if args.only and kind not in args.only:
            continue
        result = subprocess.run(
            [sys.executable, __file__, "--child", kind, *map(str, files)], capture_output=True, text=True, check=True
        )
        r = json.loads(result.stdout.strip().splitlines()[-1])
        (OUT / f"result-{kind}.json").write_text(json.dumps(r, indent=2), encoding="utf-8")  # stage by stage
        stages = [r[stage] for stage in ("map", "load", "validate", "publish")]
        total = sum(seconds for seconds, _ in stages)
        times = " | ".join(f"{seconds:.1f}" for seconds, _ in stages)
        peak = max(mib for _, mib in stages)
        figures = f"{times} | {total:.1f} | {r['rows'] / total:,.0f} | {peak:,.0f} | {r['rebuild']:.1f} | {r['unchanged']:.1f}"
        print(f"| {kind} | {r['rows']:,} | {r['triples']:,} | {figures} |")


if __name__ == "__main__":
    main()
