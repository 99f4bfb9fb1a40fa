"""A query worker process: it opens the published store read-only and answers jobs over a pipe.

pyoxigraph cannot cancel a running query, so each query runs in a long-lived worker process
that the server can kill (`server.backends.embedded.pool` decides when). Before its first job a worker confines
itself (`server.backends.embedded.sandbox`): no network unless it is one of the few workers kept for allowed
SERVICE hosts, a memory cap, and a large stack for the thread that runs queries. Results
stream back over the pipe in messages of about PIPE_CHUNK bytes.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from typing import IO, TYPE_CHECKING, Any, Protocol, cast

import pyoxigraph as ox

from server.backends.embedded.sandbox import QUERY_THREAD_STACK, SandboxUnavailable, cap_memory, forbid_network
from server.sparql.contract import QueryJob
from server.sparql.results import (
    BOOLEAN_TYPES,
    GRAPH_OFFERS,
    RESULTS_FORMATS,
    SELECT_TYPES,
    RowLimit,
    counted_triples,
    graph_prefixes,
    write_boolean,
    write_select,
)
from server.sparql.text import construct_bound, final_limit
from server.web.negotiation import NotAcceptable, choose

if TYPE_CHECKING:
    from loaders.core.queries import Readable
    from server.backends.port import Backend


PIPE_CHUNK = 1 << 18  # bytes per message to the server: fewer, larger hand-overs for long answers
NATIVE_GRAPH_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML)
OUT_OF_MEMORY = (503, "The query needed more memory than a query may use here; it was stopped.")


@dataclass(frozen=True)
class WorkerLimits:
    network: bool = False  # False: the worker cannot open a network socket
    memory_bytes: int = 4 << 30  # RLIMIT_DATA of the worker; 0 for none


class Failure(Exception):
    """The job cannot be answered; `status` and `message` are the HTTP answer."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


class Sink(Protocol):
    """Where an answer goes: a media type once, then bytes (a binary file to the native writers)."""

    def start(self, media: str) -> None: ...

    def write(self, data: bytes) -> int: ...

    def flush(self) -> None: ...


def execute(store: Readable, job: QueryJob, sink: Sink) -> tuple[int | None, bool]:
    """Answer the job into `sink`; return (rows written or None when not counted, truncated).
    Raises Failure. A SELECT whose own final LIMIT is within the row cap, or a CONSTRUCT whose
    LIMIT times its template is, cannot reach the cap, so it is written by pyoxigraph's native
    serialiser, uncounted (graphs only in formats without prefixes: pyoxigraph's writer takes
    none); others are counted as they go."""
    kwargs: dict[str, Any] = {"prefixes": job.prefixes, "base_iri": job.base_iri}
    try:
        if job.default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
        if job.named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
        result = store.query(job.query, **kwargs)
    except SyntaxError as error:
        raise Failure(400, f"SPARQL syntax error: {error}") from None
    except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: e.g. a function Oxigraph does not have
        raise Failure(400, f"The query cannot be evaluated: {_unsupported(error)}") from None
    except MemoryError:
        raise Failure(*OUT_OF_MEMORY) from None
    limit = RowLimit(job.max_rows)
    try:
        if isinstance(result, ox.QueryBoolean):
            media = choose(job.accept, list(BOOLEAN_TYPES))
            sink.start(media)
            sink.write(write_boolean(BOOLEAN_TYPES[media], bool(result)))
        elif isinstance(result, ox.QuerySolutions):
            media = choose(job.accept, list(SELECT_TYPES))
            sink.start(media)
            kind = SELECT_TYPES[media]
            own_limit = final_limit(job.query)
            if own_limit is not None and own_limit <= job.max_rows:
                result.serialize(cast(IO[bytes], sink), RESULTS_FORMATS[kind])
                return None, False
            for chunk in write_select(kind, result, limit):
                sink.write(chunk)
        else:
            media = choose(job.accept, list(GRAPH_OFFERS))
            sink.start(media)
            fmt = GRAPH_OFFERS[media]
            bound = construct_bound(job.query)
            if bound is not None and bound <= job.max_rows and fmt in NATIVE_GRAPH_FORMATS:
                result.serialize(cast(IO[bytes], sink), fmt)
                return None, False
            triples = counted_triples(fmt, result, limit)
            ox.serialize(triples, cast(IO[bytes], sink), fmt, prefixes=graph_prefixes(fmt, job.prefixes))
    except NotAcceptable as error:
        raise Failure(406, str(error)) from None
    except (OSError, ValueError, RuntimeError) as error:  # evaluation errors surface while iterating
        raise Failure(400, f"The query failed while producing results: {_unsupported(error)}") from None
    except MemoryError:
        raise Failure(*OUT_OF_MEMORY) from None
    return limit.rows, limit.truncated


def _unsupported(error: Exception) -> str:
    """Oxigraph's message, with what to do when it names a function it does not have."""
    message = str(error)
    if "custom function" in message and "not supported" in message:
        return f"{message}: this endpoint evaluates the functions of SPARQL 1.1 and the XSD casts only."
    return message


class PipeSink:
    """Sends ("start", media, chunks, ending) then ("data", chunks, ending) messages of about
    PIPE_CHUNK bytes each (the pieces joined: one bytes object pickles as a copy), so that a
    small answer crosses the pipe as one message; `ending` is (rows, truncated) in the last
    message and None before it. Or one ("error", (status, message))."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.media: str | None = None
        self.chunks: list[bytes] = []
        self.size = 0

    def start(self, media: str) -> None:
        self.media = media

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.size += len(data)
        if self.size >= PIPE_CHUNK:
            self._send(None)
        return len(data)

    def flush(self) -> None:
        """Nothing: messages go when a chunk is full or the answer ends."""

    def _send(self, ending: tuple[int | None, bool] | None) -> None:
        chunks = [b"".join(self.chunks)] if self.chunks else []
        message = ("start", self.media, chunks, ending) if self.media is not None else ("data", chunks, ending)
        self.conn.send(message)
        self.media, self.chunks, self.size = None, [], 0

    def answer(self, store: Readable, job: QueryJob) -> None:
        try:
            ending = execute(store, job, self)
        except Failure as failure:
            self.conn.send(("error", (failure.status, failure.message)))
            return
        self._send(ending)


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
        PipeSink(conn).answer(store, job)


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


_FORK_SERVER: list[bool] = []  # holds True once this process started the fork server for network workers


def network_worker_source() -> None:
    """Start the fork server that workers allowed on the network are forked from. Called before a
    server process confines itself: a seccomp filter is inherited by every child, so a worker
    with network must come from a process started before the filter."""
    forkserver.ensure_running()
    _FORK_SERVER.append(True)


class WorkerProcess:
    """The server's handle on one worker process (a worker with network comes from the fork
    server, when one runs: see `network_worker_source`)."""

    def __init__(self, backend: Backend, limits: WorkerLimits):
        forked = limits.network and _FORK_SERVER
        context: Any = multiprocessing.get_context("forkserver") if forked else multiprocessing.get_context("spawn")
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
