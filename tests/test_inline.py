"""Cheap queries (work bounded by the rows they answer) are answered in the server process;
everything else still goes to a query worker that can be stopped (issue 13)."""

from __future__ import annotations

import csv
import io
import threading
import time
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from live_server import Listener, client_from, live_server
from rdflib import Graph
from rdflib.compare import isomorphic

from loaders.core.vocab import PREFIXES
from server.backends.embedded.backend import EmbeddedBackend
from server.sparql.cheap import INLINE_ROWS, is_cheap

ENDPOINT = "http://127.0.0.1:8000/sparql"
GOTOS3 = "<https://w3id.org/s3kg/id/project/gotos3>"
POINT = f"SELECT ?p ?o WHERE {{ {GOTOS3} ?p ?o }}"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.parametrize(
    "query",
    [
        POINT,
        f"SELECT * {{ {GOTOS3} ?p ?o . }}",
        "PREFIX s3: <https://w3id.org/s3kg/ontology#> SELECT ?p WHERE { ?p a s3:Project } LIMIT 10",
        "BASE <https://w3id.org/s3kg/id/> SELECT ?o WHERE { <project/gotos3> ?p ?o }",
        "select $o where { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o }",
        "SELECT ?s { ?s ?p 'GoToS3' }",
        f"DESCRIBE {GOTOS3}",
        "# a comment\nDESCRIBE s3:GoSmartBSR <https://w3id.org/s3kg/id/project/gotos3>",
    ],
)
def test_single_pattern_and_describe_of_named_resources_are_cheap(query: str) -> None:
    assert is_cheap(query, PREFIXES, ENDPOINT)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?s WHERE { ?s ?p ?s }",  # a repeated variable makes the scan a filter over every triple
        "SELECT ?s WHERE { ?s ?p $s }",
        "SELECT ?s WHERE { _:b ?p _:b }",
        "SELECT ?s WHERE { ?s ?p ?o } OFFSET 1000000",
        f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {INLINE_ROWS + 1}",  # asks for more than inline answers
        "SELECT DISTINCT ?p WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o . ?o ?q ?r }",
        "SELECT ?s FROM <http://example.org/g> WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT ?s WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT ?s WHERE { ?s <http://example.org/p>* ?o }",
        "SELECT ?s WHERE { ?s ?p 'x'@en }",
        "SELECT ?s WHERE { ?s ?p 5 }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s",
        "ASK { ?s ?p ?o }",
        "CONSTRUCT WHERE { ?s ?p ?o }",
        "DESCRIBE ?s WHERE { ?s ?p ?o }",
        "DESCRIBE",
        "SELECT WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o",
        "",
    ],
)
def test_everything_else_goes_to_a_worker(query: str) -> None:
    assert not is_cheap(query, PREFIXES, ENDPOINT)


def _busy_worker(base: str, stop: threading.Event) -> threading.Thread:
    """Another client keeps the only worker busy with runaway queries."""

    def abuse() -> None:
        with client_from("127.0.0.2", timeout=60) as client:
            while not stop.is_set():
                client.post(base + "sparql", data={"query": CARTESIAN})

    thread = threading.Thread(target=abuse, daemon=True)
    thread.start()
    time.sleep(1.0)
    return thread


def test_a_point_lookup_is_answered_while_every_worker_is_busy(built: Any) -> None:
    settings = {"workers": 1, "queue_wait": 0.5, "query_timeout": 3.0, "cache_bytes": 0, "client_seconds_per_minute": 1e9}
    with live_server(EmbeddedBackend(built.config.store_dir), **settings) as base:
        stop = threading.Event()
        thread = _busy_worker(base, stop)
        point = httpx.post(base + "sparql", data={"query": POINT}, headers={"Accept": "text/csv"}, timeout=30)
        joined = httpx.post(base + "sparql", data={"query": POINT.replace("?o }", "?o . ?o ?q ?r }")}, timeout=30)
        stop.set()
        thread.join(timeout=60)
    assert point.status_code == 200 and "GoToS3" in point.text
    assert joined.status_code == 503 and "Every query worker is busy" in joined.text


SELECT_MEDIA = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]


@pytest.mark.parametrize("accept", SELECT_MEDIA)
def test_an_inline_answer_is_the_workers_answer_byte_for_byte(built: Any, accept: str) -> None:
    # the same rows, once as a cheap query and once with a no-op join that sends it to a worker
    worker_query = POINT.replace("}", "FILTER(true) }")
    assert is_cheap(POINT, PREFIXES, ENDPOINT) and not is_cheap(worker_query, PREFIXES, ENDPOINT)
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0) as base:
        answers = [httpx.post(base + "sparql", data={"query": q}, headers={"Accept": accept}) for q in (POINT, worker_query)]
    inline, worker = answers
    assert inline.status_code == worker.status_code == 200
    assert inline.content == worker.content and inline.headers["content-type"] == worker.headers["content-type"]
    assert inline.headers["x-s3kg-truncated"] == "false"


