"""/sources/{document}: the quoted documents as the build quoted them, and each value's passage on its page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import live_server

from loaders.core.quotes import Document
from server.backends.embedded.backend import EmbeddedBackend

SEED_000 = "seeds/000_2f6d8f536b0484ec.txt"


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url


def test_the_text_is_the_checksummed_file_byte_for_byte(base: str, built: Any) -> None:
    answer = httpx.get(base + "sources/seed-000", headers={"Accept": "text/plain"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.content == (built.config.data_dir / SEED_000).read_bytes()
    assert httpx.get(base + "sources/seed-000?format=text").content == answer.content


def test_the_page_marks_the_passage_a_char_range_names(base: str, built: Any) -> None:
    text = Document.read(built.config.data_dir / SEED_000).text
    answer = httpx.get(base + "sources/seed-000?char=1410,1564", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    marked = re.search(r'<mark id="passage">(.*?)</mark>', answer.text, re.DOTALL)
    assert marked is not None
    assert html.unescape(marked.group(1)) == text[1410:1564]
    assert html.unescape(marked.group(1)).startswith("Zij hebben elk activiteiten")


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("char=0,99999", "which has 2573 characters: positions run from 0 to 2573"),
        ("char=20,10", "the end comes before the start"),
        ("char=ten", "is not a character range"),
    ],
)
def test_a_range_outside_the_text_is_refused_with_the_range_that_exists(base: str, query: str, says: str) -> None:
    answer = httpx.get(base + "sources/seed-000?" + query, headers={"Accept": "text/html"})
    assert answer.status_code == 400
    assert says in answer.text


@pytest.mark.parametrize("name", ["seed-999", "%2E%2E", "seed-000.txt", "sources.yaml", "seed-*"])
def test_an_unknown_document_is_404_naming_the_quoted_ones(base: str, name: str) -> None:
    answer = httpx.get(base + "sources/" + name)
    assert answer.status_code == 404
    assert "seed-000, seed-001" in answer.text


def test_each_value_on_a_page_links_its_passage_with_the_quote_on_hover(base: str, built: Any) -> None:
    page = httpx.get(base + "id/project/gosmart-bsr", headers={"Accept": "text/html"}).text
    links = re.findall(r'<a class="passage" href="/sources/(seed-\d+)#char=(\d+),(\d+)" title="([^"]*)">', page)
    assert {doc for doc, *_ in links} == {"seed-001", "seed-003"}
    files = {"seed-001": "seeds/001_7c067719b7afa5c9.txt", "seed-003": "seeds/003_cdf25df1571a8ebf.txt"}
    for doc, start, end, title in links:
        text = Document.read(built.config.data_dir / files[doc]).text
        assert html.unescape(title).startswith("“" + text[int(start) : int(end)] + "”")


def test_translations_and_inferences_say_so_on_the_page(base: str) -> None:
    english = {"Accept": "text/html", "Accept-Language": "en"}
    textiles = httpx.get(base + "id/concept/gotos3-domains/textiles", headers=english)
    assert "[seed-000, translated]" in textiles.text
    period = httpx.get(base + "id/concept/programming-periods/2021-2027", headers=english)
    assert "[seed-002, inferred]" in period.text
    assert "Interreg VI is the Interreg of the 2021-2027 programming period" in html.unescape(period.text)
