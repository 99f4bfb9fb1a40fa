"""The query editor as people use it: `/sparql?query=…` opened in a browser shows the query and its
answer (rows, yes/no, or a CONSTRUCT's triples) with downloads, on a live server over the real
build; the same query answered as JSON by the endpoint is what the page shows. Then Chromium,
with JavaScript (an example, a CONSTRUCT, the address updated) and without (the form)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pyoxigraph as ox
import pytest
from live_server import live_server
from playwright.sync_api import Browser

from server.backends.embedded.backend import EmbeddedBackend

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PROGRAMMES = "SELECT ?programme ?title WHERE { ?programme a s3:Programme ; rdfs:label ?title } ORDER BY ?title LIMIT 7"
CONSTRUCT = "CONSTRUCT { ?p s3:programme ?prog } WHERE { ?p s3:acronym ?a ; s3:programme ?prog } ORDER BY ?p LIMIT 12"


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url


def _page(base: str, query: str, **headers: str) -> httpx.Response:
    return httpx.get(base + "sparql", params={"query": query}, headers={"Accept": BROWSER_ACCEPT, **headers})


def _cells(page: str) -> list[list[str]]:
    body = page[page.index('<table class="results">') :]
    rows = re.findall(r"<tr>(.*?)</tr>", body[body.index("<tbody>") :])

    def plain(row: str) -> list[str]:
        return [re.sub(r"<small>@[^<]*</small>", "", c) for c in re.findall(r"<td>(.*?)</td>", row)]  # the language tags

    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in plain(row)] for row in rows]


def test_a_shared_query_address_opens_the_editor_with_the_answer_the_endpoint_gives(base: str) -> None:
    page = _page(base, PROGRAMMES)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f">{html.escape(PROGRAMMES)}</textarea>" in page.text and "<header>" in page.text
    answer = httpx.get(base + "sparql", params={"query": PROGRAMMES}, headers={"Accept": "application/sparql-results+json"})
    expected = [[b["programme"]["value"], b["title"]["value"]] for b in answer.json()["results"]["bindings"]]
    shown = _cells(page.text)
    assert [row[1] for row in shown] == [title for _, title in expected] and len(shown) == 7
    assert all(f'href="/id/{iri.split("/id/", 1)[1]}"' in page.text for iri, _ in expected)  # entities open their pages
    assert '<p id="status" role="status">7 rows</p>' in page.text


def test_a_construct_is_shown_as_triples_with_downloads_in_every_graph_format(base: str) -> None:
    page = _page(base, CONSTRUCT)
    shown = _cells(page.text)
    assert len(shown) == 12 and all(row[1] == "s3:programme" for row in shown)
    links = dict(re.findall(r'<a href="(/sparql\?query=[^"]+)">([^<]+)</a>', html.unescape(page.text)))
    names = {name: href for href, name in links.items()}
    assert set(names) == {"Turtle", "N-Triples", "JSON-LD", "RDF/XML"}
    turtle = httpx.get(base + names["Turtle"].lstrip("/"), headers={"Accept": BROWSER_ACCEPT})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert len(list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))) == 12


def test_ask_and_errors_are_shown_in_the_page_with_the_query_kept(base: str) -> None:
    assert "Answer: true" in _page(base, "ASK { ?s a s3:Project }").text
    wrong = _page(base, "SELEC ?x WHERE { ?x ?p ?o }", **{"Accept-Language": "fr"})
    assert wrong.status_code == 400 and "1:1" in wrong.text and "SELEC ?x" in wrong.text and '<html lang="fr">' in wrong.text
    chosen = httpx.get(base + "sparql", params={"query": "ASK {}", "lang": "pl"}, headers={"Accept": BROWSER_ACCEPT})
    assert '<html lang="pl">' in chosen.text  # ?lang= chooses, as on every page
    hostile = _page(base, 'SELECT ("</textarea><script>alert(1)</script>" AS ?x) {}')
    assert "<script>alert(1)" not in hostile.text and "&lt;/textarea&gt;&lt;script&gt;" in hostile.text


def test_a_long_answer_shows_its_first_thousand_rows_and_clients_still_get_their_formats(base: str) -> None:
    page = _page(base, "SELECT ?s WHERE { ?s a s3:Participation }")
    assert len(_cells(page.text)) == 1000 and "the page shows the first 1000" in page.text
    for accept, media in [("*/*", "application/sparql-results+json"), ("text/csv", "text/csv")]:
        answer = httpx.get(base + "sparql", params={"query": "ASK {}"}, headers={"Accept": accept})
        assert answer.headers["content-type"].startswith(media), accept


def test_in_a_browser_an_example_runs_a_construct_shows_triples_and_the_address_holds_the_query(
    browser: Browser, base: str
) -> None:
    page = browser.new_page()
    page.goto(base + "sparql")
    page.wait_for_function("document.querySelectorAll('#examples option').length > 60")
    labels = page.locator("#examples option").all_inner_texts()
    page.locator("#examples").select_option(index=next(i for i, text in enumerate(labels) if text.startswith("cq61: ")))
    page.get_by_role("button", name="Run query").click()
    page.wait_for_selector("table.results td")
    assert page.locator("table.results tbody tr").first.locator("td").first.inner_text() == "CITY OF RIJEKA@und"
    page.locator("#query").fill(CONSTRUCT)
    page.get_by_role("button", name="Run query").click()
    page.wait_for_function("document.querySelectorAll('table.results tbody tr').length === 12")
    assert page.locator("table.results th").all_inner_texts() == ["subject", "predicate", "object"]
    assert parse_qs(urlparse(page.url).query)["query"] == [CONSTRUCT]
    assert "N-Triples" in page.locator("#downloads").inner_text()
    page.close()


def test_without_javascript_the_form_shows_the_answer_in_the_page(browser: Browser, base: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "sparql")
    page.locator("#query").fill(PROGRAMMES)
    page.get_by_role("button", name="Run query").click()
    page.wait_for_load_state()
    assert page.locator("table.results tbody tr").count() == 7 and "query=" in page.url
    context.close()
