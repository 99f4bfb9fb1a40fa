"""A few abusive connections cannot deny service to another client. Abusers connect from
127.0.0.2 (another client to the server), the probe from 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
from live_server import client_from, live_server

from server.backends.embedded.backend import EmbeddedBackend

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MANY_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"


def _abuse(url: str, query: str, count: int, results: list[httpx.Response], stop: threading.Event) -> list[threading.Thread]:
    def one() -> None:
        with client_from("127.0.0.2", timeout=60) as client:
            while not stop.is_set():
                results.append(client.post(url + "sparql", data={"query": query}))

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def _probe(url: str, n: int) -> Iterator[tuple[int, float]]:
    with httpx.Client(timeout=60) as client:
        for i in range(n):
            started = time.monotonic()
            status = client.get(url + "sparql", params={"query": f"ASK {{ ?s ?p {i} }}"}).status_code
            yield status, time.monotonic() - started


def test_four_runaway_connections_leave_another_client_served(built: Any) -> None:
    settings = {"query_timeout": 4.0, "workers": 2, "queue_wait": 1.0, "client_seconds_per_minute": 6.0, "cache_bytes": 0}
    with live_server(EmbeddedBackend(built.config.store_dir), **settings) as url:
        baseline = max(latency for _, latency in _probe(url, 10))
        stop, abused = threading.Event(), []  # type: ignore[var-annotated]
        threads = _abuse(url, CARTESIAN, 4, abused, stop)
        time.sleep(1.0)
        probes = list(_probe(url, 40))
        with httpx.Client(timeout=30) as client:
            page_started = time.monotonic()
            page = client.get(url + "id/project/gotos3", headers={"Accept": "text/html"})
            page_seconds = time.monotonic() - page_started
        time.sleep(8)  # two rounds of runaway queries: the abuser's budget of 6 s is spent
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert all(status == 200 for status, _ in probes), probes
    assert max(latency for _, latency in probes) < max(0.5, 10 * baseline), (baseline, probes)
    assert page.status_code == 200 and page_seconds < 1.0
    statuses = {r.status_code for r in abused}
    assert 503 in statuses  # its queue waits were cut short, and its runaways stopped
    assert 429 in statuses  # then it had spent its own share
    busy = [r for r in abused if r.status_code == 503 and ("busy" in r.text or "queries running" in r.text)]
    assert busy and all(r.headers.get("retry-after") == "5" for r in busy)


def test_a_slow_reader_holds_its_worker_only_until_the_time_limit(built: Any) -> None:
    settings = {"query_timeout": 2.0, "workers": 1, "queue_wait": 10.0}
    with (
        live_server(EmbeddedBackend(built.config.store_dir), **settings) as url,
        client_from("127.0.0.2", timeout=60) as slow,
        slow.stream("POST", url + "sparql", data={"query": MANY_ROWS}) as r,
    ):
        assert r.status_code == 200  # reads the headers, then nothing more
        time.sleep(0.5)
        started = time.monotonic()
        answer = httpx.get(url + "sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        waited = time.monotonic() - started
    assert answer.status_code == 200
    assert waited < 3.5, waited  # freed at the slow query's limit (2 s), not when its client leaves


def test_a_timed_out_query_is_charged_to_its_client(built: Any) -> None:
    with live_server(EmbeddedBackend(built.config.store_dir), query_timeout=1.5, client_seconds_per_minute=1.0, workers=1) as url:
        first = httpx.post(url + "sparql", data={"query": CARTESIAN}, timeout=30)
        second = httpx.get(url + "sparql", params={"query": "ASK { ?s ?p 42 }"}, timeout=30)
        with client_from("127.0.0.3", timeout=30) as other:
            third = other.get(url + "sparql", params={"query": "ASK { ?s ?p 43 }"})
    assert first.status_code == 503 and "time limit" in first.text
    assert second.status_code == 429 and int(second.headers["retry-after"]) >= 1
    assert third.status_code == 200  # another client is not charged for it


def test_waiting_for_a_worker_is_bounded_and_says_when_to_retry(built: Any) -> None:
    with live_server(EmbeddedBackend(built.config.store_dir), query_timeout=10.0, workers=1, queue_wait=1.0) as url:
        holder = threading.Thread(
            target=lambda: client_from("127.0.0.2", timeout=30).post(url + "sparql", data={"query": CARTESIAN}), daemon=True
        )
        holder.start()
        time.sleep(0.5)
        started = time.monotonic()
        answer = httpx.get(url + "sparql", params={"query": "ASK { ?s ?p 7 }"}, timeout=30)
        waited = time.monotonic() - started
        holder.join(timeout=30)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5", answer.text
    assert "busy" in answer.text and waited < 3, waited


def test_the_editor_page_of_a_client_over_its_share_says_when_to_retry(built: Any) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    with live_server(EmbeddedBackend(built.config.store_dir), query_timeout=1.5, client_seconds_per_minute=1.0, workers=1) as url:
        first = httpx.post(url + "sparql", data={"query": CARTESIAN}, timeout=30)
        page = httpx.get(url + "sparql", params={"query": "ASK { ?s ?p 44 }"}, headers=browser, timeout=30)
    assert first.status_code == 503
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert int(page.headers["retry-after"]) >= 1 and "share of query time" in page.text
