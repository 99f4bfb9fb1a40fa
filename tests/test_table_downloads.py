"""A table view's downloads carry what a portal's export does: the projects, and their partners
on a sheet of their own (names in the reader's language beside the IRIs, budgets as numbers),
for exactly the view's projects. On a live server over the real default build, each figure
checked against SPARQL over the same store."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from loaders.core.queries import select_values

CENTRAL_EUROPE = "https://w3id.org/s3kg/id/programme/2014TC16RFTN003"
AURORA = "https://w3id.org/s3kg/id/programme/2021-2027-interreg-aurora"
FABLABNET = "https://w3id.org/s3kg/id/project/keep-interreg-vb-central-europe-2014-2020-fablabnet"


def _participations(built: Any, programme: str) -> set[tuple[str, str]]:
    query = f"SELECT ?p ?o WHERE {{ ?p a s3:Project ; s3:programme <{programme}> ; s3:hasParticipation/s3:participant ?o }}"
    return {(p, o) for p, o in select_values(built.store, query)}


def test_the_partners_of_a_views_projects_download_as_csv(site: str, built: Any) -> None:
    answer = httpx.get(site + "browse/Project", params={"programme": CENTRAL_EUROPE, "format": "csv", "sheet": "partners"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="projects-partners.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {(r["project_iri"], r["organisation_iri"]) for r in rows} == _participations(built, CENTRAL_EUROPE)
    fablabnet = [r for r in rows if r["project_iri"] == FABLABNET]
    lead = next(r for r in fablabnet if r["role_iri"].endswith("/lead-partner"))
    assert lead["organisation"] == "MUSE – Science Museum" and lead["role"] == "Lead partner" and lead["country"] == "Italy"
    assert {r["project"] for r in fablabnet} == {"FabLabNet"}


def test_the_xlsx_of_a_view_holds_its_projects_their_partners_and_the_query(site: str, built: Any) -> None:
    answer = httpx.get(site + "browse/Project", params={"programme": CENTRAL_EUROPE, "format": "xlsx", "lang": "fr"})
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert book.sheetnames == ["projects", "partners", "query"]
    projects = list(book["projects"].iter_rows(values_only=True))
    partners = list(book["partners"].iter_rows(values_only=True))
    heading = list(partners[0])
    assert heading[:3] == ["project_iri", "project", "organisation"]
    assert {(r[0], r[heading.index("organisation_iri")]) for r in partners[1:]} == _participations(built, CENTRAL_EUROPE)
    assert {r[0] for r in partners[1:]} <= {r[0] for r in projects[1:]}
    assert "Chef de file" in {r[heading.index("role")] for r in partners[1:]}  # the lead partner, in the reader's language
    answer = httpx.get(site + "browse/Project", params={"programme": AURORA, "format": "xlsx"})
    partners = list(load_workbook(io.BytesIO(answer.content), read_only=True)["partners"].iter_rows(values_only=True))
    budgets = [r[heading.index("budget")] for r in partners[1:] if r[heading.index("budget")] not in (None, "")]
    query = f"SELECT ?p ?b WHERE {{ ?p s3:programme <{AURORA}> ; s3:hasParticipation/s3:partnerBudget/schema:value ?b }}"
    assert all(isinstance(b, int | float) for b in budgets) and len(budgets) == len(list(select_values(built.store, query)))
    assert sum(budgets) == pytest.approx(sum(float(b) for _, b in select_values(built.store, query)))


def test_a_sheet_the_table_does_not_have_is_refused_naming_the_ones_it_has(site: str) -> None:
    answer = httpx.get(site + "browse/Project", params={"format": "csv", "sheet": "budgets"})
    assert answer.status_code == 400 and "its sheets: partners" in answer.text
    answer = httpx.get(site + "browse/Organisation", params={"format": "csv", "sheet": "partners"})
    assert answer.status_code == 400 and "its sheets: none" in answer.text


def test_the_table_page_links_the_partners_download_of_its_view(site: str) -> None:
    page = httpx.get(site + "browse/Project", params={"programme": CENTRAL_EUROPE}).text
    assert "format=csv&amp;sheet=partners" in page and "programme=https%3A%2F%2Fw3id.org" in page
