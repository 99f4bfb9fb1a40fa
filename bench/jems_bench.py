"""Loading Jems partner lists: 100,000 partner rows as JSON, CSV and XLSX, side by side in one run,
each loaded in a fresh process (time and peak memory of the whole process).

    python bench/jems_bench.py --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

PROJECT = Path(__file__).resolve().parent.parent
COLUMNS = ["Programme", "Project name", "Project acronym", "Partner name", "Partner role", "Partner budget", "Start date",
           "End date", "NUTS region", "Policy objective", "Specific objective", "Country"]  # fmt: skip
OBJECTIVES = [("PO1", "RSO1.1"), ("PO1", "RSO1.3"), ("PO2", "RSO2.1"), ("PO2", "RSO2.8"), ("PO4", "RSO4.6"), ("ISO1", "ISO6.3")]
COUNTRIES = ["Belgium", "Denmark", "Germany", "Netherlands", "Sweden", "Poland", "France", "Norway"]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from loaders.build import PROJECT_ROOT
from loaders.map.reference.countries import load_country_table
from loaders.core.iris import IriMinter
from loaders.map.exports.jems import load_jems_partners
from loaders.core.terms import TripleSink
from rdflib import URIRef
countries, _ = load_country_table(PROJECT_ROOT / "data/reference/eu-authority-country-skos.rdf", "c", URIRef("http://e/s"))
started = time.perf_counter()
with TripleSink(Path(sys.argv[2])) as sink:
    minter = IriMinter("https://w3id.org/s3kg/id/")
    load, problems = load_jems_partners(Path(sys.argv[1]), "partners", minter, countries, {}, sink)
    lines = sink.lines
seconds = time.perf_counter() - started
s = load.summary
print(json.dumps({"seconds": seconds, "read": s.read, "loaded": s.loaded, "rejected": s.rejected, "triples": lines,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def rows(count: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    out: list[list[str]] = []
    project = 0
    while len(out) < count:
        project += 1
        policy, specific = rng.choice(OBJECTIVES)
        programme = f"Interreg Programme {project % 40}"
        for n in range(rng.randint(2, 9)):
            role = "LP" if n == 0 else rng.choice(["PP", "PP", "PP", "AP"])
            budget = "" if role == "AP" else f"{rng.randint(10_000, 2_000_000)}.{rng.randint(0, 99):02d}"
            out.append([
                programme, f"Project {project} on {specific}", f"P{project}", f"Organisation {rng.randint(1, 60_000)}", role,
                budget, "2023-01-01", "2026-12-31", "Region", policy, specific, rng.choice(COUNTRIES),
            ])  # fmt: skip
            if len(out) == count:
                break
    return out


def write(folder: Path, table: list[list[str]]) -> dict[str, Path]:
    paths = {"json": folder / "partners.json", "csv": folder / "partners.csv", "xlsx": folder / "partners.xlsx"}
    paths["json"].write_text(json.dumps([dict(zip(COLUMNS, r, strict=True)) for r in table]), encoding="utf-8")
    with paths["csv"].open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        writer.writerows(table)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(COLUMNS)
    for row in table:
        sheet.append(row)
    book.save(paths["xlsx"])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write(folder, rows(args.rows))
        results = {}
        for name, path in paths.items():
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), str(folder / f"{name}.nt")],
                cwd=PROJECT, capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[name] = json.loads(run.stdout) | {
                "process_seconds": time.perf_counter() - started,
                "bytes": path.stat().st_size,
            }
            print(name, results[name], file=sys.stderr)
    fastest = min(r["seconds"] for r in results.values())
    print("| format | file MB | rows read | loaded | rejected | triples | load s | rows/s | ÷ fastest | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        counts = [f"{r['read']:,}", f"{r['loaded']:,}", f"{r['rejected']:,}", f"{r['triples']:,}"]
        speed = [
            f"{r['seconds']:.1f}",
            f"{r['read'] / r['seconds']:,.0f}",
            f"{r['seconds'] / fastest:.2f}×",
            f"{r['peak_mib']:.0f}",
        ]
        cells = [name, f"{r['bytes'] / 1e6:.1f}", *counts, *speed]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
