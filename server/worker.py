"""A query worker process: it opens the published store read-only and answers jobs over a pipe.

pyoxigraph cannot cancel a running query, so each query runs in a long-lived worker process
that the server can kill (`server.pool` decides when). Before its first job a worker confines
itself (`server.sandbox`): no network unless it is one of the few workers kept for allowed
SERVICE hosts, a memory cap, and a large stack for the thread that runs queries. Results
stream back over the pipe in messages of about CHUNK bytes.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from server.negotiation import NotAcceptable, choose
from server.results import (
    BOOLEAN_TYPES,
    CHUNK,
    GRAPH_OFFERS,
    SELECT_TYPES,
    RowLimit,
    write_boolean,
    write_graph,
    write_select,
)
from server.sandbox import QUERY_THREAD_STACK, SandboxUnavailable, cap_memory, forbid_network

if TYPE_CHECKING:
    from loaders.store import Readable
    from server.backends import Backend


@dataclass(frozen=True)
class QueryJob:
    query: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    accept: str | None = None
    max_rows: int = 1_000_000
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None  # relative IRIs in the query resolve against the endpoint's URL
    network: bool = False  # runs on a worker allowed to reach the SERVICE hosts on the allow-list


OUT_OF_MEMORY = (503, "The query needed more memory than a query may use here; it was stopped.")


@dataclass(frozen=True)
class WorkerLimits:
    network: bool = False  # False: the worker cannot open a network socket
    memory_bytes: int = 4 << 30  # RLIMIT_DATA of the worker; 0 for none


def _execute(store: Readable, job: QueryJob) -> Iterator[tuple[str, Any]]:
    kwargs: dict[str, Any] = {"prefixes": job.prefixes, "base_iri": job.base_iri}
    try:
        if job.default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
        if job.named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
        result = store.query(job.query, **kwargs)
    except SyntaxError as error:
        yield "error", (400, f"SPARQL syntax error: {error}")
        return
    except (OSError, ValueError) as error:
        yield "error", (400, f"The query cannot be evaluated: {error}")
        return
    except MemoryError:
        yield "error", OUT_OF_MEMORY
        return
    limit = RowLimit(job.max_rows)
    try:
        if isinstance(result, ox.QueryBoolean):
            media = choose(job.accept, list(BOOLEAN_TYPES))
            yield "start", media
            yield "data", write_boolean(BOOLEAN_TYPES[media], bool(result))
        elif isinstance(result, ox.QuerySolutions):
            media = choose(job.accept, list(SELECT_TYPES))
            yield "start", media
            for chunk in write_select(SELECT_TYPES[media], result, limit):
                yield "data", chunk
        else:
            media = choose(job.accept, list(GRAPH_OFFERS))
            yield "start", media
            for chunk in write_graph(GRAPH_OFFERS[media], result, limit, job.prefixes):
                yield "data", chunk
    except NotAcceptable as error:
        yield "error", (406, str(error))
        return
    except (OSError, ValueError) as error:  # evaluation errors surface while iterating
        yield "error", (400, f"The query failed while producing results: {error}")
        return
    except MemoryError:
        yield "error", OUT_OF_MEMORY
        return
    yield "end", (limit.rows, limit.truncated)


def _serve_jobs(conn: Connection, backend: Backend) -> None:
    build_id, store = backend.build_id(), backend.open()
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:  # a health check
            conn.send(("ready",))
            continue
        if backend.build_id() != build_id:  # a new build was published: switch to it
            build_id, store = backend.build_id(), backend.open()
        _send_batched(conn, _execute(store, job))


def _worker_main(conn: Connection, backend: Backend, limits: WorkerLimits) -> None:
    try:
        if not limits.network:
            forbid_network()
        cap_memory(limits.memory_bytes)
    except SandboxUnavailable as error:
        conn.send(("fatal", str(error)))
        return
    threading.stack_size(QUERY_THREAD_STACK)
    runner = threading.Thread(target=_serve_jobs, args=(conn, backend), name="queries")
    runner.start()
    runner.join()


def _send_batched(conn: Connection, events: Iterator[tuple[str, Any]]) -> None:
    """Send ("start", media, chunks, ending) then ("data", chunks, ending) messages of about CHUNK
    bytes each, so that a small answer crosses the pipe as one message; `ending` is (rows,
    truncated) in the last message and None before it. Or one ("error", (status, message))."""
    media: str | None = None
    chunks: list[bytes] = []
    size = 0
    for kind, payload in events:
        if kind == "error":
            conn.send(("error", payload))
            return
        if kind == "start":
            media = payload
        elif kind == "data":
            chunks.append(payload)
            size += len(payload)
        if size >= CHUNK or kind == "end":
            ending = payload if kind == "end" else None  # (rows, truncated) once the answer is complete
            conn.send(("start", media, chunks, ending) if media is not None else ("data", chunks, ending))
            media, chunks, size = None, [], 0


class WorkerProcess:
    """The server's handle on one worker process."""

    def __init__(self, backend: Backend, limits: WorkerLimits):
        context = multiprocessing.get_context("spawn")
        self.limits = limits
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, backend, limits), daemon=True)
        self.process.start()
        child.close()
        self.ready = False  # until its first ("ready",) message has been read
        self.reniced = False

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def exit_description(self) -> str:
        self.process.join(timeout=1)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        return f"it exited with signal {-code}" if code < 0 else f"it exited with status {code}"
