"""Dereferenceable entity IRIs on a live server: negotiation, extensions, 404, HEAD, 304, HTML."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from live_server import live_server
from rdflib import Graph, URIRef

from server.backends.embedded.backend import EmbeddedBackend, MemoryBackend
from server.backends.entities import COUNTED
from server.backends.port import Backend

GOTOS3 = "https://w3id.org/s3kg/id/project/gotos3"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}


@pytest.fixture(scope="module")
def base(backend: Backend) -> Iterator[str]:
    with live_server(backend, workers=1) as url:
        yield url


@pytest.mark.parametrize("media", list(RDF_TYPES))
def test_entity_iri_gives_its_description_in_every_rdf_format(base: str, media: str) -> None:
    response = httpx.get(base + "id/project/gotos3", headers={"Accept": media})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "Accept" in response.headers["vary"]
    graph = Graph().parse(data=response.content, format=RDF_TYPES[media])
    assert (URIRef(GOTOS3), URIRef("https://w3id.org/s3kg/ontology#acronym"), None) in graph


EXTENSIONS = [
    (".ttl", "text/turtle"),
    (".jsonld", "application/ld+json"),
    (".rdf", "application/rdf+xml"),
    (".nt", "application/n-triples"),
    (".html", "text/html"),
]


@pytest.mark.parametrize(("suffix", "media"), EXTENSIONS)
def test_each_document_has_its_own_extension(base: str, suffix: str, media: str) -> None:
    response = httpx.get(base + "id/project/gotos3" + suffix, headers={"Accept": "image/png"})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)


def test_q_values_format_parameter_and_406(base: str) -> None:
    preferred = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/turtle;q=0.4, application/n-triples"})
    assert preferred.headers["content-type"].startswith("application/n-triples")
    browser = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html")
    linked = httpx.get(base + "id/project/gotos3", params={"format": "jsonld"}, headers={"Accept": "text/html"})
    assert linked.headers["content-type"].startswith("application/ld+json")
    refused = httpx.get(base + "id/project/gotos3", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "text/turtle" in refused.text


def test_the_description_has_labels_of_linked_entities_incoming_links_and_sources(base: str) -> None:
    graph = Graph().parse(data=httpx.get(base + "id/programme/2014TC16RFCB044.ttl").text, format="turtle")
    rdfs_label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    assert (URIRef(GOTOS3), URIRef("https://w3id.org/s3kg/ontology#programme"), None) in graph, "incoming link"
    assert (URIRef(GOTOS3), rdfs_label, None) in graph, "label of the linking entity"
    assert (None, URIRef("http://purl.org/dc/terms/source"), None) in graph


def test_unknown_iri_is_404_with_a_search_page_for_browsers(base: str) -> None:
    page = httpx.get(base + "id/project/no-such-project", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "no such project" in page.text and "<form" in page.text
    plain = httpx.get(base + "id/project/no-such-project", headers={"Accept": "text/turtle"})
    assert plain.status_code == 404


def test_head_gives_the_headers_without_a_body(base: str) -> None:
    head = httpx.head(base + "id/project/gotos3", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 100 and head.headers["etag"]


def test_conditional_requests_give_304(base: str) -> None:
    first = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/turtle"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    since = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/turtle", "If-Modified-Since": modified})
    assert since.status_code == 304
    other = httpx.get(base + "id/project/gotos3", headers={"Accept": "application/n-triples", "If-None-Match": etag})
    assert other.status_code == 200, "the ETag names the format"


def test_page_speaks_the_readers_language_and_links_locally(base: str) -> None:
    dutch = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/html", "Accept-Language": "nl, en;q=0.5"}).text
    assert '<html lang="nl">' in dutch and "Projectenportefeuille" in dutch
    assert ">beschrijving</a>" in dutch and ">bron</a>" in dutch, "borrowed properties are named in Dutch too"
    french = httpx.get(base + "id/project/gotos3", params={"lang": "fr"}, headers={"Accept": "text/html"}).text
    assert "Portefeuille de projets" in french
    assert f'href="{base}id/programme/2014TC16RFCB044"' in dutch, "links to entities point at this server"


def test_embedded_json_ld_parses_as_schema_org(base: str) -> None:
    page = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/html"}).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["@type"] == "Project" and data["name"] == "GoToS3"
    quads = list(ox.parse(block.group(1).encode(), format=ox.RdfFormat.JSON_LD))
    assert any(q.predicate.value == "https://schema.org/name" for q in quads)


def test_user_supplied_text_is_escaped_and_incoming_links_are_bounded() -> None:
    lines = ['<http://example.org/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "<script>alert(1)</script>"@en .']
    lines += [f"<http://example.org/id/y{i}> <http://example.org/p> <http://example.org/id/x> ." for i in range(150)]
    data = ox.serialize(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_QUADS) or b""
    with live_server(MemoryBackend(data, "escape"), workers=1, base_iri="http://example.org/id/") as url:
        page = httpx.get(url + "id/x", headers={"Accept": "text/html"}).text
        search = httpx.get(url + "id/%3Cscript%3E", headers={"Accept": "text/html"}).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in search.split("</head>")[1]
    assert "100 of 150 shown" in page


def test_quad_formats_put_each_statement_in_the_graph_of_its_source(base: str) -> None:
    response = httpx.get(base + "id/programme/2014TC16RFCB044", headers={"Accept": "application/n-quads"})
    quads = list(ox.parse(response.content, format=ox.RdfFormat.N_QUADS))
    named = [q for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.predicate.value.endswith("#cciCode")]
    sources = {q.graph_name.value.rsplit("/", 1)[-1] for q in named if "/graph/statements/" not in q.graph_name.value}
    assert sources == {"cci-codes", "curated-programmes"}, "both state it"
    passages = {q.graph_name.value.split("/graph/statements/")[1] for q in named if "/graph/statements/" in q.graph_name.value}
    assert passages == {"programme/2014TC16RFCB044/cci-codes-2014-2020/17112-17189/stated"}, "and the passage that says so"
    assert any(isinstance(q.graph_name, ox.DefaultGraph) and q.predicate.value.endswith("#cciCode") for q in quads)
    trig = httpx.get(base + "id/programme/2014TC16RFCB044.trig")
    assert trig.headers["content-type"].startswith("application/trig")


def test_entity_pages_answer_other_sites_and_their_preflights(built: Any) -> None:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as base:
        page = httpx.get(base + "id/project/gotos3", headers={"Origin": "https://keep.example", "Accept": "text/turtle"})
        preflight = httpx.options(
            base + "id/project/gotos3", headers={"Origin": "https://keep.example", "Access-Control-Request-Method": "GET"}
        )
        posted = httpx.post(base + "id/project/gotos3")
    assert page.status_code == 200 and page.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] in ("*", "https://keep.example")
    assert posted.status_code == 405  # only GET (and HEAD) take the fast path; FastAPI answers the rest


def test_a_page_counts_incoming_links_only_up_to_a_bound_and_says_so() -> None:
    """A region or programme with a hundred thousand projects: the page counts to COUNTED and
    says "10,000+", rather than walk every link to print a number (issue 26)."""
    lines = ['<http://example.org/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x"@en .']
    lines += [f"<http://example.org/id/y{i}> <http://example.org/p> <http://example.org/id/x> ." for i in range(COUNTED + 50)]
    data = ox.serialize(ox.parse("\n".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_QUADS) or b""
    with live_server(MemoryBackend(data, "many"), workers=1, base_iri="http://example.org/id/") as url:
        page = httpx.get(url + "id/x", headers={"Accept": "text/html"}).text
    assert f"({COUNTED:,}+)" in page and f"100 of {COUNTED:,}+ shown" in page
