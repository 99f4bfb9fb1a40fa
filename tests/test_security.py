"""The endpoint as an attacker meets it: no outbound connection whatever the query hides, bad input
answered 4xx (or 503 with Retry-After), never a 500 or a dropped connection."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from live_server import Listener, client_from, live_server
from outbound_cases import hidden_requests

from server.backends.embedded.backend import EmbeddedBackend, MemoryBackend
from server.backends.embedded.pool import QueryPool
from server.backends.embedded.sandbox import SandboxUnavailable
from server.sparql.contract import ClientBudget, QueryFailed, QueryJob, QuerySettings

ALLOWED = {200, 400, 403, 404, 406, 413}


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(
        EmbeddedBackend(built.config.store_dir), query_timeout=5.0, query_memory_mb=600, client_seconds_per_minute=600
    ) as url:
        yield url


def _send_all(endpoint: str, queries: list[str]) -> list[int]:
    with httpx.Client(timeout=30) as client:
        return [client.post(endpoint, data={"query": query}).status_code for query in queries]


def test_every_hidden_service_from_and_load_makes_no_connection(base: str) -> None:
    listener = Listener()
    try:
        queries = list(hidden_requests(listener.port))
        statuses = _send_all(base + "sparql", queries)
        time.sleep(0.5)
        assert len(queries) > 900
        assert set(statuses) <= ALLOWED, sorted(set(statuses))
        assert listener.connections == 0
    finally:
        listener.close()


def test_with_an_allow_list_only_the_allowed_host_is_reached(built: Any) -> None:
    """The allowed host is reached (so the listener would see a leak); every hidden one is not,
    alone or beside an allowed SERVICE that sends the query to a worker with network."""
    allowed, other = Listener(), Listener()
    try:
        with live_server(EmbeddedBackend(built.config.store_dir), service_allow_list=("localhost",), workers=1) as url:
            plain = f"SELECT * WHERE {{ SERVICE SILENT <http://localhost:{allowed.port}/sparql> {{ ?s ?p ?o }} }}"
            assert httpx.post(url + "sparql", data={"query": plain}, timeout=30).status_code == 200
            hidden = list(hidden_requests(other.port))
            beside = [
                f"SELECT * WHERE {{ SERVICE SILENT <http://localhost:{allowed.port}/s> {{ ?a ?b ?c }} "
                + query.split("WHERE {", 1)[1]
                for query in hidden
                if query.startswith("SELECT * WHERE {")
            ]
            statuses = _send_all(url + "sparql", hidden + beside)
        time.sleep(0.5)
        assert allowed.connections >= 1
        assert set(statuses) <= ALLOWED, sorted(set(statuses))
        assert other.connections == 0
    finally:
        allowed.close()
        other.close()


def test_a_sandboxed_worker_cannot_connect_even_when_no_check_ran(built: Any) -> None:
    """Below every check: a SERVICE handed straight to a worker fails there, and nothing connects."""
    listener = Listener()

    async def run() -> QueryFailed:
        pool = QueryPool(EmbeddedBackend(built.config.store_dir), QuerySettings(workers=1), ClientBudget(60))
        await pool.start()
        try:
            job = QueryJob(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/x> {{ ?s ?p ?o }} }}")
            with pytest.raises(QueryFailed) as failure:
                await pool.run(job, "test")
            return failure.value
        finally:
            pool.close()

    try:
        failure = asyncio.run(run())
        time.sleep(0.3)
        assert failure.status == 400 and "ermission denied" in failure.message, failure.message
        assert listener.connections == 0
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ("SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o " * 3000 + "}" * 3000 + " }", "500 deep"),
        ("SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000, "500 deep"),
        ("SELECT (" + "(" * 5000 + "1" + ")" * 5000 + " AS ?x) WHERE {}", "500 deep"),
        ("SELECT (" + "+".join(["1"] * 15000) + " AS ?x) WHERE {}", "10,000 operators"),
    ],
    ids=["optional", "groups", "parentheses", "sum"],
)
def test_deeply_nested_queries_are_400_naming_the_limit(base: str, query: str, limit: str) -> None:
    response = httpx.post(base + "sparql", data={"query": query}, timeout=30)
    assert response.status_code == 400 and limit in response.text, response.text


def test_nesting_under_the_limit_is_answered(base: str) -> None:
    # One subject, so the answer's time is the nesting's, not the store's size (every project took > 5 s on a loaded CI machine).
    one = "VALUES ?s { <https://example.org/nothing> } "
    query = "SELECT * WHERE { " + one + "OPTIONAL { ?s <http://example.org/none> ?o " * 150 + "}" * 150 + " }"
    response = httpx.post(
        base + "sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{"s": {"type": "uri", "value": "https://example.org/nothing"}}]


def _workers(before: set[int]) -> list[multiprocessing.process.BaseProcess]:
    return [child for child in multiprocessing.active_children() if child.pid not in before]


def test_a_dead_worker_is_replaced_before_use_and_a_dying_one_is_503(built: Any) -> None:
    before = {child.pid or 0 for child in multiprocessing.active_children()}
    ask = {"query": "ASK { ?s ?p ?o }"}
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0, query_timeout=20) as url:
        (worker,) = _workers(before)
        os.kill(worker.pid or 0, signal.SIGKILL)
        time.sleep(0.3)
        assert httpx.get(url + "sparql", params=ask, timeout=30).status_code == 200  # idle and dead: replaced
        (worker,) = [w for w in _workers(before) if w.is_alive()]
        cartesian = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        killer = multiprocessing.get_context("spawn").Process(target=_kill_later, args=(worker.pid, 1.0))
        killer.start()
        response = httpx.post(url + "sparql", data={"query": cartesian}, timeout=30)
        killer.join()
        assert response.status_code == 503 and response.headers["retry-after"] == "5", response.text
        assert httpx.get(url + "sparql", params=ask, timeout=30).status_code == 200


def _kill_later(pid: int, seconds: float) -> None:
    time.sleep(seconds)
    os.kill(pid, signal.SIGKILL)


def test_a_query_over_the_memory_cap_is_503_and_the_next_is_served(base: str) -> None:
    hungry = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 10"
    started = time.monotonic()
    response = httpx.post(base + "sparql", data={"query": hungry}, timeout=60)
    assert response.status_code == 503 and "memory limit of 600 MB" in response.text, response.text
    assert response.headers["retry-after"] == "5"
    assert time.monotonic() - started < 30
    assert httpx.get(base + "sparql", params={"query": "ASK { ?s a ?t }"}, timeout=30).status_code == 200


def test_the_server_refuses_to_start_when_a_worker_cannot_start_confined() -> None:
    """Fail closed: a worker that cannot set itself up (here: a memory cap too small to start in)
    never serves, and the pool says why."""

    async def run() -> None:
        pool = QueryPool(MemoryBackend(b""), QuerySettings(workers=1, memory_bytes=1 << 20), ClientBudget(60))
        try:
            await pool.start()
        finally:
            pool.close()

    with pytest.raises(SandboxUnavailable, match="did not start"):
        asyncio.run(run())


@pytest.mark.parametrize("lang", ["%E2%82%AC", "%C5%BB", "%FF", "%0d%0aSet-Cookie:x", "%0aX", "%00", "en%20fr"])
def test_a_lang_that_is_not_a_language_tag_is_400(base: str, lang: str) -> None:
    response = httpx.get(f"{base}id/project/gotos3?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 400 and "language tag" in response.text


@pytest.mark.parametrize("header", ["de, fr;q=0.9", "\u20ac", "xx-\u00ff;q=1", 'en", W/"x', "*;q=0.5, ,;q=x", "a" * 3000])
def test_accept_language_never_breaks_headers_or_the_etag(base: str, header: str) -> None:
    raw = header.encode("utf-8")
    request = b"GET /id/project/gotos3 HTTP/1.1\r\nHost: x\r\nAccept: text/turtle\r\nAccept-Language: " + raw + b"\r\n\r\n"
    status, headers = _raw(base, request)
    assert status == 200
    etag = headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and '"' not in etag[1:-1] and etag.isascii(), etag


def _raw(base: str, request: bytes, pause_after: int | None = None, wait: float = 10.0) -> tuple[int, dict[str, str]]:
    """Send bytes as they are; the answer's status and headers (0 if the connection closed silently)."""
    port = int(base.rstrip("/").rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(request if pause_after is None else request[:pause_after])
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            return 0, {}
    if not answer:
        return 0, {}
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
    return int(head[0].split()[1]), headers


def test_a_huge_announced_body_is_413_at_once(base: str) -> None:
    request = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 10737418240\r\n\r\n"
    started = time.monotonic()
    status, headers = _raw(base, request)
    assert status == 413 and time.monotonic() - started < 2
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["", "search?q=x", "id/project/gotos3", "dumps/", "sparql"])
def test_a_10_mb_body_gets_413_not_a_reset(base: str, path: str) -> None:
    body = b"x" * (10 << 20)
    response = httpx.post(base + path, content=body, headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert response.status_code == 413 and "larger than this server accepts" in response.text


def test_a_chunked_body_is_cut_at_the_limit(base: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * (64 << 10)

    response = httpx.post(base + "sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert response.status_code == 413


def test_a_stalled_body_is_408(built: Any) -> None:
    with live_server(EmbeddedBackend(built.config.store_dir), body_timeout=1.0, workers=1) as url:
        request = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nASK"
        started = time.monotonic()
        status, _ = _raw(url, request)
        assert status == 408 and time.monotonic() - started < 5


def test_a_missing_dump_is_404_without_sniffing(base: str) -> None:
    response = httpx.get(base + "dumps/%3Cscript%3Ealert(1)%3C%2Fscript%3E.nt.gz")
    assert response.status_code == 404
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "value"), [("default-graph-uri", ""), ("named-graph-uri", "AAA"), ("default-graph-uri", "http://e/ x")]
)
def test_a_graph_parameter_that_is_not_an_iri_is_400_and_the_worker_lives(base: str, name: str, value: str) -> None:
    """Found by schemathesis: an empty default-graph-uri stopped the query worker (503)."""
    response = httpx.get(base + "sparql", params={"query": "ASK {}", name: value})
    assert response.status_code == 400 and name in response.text
    assert httpx.get(base + "sparql", params={"query": "ASK { ?s ?p 1 }"}).status_code == 200


UNKNOWN_FUNCTIONS = [
    "SELECT * WHERE { ?s ?p ?o FILTER(<http://example.org/f>(?s)) }",
    "PREFIX e: <http://example.org/> SELECT (e:f(1) AS ?x) WHERE {}",
    "ASK { BIND(<urn:x:f>() AS ?y) }",
]


@pytest.mark.parametrize("query", UNKNOWN_FUNCTIONS)
def test_a_function_the_engine_does_not_have_is_400_naming_it_and_the_worker_lives(built: Any, query: str) -> None:
    before = {child.pid or 0 for child in multiprocessing.active_children()}
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0) as url:
        (worker,) = _workers(before)
        response = httpx.post(url + "sparql", data={"query": query}, timeout=30)
        after = httpx.get(url + "sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        alive = worker.is_alive() and [w.pid for w in _workers(before)] == [worker.pid]
    assert response.status_code == 400, response.text
    assert "custom function <" in response.text and "is not supported" in response.text
    assert after.status_code == 200 and alive, "the same worker answers the next query"


def test_a_client_that_keeps_ending_workers_is_refused_and_others_are_served(built: Any) -> None:
    hungry = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 10"
    settings = {"workers": 2, "cache_bytes": 0, "query_memory_mb": 400, "client_seconds_per_minute": 12}
    with live_server(EmbeddedBackend(built.config.store_dir), **settings) as url:
        with client_from("127.0.0.2", timeout=60) as abuser:
            statuses = [abuser.post(url + "sparql", data={"query": hungry}).status_code for _ in range(5)]
        with client_from("127.0.0.3", timeout=60) as other:
            served = other.get(url + "sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code
    assert statuses[0] == 503 and 429 in statuses[:4], statuses  # each death costs DEATH_CHARGE of its share
    assert served == 200


def test_a_client_over_its_share_is_answered_429_after_a_pause(built: Any) -> None:
    from server.endpoint.routes import OVER_SHARE_PAUSE

    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=0, client_seconds_per_minute=1e-9) as url:
        assert httpx.post(url + "sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        started = time.monotonic()
        refused = httpx.post(url + "sparql", data={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        waited = time.monotonic() - started
    assert refused.status_code == 429 and waited >= OVER_SHARE_PAUSE * 0.9
