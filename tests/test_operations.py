"""What an operator needs (issue 21): an access line per request, worker events, /healthz,
/readyz, /metrics added up over `s3kg serve`'s processes, a graceful stop that finishes the
requests in hand, and new builds and rolling restarts that drop no request."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PROJECT
from live_server import client_from, free_port, live_server, wait_until_ready
from prometheus_client.parser import text_string_to_metric_families
from seed_data import seed_data_dir
from test_cli import s3kg
from test_serve_sandbox import _children

from loaders.publish.store import PublishedStore
from loaders.publish.tables.spec import TABLES
from loaders.publish.tables.write import TABLES_FOLDER
from server.backends.embedded.backend import EmbeddedBackend
from server.web.observe import route_of

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a a ?c . ?d a ?t }"  # about 2 s on the test build


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]


@pytest.mark.parametrize(
    ("path", "route"),
    [("/", "/"), ("/sparql", "/sparql"), ("/id/project/gotos3", "/id/*"), ("/browse/Project", "/browse/*"),
     ("/versions/3/id/x", "/versions/*"), ("/nothing/here", "other"), ("/metrics", "/metrics")],
)  # fmt: skip
def test_a_route_label_has_few_values(path: str, route: str) -> None:
    assert route_of(path) == route


def test_health_readiness_metrics_and_the_access_line(built: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="server")
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1, cache_bytes=1 << 20) as base:
        health = httpx.get(base + "healthz")
        ready = httpx.get(base + "readyz").json()
        query = {"query": "SELECT ?s WHERE { ?s a s3:Programme . ?s a ?t }"}
        first = httpx.get(base + "sparql", params=query, headers={"X-Request-ID": "probe-42"})
        again = httpx.get(base + "sparql", params=query)
        metrics = httpx.get(base + "metrics")
    assert health.status_code == 200 and ready["ready"] is True and ready["build"] == built.info.build_id
    assert first.headers["x-request-id"] == "probe-42" and len(again.headers["x-request-id"]) == 32
    lines = [r for r in caplog.records if r.name == "server.access" and getattr(r, "route", "") == "/sparql"]
    assert [getattr(r, "cache", None) for r in lines] == ["miss", "hit"]
    line = lines[0]
    assert line.request_id == "probe-42" and line.status == 200 and line.form == "SELECT"  # type: ignore[attr-defined]
    rows = len(first.json()["results"]["bindings"])
    assert line.served_by.startswith("worker ") and line.rows == rows > 0 and len(line.query_hash) == 16  # type: ignore[attr-defined]
    assert line.duration_ms > 0 and line.bytes == len(first.content)  # type: ignore[attr-defined]
    assert any(getattr(r, "event", "") == "start" for r in caplog.records if r.name == "server.workers")
    text = metrics.text
    requests = {(labels["route"], labels["status"]): value for labels, value in _samples(text, "s3kg_requests_total")}
    assert requests[("/sparql", "200")] == 2 and requests[("/readyz", "200")] == 1
    assert _samples(text, "s3kg_build_info") == [({"build": built.info.build_id}, 1.0)]
    assert ({"result": "hit"}, 1.0) in _samples(text, "s3kg_answer_cache_total")
    assert _samples(text, "s3kg_worker_events_total") == [({"event": "start"}, 1.0)]


def test_readyz_is_503_naming_why_when_the_build_is_gone(built: Any, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(built.config.store_dir, store, symlinks=True)
    with live_server(EmbeddedBackend(store), workers=1) as base:
        assert httpx.get(base + "readyz").status_code == 200
        (store / "current").unlink()
        response = httpx.get(base + "readyz")
        health = httpx.get(base + "healthz")
    assert response.status_code == 503 and response.json()["ready"] is False and "current" in response.json()["why"]
    assert health.status_code == 200


# --- s3kg serve --------------------------------------------------------------------------------


@contextmanager
def serving(store: Path, processes: int = 2) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {**os.environ, "S3KG_STORE_DIR": str(store), "S3KG_REPORT_DIR": str(store.parent / "reports")}
    env["S3KG_DATA_DIR"] = str(seed_data_dir())
    command = [sys.executable, "-m", "s3kg.cli", "serve", "--port", str(port), "--processes", str(processes)]
    logs = tempfile.TemporaryFile("w+")  # noqa: SIM115 - a file, not a pipe (nobody reads the logs while it runs)
    server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=logs, text=True)
    server.stderr = logs  # read back by the tests once the server has stopped
    base = f"http://127.0.0.1:{port}/"
    wait_until_ready(base, server)
    try:
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=60)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("operations") / "store"
    assert s3kg("build", store=path).returncode == 0
    return path


def test_serve_logs_json_lines_and_adds_up_the_metrics_of_its_processes(store: Path) -> None:
    with serving(store) as (base, server), httpx.Client(timeout=30) as client:
        for n in range(40):  # new connections: the kernel spreads them over both processes
            client.get(base + "sparql", params={"query": f"ASK {{ ?s ?p {n} }}"}, headers={"Connection": "close"})
        text = client.get(base + "metrics").text
        server.terminate()
        assert server.wait(timeout=60) == 0
        assert server.stderr is not None
        server.stderr.seek(0)
        log_text = server.stderr.read()
    sparql = [value for labels, value in _samples(text, "s3kg_requests_total") if labels["route"] == "/sparql"]
    assert sum(sparql) == 40, "each process's requests, added up whichever process answers the scrape"
    events = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
    access = [e for e in events if e["logger"] == "server.access" and e["route"] == "/sparql"]
    assert len(access) == 40 and {e["form"] for e in access} == {"ASK"}
    assert len({e["served_by"] for e in access}) >= 2, "answered by workers of more than one process"
    assert any(e["logger"] == "server.workers" and e["event"] == "start" for e in events)


def test_a_stop_finishes_the_requests_in_hand(store: Path) -> None:
    with serving(store, processes=1) as (base, server):
        answers: list[httpx.Response] = []
        slow = threading.Thread(target=lambda: answers.append(httpx.post(base + "sparql", data={"query": SLOW}, timeout=60)))
        slow.start()
        time.sleep(0.8)  # the query is running
        server.send_signal(signal.SIGTERM)
        slow.join(timeout=90)
        code = server.wait(timeout=60)
    assert code == 0 and answers and answers[0].status_code == 200 and '"n"' in answers[0].text


def _hammer(base: str, stop: threading.Event, statuses: list[int], retries: list[int]) -> threading.Thread:
    """A client that keeps asking; a GET whose connection was closed under it is sent once more,
    as HTTP/1.1 lets a client do for an idempotent request (RFC 9112, 9.3.1); `retries` counts those."""

    def run() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                for attempt in range(2):
                    try:
                        statuses.append(client.get(base + "id/project/gotos3", headers={"Accept": "text/turtle"}).status_code)
                        break
                    except httpx.TransportError:
                        if attempt:
                            statuses.append(0)
                        else:
                            retries.append(1)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_new_build_is_served_without_dropping_a_request(store: Path) -> None:
    with serving(store) as (base, _server):
        before = httpx.get(base + "readyz").json()["build"]
        stop, statuses, retries = threading.Event(), list[int](), list[int]()
        thread = _hammer(base, stop, statuses, retries)
        built = s3kg("build", "--force", store=store)
        time.sleep(1.0)
        after = httpx.get(base + "readyz").json()["build"]
        stop.set()
        thread.join(timeout=60)
    assert built.returncode == 0 and after != before
    assert len(statuses) > 20 and set(statuses) == {200} and retries == []


def test_a_rolling_restart_drops_no_request(store: Path) -> None:
    with serving(store) as (base, server):
        before = set(_children(server.pid))
        stop, statuses, retries = threading.Event(), list[int](), list[int]()
        thread = _hammer(base, stop, statuses, retries)
        time.sleep(0.5)
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            after = set(_children(server.pid))
            if len(after - before) >= 2 and not (before & after):
                break
            time.sleep(0.5)
        time.sleep(1.0)
        stop.set()
        thread.join(timeout=60)
    assert not (before & after), "every server process was replaced"
    assert len(statuses) > 20 and set(statuses) == {200} and len(retries) <= 2, "at most one retry per replaced process"


def _jobs(base: str) -> float:
    """Queries the workers have taken so far (one queue wait observed per query)."""
    return sum(value for _, value in _samples(httpx.get(base + "metrics").text, "s3kg_queue_wait_seconds_count"))


def _table_jobs(store_dir: Path) -> tuple[float, float]:
    """The worker jobs of a first project table view, and of the same view again."""
    with live_server(EmbeddedBackend(store_dir), workers=1, cache_bytes=0) as base:
        start = _jobs(base)
        first = httpx.get(base + "browse/Project", timeout=60)
        after_first = _jobs(base)
        again = httpx.get(base + "browse/Project?page=1", timeout=60)
        after_again = _jobs(base)
    assert first.status_code == again.status_code == 200
    return after_first - start, after_again - after_first


def test_table_views_run_on_the_workers_and_keep_count_and_facets_per_filter_set(built: Any, tmp_path: Path) -> None:
    """With the build's table index, a view asks the workers for its page's rows alone; without
    it (a build published without one), for its count, each facet and its rows, and the count and
    facets of a filter set are kept."""
    assert _table_jobs(built.config.store_dir) == (1, 1), "the index counts: only the page's rows are a worker's job"
    shutil.copytree(built.config.store_dir, tmp_path / "store", symlinks=True)
    published = PublishedStore(tmp_path / "store")
    shutil.rmtree(published.dumps_dir(published.current().build_id) / TABLES_FOLDER)
    facets = len(TABLES["Project"].facets) + sum(len(values) for values in TABLES["Project"].choices.values())
    first, again = _table_jobs(tmp_path / "store")
    assert first == 1 + facets + 1, "count, each facet (a status: one count per value) and the rows: each a worker's job"
    assert again == 1, "the same filter set again: only its rows are asked for"


def test_a_table_view_waits_for_a_worker_with_its_limits_while_entity_pages_answer(built: Any) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    settings = {"workers": 1, "queue_wait": 0.5, "query_timeout": 5.0, "cache_bytes": 0, "client_seconds_per_minute": 1e9}
    with live_server(EmbeddedBackend(built.config.store_dir), **settings) as base:
        other = client_from("127.0.0.2", timeout=60)  # another client keeps the only worker busy
        busy = threading.Thread(target=lambda: other.post(base + "sparql", data={"query": runaway}))
        busy.start()
        time.sleep(0.5)
        table = httpx.get(base + "browse/Organisation", timeout=60)  # its rows are read on a worker
        entity = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/turtle"}, timeout=60)
        busy.join(timeout=60)
        other.close()
    assert table.status_code == 503 and "Retry-After" in table.headers and "Every query worker is busy" in table.text
    assert entity.status_code == 200


def test_a_rolling_restart_reads_the_settings_again_and_keeps_the_old_ones_when_they_are_broken(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from s3kg.serve import _reread
    from s3kg.settings import Settings, load_settings

    current = load_settings(store_dir=tmp_path, port=8123)
    assert _reread(lambda: load_settings(store_dir=tmp_path, port=8124), current).port == 8124
    assert _reread(None, current) is current

    def broken() -> Settings:
        return load_settings(store_dir=tmp_path, port=0)  # below the port's range

    with pytest.raises(ValidationError):
        broken()
    assert _reread(broken, current) is current
