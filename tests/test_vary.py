"""Caches key every page on what chose it: table tests of the Vary merge, and the headers of real
answers from a live server (pages in the reader's language, the endpoint's editor or description)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import live_server

from server.backends.embedded.backend import EmbeddedBackend
from server.web.vary import PAGE_VARY, merged_vary


@pytest.mark.parametrize(
    ("existing", "merged"),
    [
        (None, "Accept, Accept-Language"),
        ("Origin", "Origin, Accept, Accept-Language"),
        ("Accept, Origin", "Accept, Origin, Accept-Language"),
        ("accept-language", "accept-language, Accept"),
        ("*", "*"),
        ("", "Accept, Accept-Language"),
    ],
)
def test_vary_adds_what_chose_the_page_once(existing: str | None, merged: str) -> None:
    assert merged_vary(existing, PAGE_VARY) == merged


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url


@pytest.mark.parametrize(
    "path", ["", "browse/Project", "browse/Programme", "map", "sources/seed-000", "dumps/", "versions/", "search?q=textiel"]
)
def test_pages_vary_on_accept_and_language(base: str, path: str) -> None:
    vary = {name.strip().casefold() for name in httpx.get(base + path).headers.get("vary", "").split(",")}
    assert {"accept", "accept-language"} <= vary, path


def test_the_bare_endpoint_varies_on_accept(base: str) -> None:
    html = httpx.get(base + "sparql", headers={"Accept": "text/html"})
    turtle = httpx.get(base + "sparql", headers={"Accept": "text/turtle"})
    assert html.headers["content-type"].startswith("text/html") and turtle.headers["content-type"].startswith("text/turtle")
    assert all("Accept" in answer.headers["vary"] for answer in (html, turtle))
