"""Query execution in worker processes, so that a query past its time limit can be stopped.

pyoxigraph cannot cancel a running query. Each query therefore runs in one of a few
long-lived worker processes, each holding the published store open read-only; results
stream back over a pipe in chunks. When a query passes its deadline the worker is killed
(its memory and file handles go with it) and a fresh one takes its place, while the other
workers keep serving. A worker reopens the store when a new build has been published.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from server.backends import Backend
from server.negotiation import NotAcceptable, choose
from server.results import (
    BOOLEAN_TYPES,
    CHUNK,
    GRAPH_TYPES,
    SELECT_TYPES,
    RowLimit,
    write_boolean,
    write_graph,
    write_select,
)


@dataclass(frozen=True)
class QueryJob:
    query: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    accept: str | None = None
    max_rows: int = 1_000_000
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None  # relative IRIs in the query resolve against the endpoint's URL


class QueryFailed(Exception):
    """The query could not be answered; `status` is the HTTP status to give."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


# -- inside the worker process -------------------------------------------------------
def _execute(store: ox.Store, job: QueryJob) -> Iterator[tuple[str, Any]]:
    kwargs: dict[str, Any] = {"prefixes": job.prefixes, "base_iri": job.base_iri}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        result = store.query(job.query, **kwargs)
    except SyntaxError as error:
        yield "error", (400, f"SPARQL syntax error: {error}")
        return
    except (OSError, ValueError) as error:
        yield "error", (400, f"The query cannot be evaluated: {error}")
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
            media = choose(job.accept, list(GRAPH_TYPES))
            yield "start", media
            for chunk in write_graph(GRAPH_TYPES[media], result, limit, job.prefixes):
                yield "data", chunk
    except NotAcceptable as error:
        yield "error", (406, str(error))
        return
    except (OSError, ValueError) as error:  # evaluation errors surface while iterating
        yield "error", (500, f"The query failed while producing results: {error}")
        return
    yield "end", (limit.rows, limit.truncated)


def _worker_main(conn: Connection, backend: Backend) -> None:
    build_id, store = backend.build_id(), backend.open()
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if backend.build_id() != build_id:  # a new build was published: switch to it
            build_id, store = backend.build_id(), backend.open()
        _send_batched(conn, _execute(store, job))


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


# -- in the server process ----------------------------------------------------------
class _Worker:
    def __init__(self, backend: Backend):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, backend), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


@dataclass
class Answer:
    media_type: str
    body: AsyncIterator[bytes]
    max_rows: int
    truncated: bool | None  # known before streaming when the whole answer came in the first message


class QueryPool:
    """A fixed number of worker processes; a query waits for a free one."""

    def __init__(self, backend: Backend, workers: int, timeout: float):
        self.backend, self.timeout = backend, timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        for _ in range(workers):
            self._idle.put_nowait(_Worker(backend))

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().kill()

    async def _recv(self, worker: _Worker, deadline: float) -> tuple[Any, ...]:
        """The worker's next message, waiting at most until `deadline` (one thread hop)."""

        def wait() -> tuple[Any, ...] | None:
            remaining = deadline - time.monotonic()
            return worker.conn.recv() if remaining > 0 and worker.conn.poll(remaining) else None

        message = await asyncio.to_thread(wait)
        if message is None:
            raise TimeoutError
        return message

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._idle.put_nowait(_Worker(self.backend))

    async def run(self, job: QueryJob, on_done: Callable[[float], None] | None = None) -> Answer:
        """Start the job; return once the media type is known, with the body still streaming."""
        started = time.monotonic()
        deadline = started + self.timeout
        worker = await self._idle.get()
        try:
            worker.conn.send(job)
            first = await self._recv(worker, deadline)
        except TimeoutError:
            self._replace(worker)
            message = f"The query did not finish within the time limit of {self.timeout:g} s and was stopped."
            raise QueryFailed(503, message) from None
        except (OSError, EOFError):
            self._replace(worker)
            raise QueryFailed(500, "The query worker stopped unexpectedly; the query was not answered.") from None
        if first[0] == "error":
            self._idle.put_nowait(worker)
            if on_done:
                on_done(time.monotonic() - started)
            raise QueryFailed(*first[1])
        _, media, chunks, ending = first

        async def body() -> AsyncIterator[bytes]:
            nonlocal chunks, ending
            finished = False
            try:
                while True:
                    for chunk in chunks:
                        yield chunk
                    if ending is not None:
                        finished = True
                        return
                    _, chunks, ending = await self._recv(worker, deadline)
            except TimeoutError:
                # Headers are sent: break the stream so the client sees an incomplete answer, not a short one.
                raise QueryFailed(503, f"The query passed the time limit of {self.timeout:g} s while sending results.") from None
            finally:
                if finished:
                    self._idle.put_nowait(worker)
                else:
                    self._replace(worker)
                if on_done:
                    on_done(time.monotonic() - started)

        truncated = None if ending is None else bool(ending[1])
        return Answer(media, body(), job.max_rows, truncated)
