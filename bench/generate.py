"""Synthetic S3 sources at the scale of keep.eu, for benchmarks.

Writes a copy of data/ plus `curated/synthetic-*.yaml`: programmes are the 76 real
Interreg 2014-2020 programmes (CCI table); projects (33,000 at scale 1), organisations
(60,000) and partnerships (about 181,000: 1 lead partner and 1-8 partners each) are
random but reproducible (fixed seed), with budgets, dates, domains and countries.

    python bench/generate.py --scale 1.0 --out bench/out/data-1.0
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
COUNTRIES = [
    "AUT",
    "BEL",
    "BGR",
    "HRV",
    "CYP",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
    "NOR",
    "CHE",
]
DOMAINS = ["new-materials-chemistry", "textiles", "health-care", "agriculture-food", "cultural-creative-industries"]
ORG_TYPES = [
    "university",
    "research-technology-centre",
    "competitiveness-cluster",
    "development-agency",
    "enterprise",
    "hospital",
]


def _interreg_programmes() -> list[str]:
    with (PROJECT / "data" / "reference" / "cci_codes_2014-2020.csv").open(encoding="utf-8") as handle:
        return [row["cci"] for row in csv.DictReader(handle) if row["country_code"] == "TC"]


def generate(scale: float, out: Path, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(PROJECT / "data", out)
    (out / "synthetic.txt").write_text("Synthetic benchmark data, not facts.\n", encoding="utf-8")
    programmes = _interreg_programmes()
    n_projects, n_orgs = int(33_000 * scale), int(60_000 * scale)
    lines = [
        "- {type: source-document, id: synthetic, label: {en: Synthetic data}, file: synthetic.txt, language: ENG}",
    ]
    for i in range(n_orgs):
        lines.append(
            f"- {{type: organisation, id: org-{i}, label: {{en: 'Organisation {i}'}}, org_type: {rng.choice(ORG_TYPES)}, "
            f"country: {rng.choice(COUNTRIES)}, source: [synthetic]}}"
        )
    partnerships = 0
    for i in range(n_projects):
        start_year = rng.randint(2015, 2020)
        total = rng.randint(200, 5000) * 1000
        partners = rng.sample(range(n_orgs), rng.randint(2, 9))
        partnerships += len(partners)
        lines.append(f"- type: project\n  id: p-{i}\n  project_type: project\n  acronym: P{i}\n  label: {{en: 'Project {i}'}}")
        lines.append(f"  title: {{en: 'Synthetic project number {i}'}}\n  programme: {rng.choice(programmes)}")
        lines.append(f"  start: {start_year}-{rng.randint(1, 12):02d}-01\n  end: {start_year + rng.randint(1, 4)}-12-31")
        lines.append(
            f"  total_budget: {{amount: {total}, currency: EUR}}\n"
            f"  eu_contribution: {{amount: {total * 85 // 100}, currency: EUR}}"
        )
        lines.append(f"  fund: [erdf]\n  domains: [{', '.join(rng.sample(DOMAINS, rng.randint(1, 2)))}]\n  participations:")
        for rank, org in enumerate(partners):
            role = "lead-partner" if rank == 0 else "partner"
            lines.append(
                f"    - {{organisation: org-{org}, role: {role}, budget: {{amount: {total // len(partners)}, currency: EUR}}}}"
            )
        lines.append("  source: [synthetic]")
    (out / "curated" / "synthetic.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"projects": n_projects, "organisations": n_orgs, "partnerships": partnerships}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = keep.eu size (33,000 projects)")
    parser.add_argument("--out", type=Path, default=PROJECT / "bench" / "out" / "data")
    args = parser.parse_args()
    print(generate(args.scale, args.out))


if __name__ == "__main__":
    main()
