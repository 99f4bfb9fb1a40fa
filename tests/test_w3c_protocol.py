"""The W3C SPARQL 1.1 Protocol and Service Description test suites against the live endpoint.

Files under tests/w3c/ are from w3c/rdf-tests (licence in tests/w3c/LICENSE.md). Query tests
must pass as specified; update tests must be refused with a 4xx, since the endpoint is
read-only, and each is recorded as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pyoxigraph as ox
import pytest
from live_server import live_server
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from server.backends.embedded.backend import MemoryBackend

HERE = Path(__file__).parent / "w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

MANIFEST = Graph().parse(HERE / "sparql11-protocol" / "manifest.ttl", format="turtle")
ENTRIES: list[Any] = list(
    Collection(MANIFEST, MANIFEST.value(URIRef((HERE / "sparql11-protocol" / "manifest.ttl").as_uri()), MF.entries))  # type: ignore[arg-type]
)


def _is_update_test(test: Any) -> bool:
    name = str(test).rsplit("#", 1)[-1]
    return name.startswith(("update_", "bad_update"))


def _dataset() -> bytes:
    """Every graph any test loads, as named graphs under the labels the manifest gives."""
    store = ox.Store()
    for test in ENTRIES:
        for data in MANIFEST.objects(test, UT.graphData):
            graph_file = MANIFEST.value(data, UT.graph)
            label = MANIFEST.value(data, RDFS.label)
            path = HERE / "sparql11-protocol" / str(graph_file).rsplit("/", 1)[-1]
            store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(label)))
    return ox.serialize(store, format=ox.RdfFormat.N_QUADS) or b""


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with live_server(MemoryBackend(_dataset(), "w3c"), workers=1) as base:
        yield base


def _requests(test: Any) -> list[Any]:
    action: Any = MANIFEST.value(test, MF.action)
    requests: Any = MANIFEST.value(action, HT.requests)
    return list(Collection(MANIFEST, requests))


def _send(base: str, request: Any) -> httpx.Response:
    path = str(MANIFEST.value(request, HT.absolutePath)).replace("/sparql/", "sparql", 1)
    headers = {}
    for header in Collection(MANIFEST, MANIFEST.value(request, HT.headers)) if MANIFEST.value(request, HT.headers) else []:
        headers[str(MANIFEST.value(header, HT.fieldName))] = str(MANIFEST.value(header, HT.fieldValue))
    body_node = MANIFEST.value(request, HT.body)
    content = b""
    if body_node is not None:
        encoding = str(MANIFEST.value(body_node, CNT.characterEncoding) or "UTF-8")
        content = str(MANIFEST.value(body_node, CNT.chars)).encode(encoding)
    method = str(MANIFEST.value(request, HT.methodName))
    return httpx.request(method, base + path, headers=headers, content=content, timeout=30)


def _boolean(response: httpx.Response) -> bool:
    if "json" in response.headers["content-type"]:
        return bool(json.loads(response.content)["boolean"])
    element = ElementTree.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert element is not None
    return element.text == "true"


@pytest.mark.parametrize("test", ENTRIES, ids=[str(t).rsplit("#", 1)[-1] for t in ENTRIES])
def test_w3c_protocol(endpoint: str, test: Any) -> None:
    for position, request in enumerate(_requests(test)):
        if _is_update_test(test):
            # the first request is the update; later ones query its effects, which a read-only endpoint never has
            if position == 0:
                status = _send(endpoint, request).status_code
                assert 400 <= status < 500, f"read-only endpoint must refuse updates: {status}"
            continue
        response = _send(endpoint, request)
        expected = MANIFEST.value(request, HT.resp)
        statuses = set(MANIFEST.objects(expected, MF.expectedStatus))
        ok: dict[Any, range] = {
            HTS.StatusCode2xx: range(200, 300),
            HTS.StatusCode3xx: range(300, 400),
            HTS.StatusCode4xx: range(400, 500),
        }
        assert any(response.status_code in ok[s] for s in statuses), (response.status_code, response.text[:300])
        fmt = MANIFEST.value(expected, MF.expectedFormat)
        content_type = response.headers.get("content-type", "")
        if fmt is not None and str(fmt) in ("boolean", "tabular"):
            assert "sparql-results" in content_type or content_type.startswith(("text/csv", "text/tab-separated"))
        if fmt is not None and str(fmt) == "RDF":
            assert content_type.split(";")[0] in (
                "text/turtle",
                "application/n-triples",
                "application/ld+json",
                "application/rdf+xml",
            )
        boolean = MANIFEST.value(expected, MF.expectedBoolean)
        if boolean is not None:
            assert _boolean(response) is boolean.toPython()


def test_every_update_test_is_refused_as_read_only(endpoint: str) -> None:
    updates = [t for t in ENTRIES if _is_update_test(t)]
    refused = {str(t).rsplit("#", 1)[-1]: _send(endpoint, _requests(t)[0]).status_code for t in updates}
    assert len(refused) == 13
    assert all(400 <= code < 500 for code in refused.values()), refused


def test_service_description_returns_rdf_with_the_configured_endpoint(endpoint: str) -> None:
    response = httpx.get(endpoint + "sparql", headers={"Accept": "text/turtle", "Host": "attacker.example"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    services = list(graph.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    assert graph.value(services[0], SD.endpoint) == URIRef(endpoint + "sparql"), "built from the configuration, not Host"
    assert (services[0], SD.supportedLanguage, SD.SPARQL11Query) in graph
    as_jsonld = httpx.get(endpoint + "sparql", headers={"Accept": "application/ld+json"})
    assert Graph().parse(data=as_jsonld.text, format="json-ld").isomorphic(graph)
