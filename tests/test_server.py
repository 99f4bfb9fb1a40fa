"""The SPARQL endpoint with real clients on a real port: formats, safety, limits, errors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import Listener, client_from, live_server
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, SPARQLWrapper

from loaders.publish.staging import publish
from loaders.publish.store import PublishedStore
from server.backends.embedded.backend import EmbeddedBackend
from server.backends.port import Backend
from server.backends.remote.backend import RemoteBackend

CURATED = "GRAPH <https://w3id.org/s3kg/id/graph/curated-projects>"  # the seeds' four projects, of thousands
PROJECTS = f"SELECT ?acronym WHERE {{ {CURATED} {{ ?p s3:acronym ?acronym }} }} ORDER BY ?acronym"
ACRONYMS = ["GoSmart & Excel BSR", "GoSmart BSR", "GoToS3", "S3-4AlpClusters"]
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def endpoint(backend: Backend) -> Iterator[str]:
    with live_server(backend, query_timeout=3.0) as base:
        yield base + "sparql"


def _wrapper(endpoint: str, query: str, fmt: str) -> Any:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client.query().convert()


def test_sparqlwrapper_select_in_json(endpoint: str) -> None:
    answer = _wrapper(endpoint, PROJECTS, JSON)
    assert [b["acronym"]["value"] for b in answer["results"]["bindings"]] == ACRONYMS


def test_sparqlwrapper_select_in_xml(endpoint: str) -> None:
    document = _wrapper(endpoint, PROJECTS, XML)
    literals = [n.firstChild.data for n in document.getElementsByTagName("literal")]
    assert literals == ACRONYMS


@pytest.mark.parametrize(("fmt", "separator"), [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_select_in_csv_and_tsv(endpoint: str, fmt: str, separator: str) -> None:
    text = _wrapper(endpoint, PROJECTS, fmt).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] in ("acronym", "?acronym")
    cells = [line.strip('"') for line in lines[1:]]
    assert cells == ACRONYMS


def test_sparqlwrapper_ask_and_construct(endpoint: str) -> None:
    assert _wrapper(endpoint, 'ASK { ?p s3:acronym "GoToS3" }', JSON)["boolean"] is True
    assert _wrapper(endpoint, 'ASK { ?p s3:acronym "GoToS3" }', XML).getElementsByTagName("boolean")[0].firstChild.data == "true"
    turtle = _wrapper(endpoint, f"CONSTRUCT {{ ?p s3:acronym ?a }} WHERE {{ {CURATED} {{ ?p s3:acronym ?a }} }}", TURTLE)
    assert len(Graph().parse(data=turtle, format="turtle")) == 4


@pytest.mark.parametrize("media", ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"])
def test_construct_in_every_rdf_format(endpoint: str, media: str) -> None:
    query = f"CONSTRUCT {{ ?p s3:acronym ?a }} WHERE {{ {CURATED} {{ ?p s3:acronym ?a }} }}"
    response = httpx.post(endpoint, data={"query": query}, headers={"Accept": media})
    assert response.headers["content-type"].startswith(media)
    formats = {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/ld+json": "json-ld",
        "application/rdf+xml": "xml",
    }
    assert len(Graph().parse(data=response.text, format=formats[media])) == 4


def test_rdflib_sparqlstore_reads_the_endpoint(endpoint: str) -> None:
    graph = Graph(store=SPARQLStore(endpoint, returnFormat="json"))
    rows = graph.query("PREFIX s3: <https://w3id.org/s3kg/ontology#> " + PROJECTS.replace("?acronym", "?a"))
    assert [str(r[0]) for r in rows] == ACRONYMS  # type: ignore[index]


def test_describe_gives_the_entity(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "DESCRIBE <https://w3id.org/s3kg/id/project/gotos3>", "format": "nt"})
    assert response.status_code == 200
    assert "Op weg naar een slimme specialisatie strategie" in response.text


def test_format_parameter_and_q_values(endpoint: str) -> None:
    csv = httpx.get(endpoint, params={"query": PROJECTS, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    accept = "text/csv;q=0.2, application/sparql-results+xml"
    preferred = httpx.get(endpoint, params={"query": PROJECTS}, headers={"Accept": accept})
    assert preferred.headers["content-type"].startswith("application/sparql-results+xml")
    wildcard = httpx.get(endpoint, params={"query": PROJECTS}, headers={"Accept": "text/*"})
    assert wildcard.headers["content-type"].startswith("text/csv")


def test_unsupported_result_type_is_406_naming_the_supported_ones(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": PROJECTS}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text and "text/csv" in response.text


def test_syntax_error_is_400_with_the_position(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "SELECT * WHERE {\n  ?s ?p }"})
    assert response.status_code == 400
    assert "error at 2:" in response.text


def test_missing_query_is_400_and_oversized_query_is_413(endpoint: str) -> None:
    missing = httpx.post(endpoint, data={"default-graph-uri": "http://example.org/"})
    assert missing.status_code == 400 and "query" in missing.text
    huge = httpx.post(endpoint, content="ASK {}" + " " * 200_000, headers={"Content-Type": "application/sparql-query"})
    assert huge.status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/sparql-update", "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"),
        ("application/x-www-form-urlencoded", "update=CLEAR%20ALL"),
        ("application/x-www-form-urlencoded", "update=LOAD%20%3Chttp%3A%2F%2Fexample.org%2F%3E"),
    ],
)
def test_updates_are_refused_and_change_nothing(endpoint: str, content_type: str, body: str) -> None:
    before = httpx.get(endpoint, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "format": "json"}).json()
    response = httpx.post(endpoint, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 403 and "read-only" in response.text
    after = httpx.get(endpoint, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "format": "json"}).json()
    assert before == after


def test_update_syntax_sent_as_a_query_is_a_syntax_error(endpoint: str) -> None:
    response = httpx.post(endpoint, content="CLEAR ALL", headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400


def test_service_to_a_host_not_on_the_allow_list_is_refused_without_any_connection(endpoint: str) -> None:
    listener = Listener()
    try:
        for query in (
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}",
            f"PREFIX x: <http://127.0.0.1:{listener.port}/> SELECT * WHERE {{ SERVICE SILENT x:sparql {{ ?s ?p ?o }} }}",
            "SELECT * WHERE { BIND(<http://127.0.0.1/> AS ?e) SERVICE ?e { ?s ?p ?o } }",
        ):
            response = httpx.post(endpoint, data={"query": query})
            assert response.status_code == 403, response.text
            assert "SERVICE" in response.text
        time.sleep(0.5)
        assert listener.connections == 0
    finally:
        listener.close()


def test_from_names_only_graphs_in_the_store_and_fetches_nothing(endpoint: str) -> None:
    listener = Listener()
    try:
        query = f"SELECT * FROM <http://127.0.0.1:{listener.port}/data.ttl> WHERE {{ ?s ?p ?o }}"
        response = httpx.post(endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200
        assert response.json()["results"]["bindings"] == []
        time.sleep(0.5)
        assert listener.connections == 0
    finally:
        listener.close()


def test_the_allow_list_is_what_permits_service(built: Any) -> None:
    """With the host allowed, the same SERVICE query does reach out: the guard is what stops it."""
    listener = Listener()
    try:
        with live_server(EmbeddedBackend(built.config.store_dir), service_allow_list=("127.0.0.1",), workers=1) as base:
            query = f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
            httpx.post(base + "sparql", data={"query": query}, timeout=30)
        assert listener.connections >= 1
    finally:
        listener.close()


def test_a_query_past_its_time_limit_is_stopped_while_others_are_served(
    endpoint: str, backend: Backend, request: pytest.FixtureRequest
) -> None:
    outcome: dict[str, Any] = {}

    def slow() -> None:
        started = time.monotonic()
        with client_from("127.0.0.2", timeout=60) as other:
            outcome["slow"] = other.post(endpoint, data={"query": CARTESIAN})
        outcome["slow_seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    latencies = []
    for _ in range(5):
        started = time.monotonic()
        assert httpx.get(endpoint, params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        latencies.append(time.monotonic() - started)
    thread.join()
    assert outcome["slow"].status_code == 503
    assert "time limit of 3 s" in outcome["slow"].text
    assert outcome["slow_seconds"] < 10
    assert max(latencies) < 1.0, latencies
    # the stopped worker was replaced: the endpoint still answers with both workers
    assert httpx.get(endpoint, params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    if isinstance(backend, RemoteBackend) and backend.target.engine == "oxigraph":
        request.getfixturevalue("engines").restart("oxigraph")  # it would count the cross product on and on
        assert httpx.get(endpoint, params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_results_stream_and_a_cut_result_says_so(backend: Backend) -> None:
    query = "SELECT ?a ?b WHERE { ?a a skos:Concept . ?b a skos:Concept }"
    with live_server(backend, max_rows=100_000, workers=1) as base:
        chunks, first, started = 0, None, time.monotonic()
        headers = {"Accept": "application/sparql-results+json"}
        with httpx.stream("POST", base + "sparql", data={"query": query}, headers=headers) as r:
            assert r.headers["x-s3kg-row-limit"] == "100000"
            body = b""
            for chunk in r.iter_bytes():
                chunks += 1
                first = first or time.monotonic() - started
                body += chunk
        total = time.monotonic() - started
    answer = json.loads(body)
    assert len(answer["results"]["bindings"]) == 100_000
    assert answer["truncated"] is True and answer["rowLimit"] == 100_000
    # streamed, not held whole: the first bytes come well before the last (Virtuoso computes about
    # half of the time before its first byte; a buffered answer would come at the very end)
    assert chunks > 10 and first is not None and first < 0.75 * total, (chunks, first, total)


def test_a_client_over_its_share_gets_429_while_others_are_served(backend: Backend) -> None:
    with live_server(backend, client_seconds_per_minute=0.000001, workers=1) as base:
        first = httpx.get(base + "sparql", params={"query": "ASK { ?s ?p ?o }"})
        second = httpx.get(base + "sparql", params={"query": "ASK { ?s ?p ?p }"})  # not a cached answer: costs time
    assert first.status_code == 200
    assert second.status_code == 429 and int(second.headers["retry-after"]) >= 1


def test_cors_allows_other_sites(endpoint: str) -> None:
    preflight = httpx.options(endpoint, headers={"Origin": "https://kohesio.example", "Access-Control-Request-Method": "POST"})
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://kohesio.example")
    response = httpx.get(endpoint, params={"query": "ASK {}"}, headers={"Origin": "https://kohesio.example"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_browsers_get_the_query_editor_with_examples_and_local_assets(endpoint: str) -> None:
    page = httpx.get(endpoint, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and "query editor" in page.text
    assert "http://" not in page.text.split("<body>")[0] and "https://" not in page.text, "no outside assets"
    base = endpoint.rsplit("/", 1)[0]
    examples = httpx.get(base + "/examples.json").json()
    assert len(examples) >= 40 and examples[0]["id"] == "cq01"
    assert httpx.get(base + "/static/editor.js").status_code == 200


def test_answers_are_cached_per_build_and_a_new_build_is_served_at_once(tmp_path: Any) -> None:
    store = PublishedStore(tmp_path / "store")
    old, new = Graph(), Graph()
    old.add((URIRef("http://example.org/a"), URIRef("http://example.org/version"), URIRef("http://example.org/old")))
    new.add((URIRef("http://example.org/a"), URIRef("http://example.org/version"), URIRef("http://example.org/new")))
    publish(store, {URIRef("http://example.org/g"): old})
    query = {"query": "SELECT ?v WHERE { <http://example.org/a> <http://example.org/version> ?v }", "format": "csv"}
    with live_server(EmbeddedBackend(tmp_path / "store"), workers=1) as base:
        first = httpx.get(base + "sparql", params=query)
        second = httpx.get(base + "sparql", params=query)
        publish(store, {URIRef("http://example.org/g"): new})
        third = httpx.get(base + "sparql", params=query)
    assert first.text.splitlines()[1] == "http://example.org/old" and "x-s3kg-cache" not in first.headers
    assert second.text == first.text and second.headers["x-s3kg-cache"] == "hit"
    assert third.text.splitlines()[1] == "http://example.org/new" and "x-s3kg-cache" not in third.headers


def test_two_server_processes_serve_one_published_build(built: Any) -> None:
    with (
        live_server(EmbeddedBackend(built.config.store_dir), workers=1) as first,
        live_server(EmbeddedBackend(built.config.store_dir), workers=1) as second,
    ):
        answers = [httpx.get(base + "sparql", params={"query": PROJECTS, "format": "csv"}).text for base in (first, second)]
    assert answers[0] == answers[1] and "GoToS3" in answers[0]


def test_a_small_answer_says_in_a_header_whether_it_was_cut(backend: Backend) -> None:
    with live_server(backend, max_rows=2, workers=1) as base:
        cut = httpx.get(base + "sparql", params={"query": PROJECTS, "format": "csv"})
        whole = httpx.get(base + "sparql", params={"query": "SELECT ?a WHERE { ?p s3:acronym 'GoToS3' }", "format": "csv"})
        cut_again = httpx.get(base + "sparql", params={"query": PROJECTS, "format": "csv"})
    assert cut.headers["x-s3kg-truncated"] == "true" and len(cut.text.splitlines()) == 4
    assert cut.text.splitlines()[-1] == "# s3kg: truncated at the row limit of 2"
    assert "# s3kg" not in whole.text
    assert whole.headers["x-s3kg-truncated"] == "false"
    assert cut_again.headers["x-s3kg-cache"] == "hit" and cut_again.headers["x-s3kg-truncated"] == "true"


@pytest.mark.parametrize(("fmt", "ending"), [("csv", "\r\n"), ("tsv", "\n")])
def test_a_streamed_csv_or_tsv_cut_at_the_limit_ends_with_the_documented_line(backend: Backend, fmt: str, ending: str) -> None:
    query = "SELECT ?a ?b WHERE { ?a a skos:Concept . ?b a skos:Concept }"
    with live_server(backend, max_rows=50_000, workers=1) as base:
        response = httpx.get(base + "sparql", params={"query": query, "format": fmt}, timeout=60)
    assert response.headers["x-s3kg-row-limit"] == "50000" and "x-s3kg-truncated" not in response.headers  # streamed
    lines = response.text.split(ending)
    assert len(lines) == 50_003 and lines[-1] == ""  # header, rows, the line that says so
    assert lines[-2] == "# s3kg: truncated at the row limit of 50000"
