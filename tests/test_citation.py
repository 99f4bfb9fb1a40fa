"""CITATION.cff: the software's citation, kept in step with pyproject.toml."""

from __future__ import annotations

import tomllib
from datetime import date

import yaml
from conftest import PROJECT


def test_citation_file_has_what_cff_1_2_requires_and_matches_the_package() -> None:
    cff = yaml.safe_load((PROJECT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors"} <= set(cff) and all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert cff["version"] == project["version"]
    assert cff["license"] == project["license"]  # an SPDX expression (PEP 639), as CFF writes it
    assert isinstance(cff["date-released"], date)