def test_a_cheap_query_wanting_more_rows_than_inline_is_answered_whole_by_a_worker(built: Any) -> None:
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0, max_rows=INLINE_ROWS * 3) as base:
        response = httpx.post(base + "sparql", data={"query": everything}, headers={"Accept": "text/csv"}, timeout=60)
    rows = list(csv.reader(io.StringIO(response.text)))
    assert response.status_code == 200
    assert len(rows) == 1 + INLINE_ROWS * 3 + 1  # header, rows up to the cap, the line that says it was cut
    assert rows[-1][0].startswith("# s3kg: truncated at the row limit of")


def test_a_cap_below_the_inline_rows_still_cuts_and_says_so(built: Any) -> None:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0, max_rows=3) as base:
        response = httpx.post(base + "sparql", data={"query": POINT}, headers={"Accept": "text/csv"})
    assert response.headers["x-s3kg-truncated"] == "true" and len(response.text.splitlines()) == 5


def test_an_inline_query_is_charged_to_its_client(built: Any) -> None:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0, client_seconds_per_minute=1e-9) as base:
        first = httpx.post(base + "sparql", data={"query": POINT})
        second = httpx.post(base + "sparql", data={"query": f"DESCRIBE {GOTOS3}"})
    assert first.status_code == 200 and second.status_code == 429


def test_an_inline_syntax_error_is_400_naming_the_place(built: Any) -> None:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as base:
        response = httpx.post(base + "sparql", data={"query": "SELECT ?o WHERE { nope:x ?p ?o }"})
    assert response.status_code == 400 and "SPARQL syntax error: error at 1:" in response.text  # line and column


NATIVE_CASES = [
    ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
]


@pytest.mark.parametrize(("media", "fmt"), NATIVE_CASES, ids=["json", "xml", "tsv"])
def test_a_select_within_the_cap_written_natively_reads_as_the_counted_one(
    built: Any, media: str, fmt: ox.QueryResultsFormat
) -> None:
    # LIMIT 2000 within the cap: pyoxigraph's serialiser; the same query cut by a cap of 2000: ours
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o . FILTER(isIRI(?s)) }"
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0, max_rows=2000) as capped:
        counted = httpx.post(capped + "sparql", data={"query": query}, headers={"Accept": media}, timeout=60)
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0) as base:
        native = httpx.post(base + "sparql", data={"query": query + " LIMIT 2000"}, headers={"Accept": media}, timeout=60)
    marks = (b"# s3kg: truncated at the row limit of 2000\n", b', "truncated": true, "rowLimit": 2000')
    body = counted.content.replace(marks[0], b"").replace(marks[1], b"")  # the cut's in-band notes, which the native lacks
    rows = [list(row) for row in ox.parse_query_results(body, fmt)]  # type: ignore[union-attr]
    assert len(rows) == 2000 and rows == [list(row) for row in ox.parse_query_results(native.content, fmt)]  # type: ignore[union-attr]


def test_a_construct_within_the_cap_written_natively_is_the_counted_graph(built: Any) -> None:
    # N-Triples within the cap (LIMIT × template): pyoxigraph's writer; Turtle: counted, with prefixes
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . FILTER(isIRI(?o)) } LIMIT 300"
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0) as base:
        answers = {
            media: httpx.post(base + "sparql", data={"query": query}, headers={"Accept": media}, timeout=60)
            for media in ("application/n-triples", "text/turtle")
        }
    native, counted = (Graph().parse(data=r.text, format=f) for r, f in zip(answers.values(), ("nt", "turtle"), strict=True))
    assert len(native) == 300 and isomorphic(native, counted)


def test_an_inline_query_naming_a_listener_makes_no_connection(built: Any) -> None:
    listener = Listener()
    address = f"http://127.0.0.1:{listener.port}/x"
    queries = [f"DESCRIBE <{address}>", f"SELECT ?p ?o WHERE {{ <{address}> ?p ?o }}", f"SELECT ?s {{ ?s ?p <{address}> }}"]
    try:
        with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0) as base:
            statuses = [httpx.post(base + "sparql", data={"query": q}).status_code for q in queries]
        time.sleep(0.5)
    finally:
        listener.close()
    assert all(is_cheap(q, PREFIXES, ENDPOINT) for q in queries) and statuses == [200, 200, 200]
    assert listener.connections == 0
