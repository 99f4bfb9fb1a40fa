"""Conditional GET on what a build publishes, with a real client against a live server: every
answer that sends an ETag answers 304 when the client already holds that tag, one tag per
representation (format, page language); dumps also answer If-Modified-Since."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import live_server

from server.backends.embedded.backend import EmbeddedBackend


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url


def _revalidated(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    first = httpx.get(url, headers=headers or {})
    assert first.status_code == 200 and first.headers["etag"], url
    again = httpx.get(url, headers={**(headers or {}), "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"], url
    return first


def test_the_feed_answers_304_per_format(base: str) -> None:
    trig = _revalidated(base + "feed", {"Accept": "application/trig"})
    quads = _revalidated(base + "feed", {"Accept": "application/n-quads"})
    assert trig.headers["etag"] != quads.headers["etag"]


def test_a_source_document_answers_304_per_variant_and_language(base: str) -> None:
    english = _revalidated(base + "sources/seed-000", {"Accept": "text/html", "Accept-Language": "en"})
    dutch = _revalidated(base + "sources/seed-000", {"Accept": "text/html", "Accept-Language": "nl"})
    raw = _revalidated(base + "sources/seed-000", {"Accept": "text/plain"})
    assert len({english.headers["etag"], dutch.headers["etag"], raw.headers["etag"]}) == 3


def test_a_versions_changes_answer_304(base: str) -> None:
    build = httpx.get(base + "versions/", headers={"Accept": "application/json"}).json()["versions"][0]["build"]
    kept = [which for which in ("added", "removed") if httpx.get(f"{base}versions/{build}/changes/{which}").status_code == 200]
    assert kept, "a build records what it added or removed"
    for which in kept:
        _revalidated(f"{base}versions/{build}/changes/{which}")


def test_a_dump_answers_if_modified_since(base: str) -> None:
    manifest = httpx.get(base + "dumps/", headers={"Accept": "application/json"}).json()
    names = [d["name"] for d in manifest["files"]]
    url = base + "dumps/" + names[0]
    first = httpx.get(url, headers={"Accept": "application/gzip"})
    assert first.status_code == 200 and first.headers["last-modified"]
    since = httpx.get(url, headers={"Accept": "application/gzip", "If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    older = httpx.get(url, headers={"Accept": "application/gzip", "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status_code == 200


@pytest.mark.parametrize("path", ["id/project/gotos3", "feed", "sparql?query=ASK%7B%7D"])
def test_a_script_on_another_site_may_read_the_link_memento_etag_and_location_headers(base: str, path: str) -> None:
    answer = httpx.get(base + path, headers={"Origin": "https://example.org"})
    exposed = {h.strip().casefold() for h in answer.headers.get("access-control-expose-headers", "").split(",")}
    assert {"link", "memento-datetime", "etag", "location"} <= exposed, path
