"""Matches on real data, judged as people judge them: a real Interreg partner list and a strategy
written as a regional team would, built with `s3kg load`, then read with `s3kg matches`."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from live_server import live_server
from test_real_files import REAL, loaded_project, s3kg, select

from loaders.link.matching import RULES
from server.backends.embedded.backend import EmbeddedBackend

SWEDISH = REAL / "interreg-sweden-partners-2021-2027.json"
NORRBOTTEN = """\
id: ovre-norrland-2021-2027
region: SE33
language: sv
title: {sv: "Smart specialisering i Övre Norrland"}
priorities:
  - id: forskning-innovation
    name: {sv: "Forskning och innovation"}
    objectives: [RSO1.1]
  - id: gron-omstallning
    name: {sv: "Grön omställning", en: "Green transition"}
    objectives: [RSO2.6]
"""
PRIORITY = "https://w3id.org/s3kg/id/strategy/ovre-norrland-2021-2027/priority/forskning-innovation"


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("matches")
    (root / "data" / "strategies").mkdir(parents=True)
    project, _ = loaded_project(root / "p", "jems-partners", SWEDISH)
    (project / "data" / "strategies" / "ovre-norrland.yaml").write_text(NORRBOTTEN, encoding="utf-8")
    built = s3kg(project, "build")
    assert built.returncode == 0, built.stderr[-3000:]
    return project, built


def test_projects_with_a_partner_in_the_region_and_the_objective_serve_the_priority(matched: Any) -> None:
    """Expected from the file alone: projects with RSO1.1 and a partner in Övre Norrland (SE33)."""
    project, _ = matched
    rows = json.loads(SWEDISH.read_text(encoding="utf-8"))
    expected = {r["projektnamn"] for r in rows if r["specifiktmal"] == "RSO1.1" and r["nuts2"] == "Övre Norrland"}
    query = f"""SELECT ?title ?region WHERE {{ ?p s3:servesPriority <{PRIORITY}> ; dcterms:title ?title .
        ?m s3:matchedProject ?p ; s3:matchedPriority <{PRIORITY}> ; s3:matchRule "region-and-code" ;
           s3:sharedRegion/skos:notation ?region }}"""
    found = select(project, query)
    assert {r["title"] for r in found} == expected and len(expected) >= 2
    assert all(r["region"].startswith("SE33") and len(r["region"]) == 5 for r in found), "the deepest region: a län"


def explained(project: Path, iri: str) -> list[str]:
    """`s3kg matches IRI --explain` as a user runs it: one text per match (its lines joined)."""
    said = s3kg(project, "matches", iri, "--explain")
    assert said.returncode == 0, said.stderr
    return [" ".join(entry.split()) for entry in re.split(r"^\d+\. ", said.stdout, flags=re.MULTILINE) if entry.strip()]


def test_s3kg_matches_explains_each_match(matched: Any) -> None:
    project, _ = matched
    text = " ".join(explained(project, PRIORITY))
    assert "rule region-and-code, score 1, where they meet: SE33" in text and "the rule: A partner of the project" in text
    assert "rso1.1" in text.lower() and "Forskning och innovation (Smart specialisering i Övre Norrland)" in text


def test_s3kg_matches_refuses_what_is_not_an_iri_and_says_when_nothing_matches(matched: Any) -> None:
    project, _ = matched
    assert s3kg(project, "matches", "not an iri>").returncode == 2
    none = s3kg(project, "matches", "https://w3id.org/s3kg/id/project/none")
    assert none.returncode == 1 and "No match" in none.stderr


def test_the_priority_page_lists_its_projects_with_score_and_why_and_a_project_page_its_priorities(matched: Any) -> None:
    project, _ = matched
    with live_server(EmbeddedBackend(project / "var" / "store"), workers=1) as base:
        page = httpx.get(base + "id/strategy/ovre-norrland-2021-2027/priority/forskning-innovation").text
        assert "Projects that serve this priority" in page
        rows = re.findall(
            r'<tr><th scope="row"><a href="([^"]+)">([^<]+)</a></th>\s*<td>([^<]+)</td>\s*<td>rule <code>([^<]+)</code>', page
        )
        titles = {
            r["title"]
            for r in select(project, f"SELECT ?title WHERE {{ ?p s3:servesPriority <{PRIORITY}> ; rdfs:label ?title }}")
        }
        assert {html.unescape(name) for _, name, _, _ in rows} == titles
        rules = {rule for *_, rule in rows}
        assert "region-and-code" in rules and rules <= set(RULES)
        assert any(r.endswith("-and-text") for r in rules) == ("words both use" in page), "a match by text names its words"
        assert "where they meet" in page and "Developing and enhancing research and innovation" in page
        first = httpx.get(urljoin(base, rows[0][0])).text
        assert "Priorities this project serves" in first and "Forskning och innovation" in first
        swedish = httpx.get(urljoin(base, rows[0][0]), headers={"Accept-Language": "sv"}).text
        assert "Prioriteringar som projektet tjänar" in swedish
