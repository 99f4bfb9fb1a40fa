"""A search as a view people keep: its hits downloaded as CSV or XLSX, and the projects or
organisations it finds opened in their table (?q=), there faceted, filtered, sorted and
downloaded like any table view. On a live server over the real default build."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from live_server import live_server
from openpyxl import load_workbook

from server.backends.embedded.backend import MemoryBackend
from server.pages import tables

S3 = "https://w3id.org/s3kg/ontology#"
ESF = "https://w3id.org/s3kg/id/programme/2014DE05SFOP014"


def _csv(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_a_search_downloads_its_hits_best_first_with_their_kinds(site: str) -> None:
    found = httpx.get(site + "search", params={"q": "textiel", "format": "json"}).json()
    rows = _csv(httpx.get(site + "search", params={"q": "textiel", "format": "csv"}))
    assert len(rows) == found["total"] > 20  # every hit, not the page's 20
    assert [r["iri"] for r in rows[:20]] == [h["iri"] for h in found["hits"]]
    assert {r["type_iri"] for r in rows} >= {S3 + "Project", S3 + "S3Domain"}
    assert float(rows[0]["score"]) >= float(rows[-1]["score"])
    answer = httpx.get(site + "search", params={"q": "textiel", "type": "Project", "format": "xlsx", "lang": "fr"})
    assert answer.headers["content-disposition"] == 'attachment; filename="search.xlsx"'
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    sheet = list(book["search"].iter_rows(values_only=True))
    heading = list(sheet[0])
    assert len(sheet) - 1 == found["facets"]["Project"]
    assert {r[heading.index("type")] for r in sheet[1:]} == {"Projet"}  # the kind in the reader's language
    assert all(isinstance(r[heading.index("score")], float) for r in sheet[1:])
    assert [row[0] for row in book["query"].iter_rows(values_only=True)] == ["search", "q='textiel' type=Project"]


def test_the_search_page_links_its_downloads(site: str) -> None:
    page = httpx.get(site + "search", params={"q": "energy"}).text
    assert 'href="/search?q=energy&amp;format=csv"' in page and 'href="/search?q=energy&amp;format=xlsx"' in page


def test_a_search_opens_in_the_project_table_with_the_same_projects(site: str) -> None:
    searched = _csv(httpx.get(site + "search", params={"q": "textiel", "type": "Project", "format": "csv"}))
    table = _csv(httpx.get(site + "browse/Project", params={"q": "textiel", "format": "csv"}))
    assert {r["iri"] for r in table} == {r["iri"] for r in searched} and len(table) > 5
    page = httpx.get(site + "browse/Project", params={"q": "textiel"}).text
    assert "Matching “textiel”" in page and f"{len(table)} in all" in page
    assert 'name="q" type="search" value="textiel"' in page  # the form keeps the words
    assert "<h2>programme</h2>" in page  # faceted like any view


def test_a_search_in_the_table_combines_with_facets_and_sorting(site: str) -> None:
    everything = {r["iri"] for r in _csv(httpx.get(site + "browse/Project", params={"q": "projekt", "format": "csv"}))}
    esf = _csv(httpx.get(site + "browse/Project", params={"q": "projekt", "programme": ESF, "sort": "budget", "format": "csv"}))
    in_esf = {r["iri"] for r in _csv(httpx.get(site + "browse/Project", params={"programme": ESF, "format": "csv"}))}
    assert {r["iri"] for r in esf} == everything & in_esf and esf
    budgets = [float(r["budget"]) for r in esf if r["budget"]]
    assert budgets == sorted(budgets)
    page = httpx.get(site + "browse/Project", params={"q": "projekt", "programme": ESF}).text
    assert 'href="?q=projekt"' in page  # taking the programme away keeps the words


def test_a_search_with_more_hits_than_a_view_keeps_says_so(site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "SEARCH_ROWS", 10)
    page = httpx.get(site + "browse/Project", params={"q": "textiel"}).text
    assert "the best 10 of" in page and "10 in all" in page


def test_a_search_that_finds_nothing_of_the_class_is_an_empty_view(site: str) -> None:
    page = httpx.get(site + "browse/Organisation", params={"q": "zzyzx qwxv"})
    assert page.status_code == 200 and "0 in all" in page.text
    assert _csv(httpx.get(site + "browse/Project", params={"q": "2014TC16RFCB044", "format": "csv"})) == []


def test_the_search_page_opens_its_projects_and_organisations_in_their_tables(site: str) -> None:
    page = httpx.get(site + "search", params={"q": "energy", "lang": "nl"}).text
    assert 'href="/browse/Project?q=energy"' in page and 'href="/browse/Organisation?q=energy"' in page
    assert "in de tabel" in page


def test_a_search_in_a_table_without_a_search_index_says_so() -> None:
    """A store served without its build's folder (no search index): the table says search is not
    available (503) instead of showing every project as if they matched."""
    data = b"<http://example.org/id/p> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" + S3.encode() + b"Project> .\n"
    with live_server(MemoryBackend(data, "no-index"), workers=1, base_iri="http://example.org/id/") as url:
        answer = httpx.get(url + "browse/Project", params={"q": "energy"})
        plain = httpx.get(url + "browse/Project")
    assert answer.status_code == 503 and "Search is not available here" in answer.text
    assert plain.status_code == 200  # the table itself still answers
