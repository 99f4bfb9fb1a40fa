"""A real national S3 annex written as strategy files, as a regional team would: the 14 Czech
regions' domains of Annex 2 of the National RIS3 (91 domains with their CZ-NACE divisions, 72
emerging topics, all in Czech, no English), one file per region in the layout of
docs/strategies.md, then `s3kg build`. The annex as published names a division NACE Rev. 2 does
not have; the build refuses it naming file, line, code and the nearest divisions, and builds once
the team takes it out."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_real_files import REAL, new_project, s3kg, select

ANNEX = REAL / "cz-nris3-annex2-domains.json"
CZ = "https://w3id.org/s3kg/id/strategy/cz-"


def _id(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", "".join(c for c in folded if not unicodedata.combining(c))).strip("-")[:48].strip("-")


def _write(project: Path, annex: dict[str, Any], codes: dict[str, str], drop: str = "") -> dict[str, Path]:
    """One strategy file per region, the annex's words and codes as they are (but `drop`)."""
    files = {}
    for region, strategy in annex["kraje"].items():
        priorities = [
            {"id": _id(d["nazev"]), "name": {"cs": d["nazev"]}, "description": {"cs": d["popis"]},
             "nace": [c for c in d["cz_nace"] if c != drop]}
            for d in strategy["domeny"]
        ]  # fmt: skip
        emerging = [{"id": f"{n}-{_id(text)}", "name": {"cs": text}} for n, text in enumerate(strategy.get("emerging", []), 1)]
        document = {
            "id": f"cz-{_id(region)}",
            "region": codes[region],
            "language": "cs",
            "period": "2021-2027",
            "title": {"cs": f"Krajská karta RIS3: {region}"},
            "document": {
                "url": "https://github.com/kristyne/ris3-mapa-cr/blob/main/public/data/domeny_kraje.json",
                "title": {"cs": "Příloha 2 NRIS3 v08 (MPO, prosinec 2025), krajské karty"},
                "publisher": "Ministerstvo průmyslu a obchodu",
            },
            "priorities": priorities,
            "emerging": emerging,
        }
        path = project / "data" / "strategies" / f"cz-{_id(region)}.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        files[region] = path
    return files


@pytest.fixture(scope="module")
def annex() -> tuple[dict[str, Any], dict[str, str]]:
    data = json.loads(ANNEX.read_text(encoding="utf-8"))
    codes = {  # the NUTS 3 codes of the 14 regions (kraje)
        "Hl. m. Praha": "CZ010", "Středočeský kraj": "CZ020", "Jihočeský kraj": "CZ031", "Plzeňský kraj": "CZ032",
        "Karlovarský kraj": "CZ041", "Ústecký kraj": "CZ042", "Liberecký kraj": "CZ051", "Královéhradecký kraj": "CZ052",
        "Pardubický kraj": "CZ053", "Vysočina": "CZ063", "Jihomoravský kraj": "CZ064", "Olomoucký kraj": "CZ071",
        "Zlínský kraj": "CZ072", "Moravskoslezský kraj": "CZ080",
    }  # fmt: skip
    assert set(data["kraje"]) == set(codes)
    return data, codes


def test_the_annex_as_published_is_refused_at_the_division_nace_rev2_does_not_have(tmp_path: Path, annex: Any) -> None:
    project = new_project(tmp_path / "p")
    files = _write(project, *annex)
    built = s3kg(project, "build")
    assert built.returncode != 0
    said = " ".join(built.stderr.split())
    lines = files["Moravskoslezský kraj"].read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip() == "- '34'")
    assert f"cz-moravskoslezsky-kraj.yaml:{line}" in said and "field 'nace'" in said, said[-2000:]
    assert "NACE Rev. 2 has no division 34" in said and "C33" in said, said[-2000:]
    assert not (project / "var" / "store" / "current").exists(), "nothing published"


def test_the_annex_builds_with_every_domain_code_and_emerging_topic_in_czech(tmp_path: Path, annex: Any) -> None:
    data, codes = annex
    project = new_project(tmp_path / "p")
    _write(project, data, codes, drop="34")
    built = s3kg(project, "build")
    assert built.returncode == 0, built.stderr[-3000:]
    counts = select(
        project,
        f"""SELECT (COUNT(DISTINCT ?d) AS ?domains) (COUNT(DISTINCT ?t) AS ?topics) (COUNT(DISTINCT ?s) AS ?strategies)
        WHERE {{ ?s s3:region ?r FILTER STRSTARTS(STR(?s), "{CZ}")
                 ?d s3:strategy ?s ; a s3:S3Domain OPTIONAL {{ ?t a s3:EmergingTopic ; s3:strategy ?s }} }}""",
    )[0]
    emerging = sum(len(s.get("emerging", [])) for s in data["kraje"].values())
    assert (int(counts["strategies"]), int(counts["domains"]), int(counts["topics"])) == (14, 91, emerging) == (14, 91, 72)
    sectors = select(
        project,
        f"""SELECT DISTINCT ?code WHERE {{ ?d s3:strategy ?s ; s3:naceSector/skos:notation ?code
        FILTER STRSTARTS(STR(?s), "{CZ}") }}""",
    )
    written = {c for s in data["kraje"].values() for d in s["domeny"] for c in d["cz_nace"]} - {"34"}
    assert {r["code"] for r in sectors} == written, "each bare division resolved to its NACE division"
    english = select(
        project, f'SELECT ?d WHERE {{ ?d a s3:S3Domain ; rdfs:label ?l FILTER(STRSTARTS(STR(?d), "{CZ}") && lang(?l) = "en") }}'
    )
    assert english == [], "names in the strategy's language only: none invented in English"
