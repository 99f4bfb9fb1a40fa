"""Loader benchmark for the real exports: rows per second and peak memory, one fresh process
per loader, on synthetic files in each export's exact layout (the golden fixtures' columns).

    python bench/exports_bench.py --kohesio-rows 20000 --keep-projects 5000 --cordis-projects 5000
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
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
                }
            )


def keep_eu(projects: int, path: Path) -> None:
    sys.path.insert(0, str(PROJECT / "tests" / "golden" / "keep-eu"))
    from make_workbook import partner, project

    from loaders.keep_eu import PARTNER_COLUMNS, PROJECT_COLUMNS

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


def child(kind: str, files: list[str]) -> dict[str, object]:
    from rdflib import RDFS, URIRef

    from loaders import cordis as cordis_loader
    from loaders.cci_table import load_cci_table
    from loaders.country_table import load_country_table
    from loaders.iris import IriMinter
    from loaders.keep_eu import load_keep_eu, normalise
    from loaders.kohesio import load_kohesio_projects

    minter = IriMinter("https://w3id.org/s3kg/id/")
    countries, _ = load_country_table(PROJECT / "data" / "reference" / "eu-authority-country-skos.rdf", "c", URIRef("http://x"))
    cci, _ = load_cci_table(
        PROJECT / "data" / "reference" / "cci_codes_2014-2020.csv", "cci", minter, countries, URIRef("http://x")
    )
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    if kind == "kohesio":
        load, _ = load_kohesio_projects(Path(files[0]), "k", minter, countries, cci.codes)
        rows, triples = load.summary.read, len(load.graph)
    elif kind == "keep-eu":
        names = {normalise(str(o)): s for s, o in cci.graph.subject_objects(RDFS.label)}
        keep, _ = load_keep_eu(Path(files[0]), "keep", minter, names, countries)
        rows, triples = sum(s.read for s in keep.summaries), len(keep.graph)
    else:
        projects, _ = cordis_loader.load_projects(Path(files[0]), "p", minter)
        organisations, _ = cordis_loader.load_organisations(Path(files[1]), "o", minter, countries, projects.projects)
        rows, triples = projects.summary.read + organisations.summary.read, len(projects.graph) + len(organisations.graph)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "kind": kind,
        "rows": rows,
        "triples": triples,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "peak_mib": round(peak),
        "peak_above_start_mib": round(peak - base),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kohesio-rows", type=int, default=20_000)
    parser.add_argument("--keep-projects", type=int, default=5_000)
    parser.add_argument("--cordis-projects", type=int, default=5_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1:])))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    kohesio(args.kohesio_rows, OUT / "kohesio.csv")
    keep_eu(args.keep_projects, OUT / "keep-eu.xlsx")
    cordis(args.cordis_projects, OUT)
    jobs = [
        ("kohesio", [OUT / "kohesio.csv"]),
        ("keep-eu", [OUT / "keep-eu.xlsx"]),
        ("cordis", [OUT / "project.csv", OUT / "organization.csv"]),
    ]
    print("| loader | rows | triples | seconds | rows/s | peak MiB (above start) |")
    print("|---|---|---|---|---|---|")
    for kind, files in jobs:
        result = subprocess.run(
            [sys.executable, __file__, "--child", kind, *map(str, files)], capture_output=True, text=True, check=True
        )
        r = json.loads(result.stdout.strip().splitlines()[-1])
        figures = f"{r['seconds']} | {r['rows_per_second']:,} | {r['peak_mib']:,} ({r['peak_above_start_mib']:,})"
        print(f"| {kind} | {r['rows']:,} | {r['triples']:,} | {figures} |")


if __name__ == "__main__":
    main()
