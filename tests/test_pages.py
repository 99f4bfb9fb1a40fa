"""Pages for people on a live server: home, browsing, search, the ontology's documentation."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import live_server
from openpyxl import load_workbook
from rdflib import Graph, URIRef

from server.backends.embedded.backend import EmbeddedBackend


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url


def _items(page: str) -> list[str]:
    return re.findall(r"<li><a href=\"[^\"]+\"[^>]*>([^<]+)</a>", page)


def _count(base: str, pattern: str) -> int:
    query = f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }}"
    answer = httpx.get(base + "sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_home_page_shows_the_dataset_at_a_glance(base: str) -> None:
    page = httpx.get(base).text
    projects = _count(base, "?x a s3:Project")
    assert projects > 4000
    shown = f"{projects:,}".replace(",", "\u202f")  # digits grouped as on every page
    assert re.search(rf"/browse/Project\">Project</a></th><td class=\"number\">{shown}</td>", page)
    assert "Thüringen - ESF" in page and "<svg" in page
    assert "Recent builds" in page and re.search(r"\d{8}T\d+Z", page)


def test_home_page_speaks_dutch_when_asked(base: str) -> None:
    page = httpx.get(base, headers={"Accept-Language": "nl"}).text
    assert '<html lang="nl">' in page and ">Organisatie</a>" in page


def test_browse_pages_and_sorts(base: str) -> None:
    query = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a s3:Programme }"
    answer = httpx.get(base + "sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    programmes = int(answer.json()["results"]["bindings"][0]["n"]["value"])  # both programme tables and the curated ones
    pages = -(-programmes // 50)
    assert programmes > 400 and pages >= 9
    first = httpx.get(base + "browse/Programme").text
    assert f"page 1 of {pages}" in first and len(_items(first)) == 50
    last = httpx.get(base + "browse/Programme", params={"page": pages}).text
    assert len(_items(last)) == programmes - (pages - 1) * 50
    ascending = _items(httpx.get(base + "browse/Sector", params={"sort": "label", "order": "asc"}).text)
    descending = _items(httpx.get(base + "browse/Sector", params={"sort": "label", "order": "desc"}).text)
    assert ascending == sorted(ascending, key=str.casefold) and descending == list(reversed(ascending))


@pytest.mark.parametrize("language", ["en", "pl", "sv"])
def test_table_rows_sort_by_the_label_the_reader_sees(base: str, language: str) -> None:
    def names(order: str) -> list[str]:
        page = httpx.get(base + "browse/Organisation", params={"sort": "label", "order": order, "lang": language}).text
        return re.findall(r'<tr><th scope="row"><a href="[^"]*">([^<]+)</a></th>', page)

    ascending = [html.unescape(name) for name in names("asc")]  # sorted as the reader sees them, not as HTML escapes them
    descending = [html.unescape(name) for name in names("desc")]
    assert len(ascending) == 50 and ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert httpx.get(base + "browse/Nonsense").status_code == 404


@pytest.mark.parametrize("language", ["en", "nl", "de"])
def test_browse_sorts_by_the_labels_the_reader_sees(base: str, language: str) -> None:
    shown = _items(httpx.get(base + "browse/Sector", params={"lang": language}).text)
    assert len(shown) >= 10 and shown == sorted(shown, key=str.casefold)
    if language == "nl":
        english = _items(httpx.get(base + "browse/Sector", params={"lang": "en"}).text)
        assert set(shown) != set(english), "the Dutch page shows Dutch labels"


def test_browse_takes_no_query_text_from_the_language_parameter(base: str) -> None:
    hostile = httpx.get(base + "browse/Sector", params={"lang": 'nl") } } # '})
    assert hostile.status_code == 400 and "language tag" in hostile.text  # refused before any query is made
    assert len(_items(httpx.get(base + "browse/Sector", params={"lang": "nl"}).text)) >= 10


@pytest.mark.parametrize(
    ("term", "found"),
    [("hoofdpartner", "Lead partner"), ("politechnika", "Bialystok University of Technology"), ("VENEZIA", "Venice")],
)
def test_search_finds_labels_in_every_language(base: str, term: str, found: str) -> None:
    assert found in _items(httpx.get(base + "search", params={"q": term}).text)


def test_search_text_is_escaped_and_cannot_change_the_query(base: str) -> None:
    page = httpx.get(base + "search", params={"q": '"} <script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_ontology_is_documented_in_the_readers_language_and_as_rdf(base: str) -> None:
    dutch = httpx.get(base + "ontology", params={"lang": "nl"}, headers={"Accept": "text/html"}).text
    assert "Projectenportefeuille" in dutch and 'id="Portfolio"' in dutch
    french = httpx.get(base + "ontology", headers={"Accept": "text/html", "Accept-Language": "fr"}).text
    assert "Portefeuille de projets" in french
    turtle = Graph().parse(data=httpx.get(base + "ontology", headers={"Accept": "text/turtle"}).text, format="turtle")
    assert (URIRef("https://w3id.org/s3kg/ontology#Portfolio"), None, None) in turtle
    assert httpx.get(base + "ontology.jsonld").headers["content-type"].startswith("application/ld+json")


def test_shapes_are_published_with_their_messages(base: str) -> None:
    page = httpx.get(base + "shapes", headers={"Accept": "text/html"}).text
    assert 'id="DatesInOrder"' in page and "start ≤ end" in page
    turtle = Graph().parse(data=httpx.get(base + "shapes.ttl").text, format="turtle")
    assert (URIRef("https://w3id.org/s3kg/shapes#DatesInOrder"), None, None) in turtle


def test_robots_txt_welcomes_crawlers_to_the_pages_not_to_the_endpoint(base: str) -> None:
    answer = httpx.get(base + "robots.txt")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    lines = answer.text.splitlines()
    assert "User-agent: *" in lines and "Disallow: /sparql" in lines and "Allow: /" in lines


def test_a_class_list_downloads_as_csv_and_xlsx_with_every_member(base: str) -> None:
    query = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a s3:Programme }"
    answer = httpx.get(base + "sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    programmes = int(answer.json()["results"]["bindings"][0]["n"]["value"])
    csv_answer = httpx.get(base + "browse/Programme", params={"format": "csv"})
    assert csv_answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_answer.text)))
    assert rows[0] == ["iri", "label"] and len(rows) - 1 == programmes
    assert ["https://w3id.org/s3kg/id/programme/2014TC16RFTN003", "Interreg V-B - Central Europe"] in rows
    xlsx = httpx.get(base + "browse/Programme", params={"format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    cells = list(book["programme"].iter_rows(values_only=True))
    assert len(cells) - 1 == programmes and all(None not in row[:1] for row in cells)
