"""`s3kg serve` over the embedded store (issue 21): its server processes cannot open a network
socket (seccomp, as the query workers), nothing a query hides reaches a listener, and a host on
the SERVICE allow-list is still reached, from a worker forked before the filter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from live_server import Listener, free_port
from test_fast_path import generated, reproducers

PROJECT = Path(__file__).resolve().parent.parent


@contextmanager
def serving(store: Path, **settings: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "S3KG_STORE_DIR": str(store), **{f"S3KG_{k.upper()}": v for k, v in settings.items()}}
    command = [sys.executable, "-m", "s3kg.cli", "serve", "--port", str(port), "--processes", "2"]
    server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                if httpx.get(base + "sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        server_pids = _children(server.pid)
        yield base
        assert server_pids
        assert all(_seccomp(pid) == 2 for pid in server_pids), "every server process is confined"
        assert _seccomp(server.pid) == 0, "the supervisor is not (it starts server processes)"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if "resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
            found.append(int(child))
    return found


def _seccomp(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Seccomp:")))


def test_serve_confines_its_server_processes_and_no_reproducer_connects(built: Any) -> None:
    listener = Listener()
    try:
        with serving(built.config.store_dir) as base, httpx.Client(timeout=60) as client:
            queries = reproducers(listener.port) + generated(listener.port)[::5]
            statuses = {client.post(base + "sparql", data={"query": q}).status_code for q in queries}
            cheap = client.post(base + "sparql", data={"query": "DESCRIBE <https://w3id.org/s3kg/id/project/gotos3>"})
        time.sleep(0.5)
    finally:
        listener.close()
    assert listener.connections == 0
    assert statuses <= {200, 400, 403}, statuses
    assert cheap.status_code == 200 and "GoToS3" in cheap.text  # the fast path still answers, confined


def test_an_allowed_service_host_is_reached_from_a_confined_server(built: Any) -> None:
    allowed, other = Listener(), Listener()
    try:
        with serving(built.config.store_dir, service_allow_list=json.dumps(["localhost"])) as base:
            plain = f"SELECT * WHERE {{ SERVICE SILENT <http://localhost:{allowed.port}/sparql> {{ ?s ?p ?o }} }}"
            hidden = f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{other.port}/sparql> {{ ?s ?p ?o }} }}"
            answers = [httpx.post(base + "sparql", data={"query": q}, timeout=60) for q in (plain, hidden)]
        time.sleep(0.5)
    finally:
        allowed.close()
        other.close()
    assert [a.status_code for a in answers] == [200, 403]
    assert allowed.connections >= 1 and other.connections == 0
