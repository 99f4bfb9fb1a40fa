"""The public endpoint over a remote SPARQL engine: each query checked, renamed to the current
build and forwarded, its answer streamed back.

The guarantees of the embedded endpoint hold here too:
- only SPARQL 1.1 goes through: the query is parsed by Oxigraph's parser first (an engine's own
  dialect, such as Virtuoso's `define` pragmas or `bif:` functions, is a 400), and no SERVICE
  at all: the engine's own federation is never reachable by users (403);
- no FROM, FROM NAMED or GRAPH IRI reaches the engine as a URL it could fetch: every graph IRI
  a query names is renamed into the build's `urn:` names (`loaders.remote.BuildView`);
- a time limit: the engine is given it (where it takes one) and s3kg closes the upstream
  request when it passes; the row cap; the client's time budget (429); the answer cache (app).

When the row cap cannot be exceeded (ASK, or a final LIMIT within it) and the engine writes the
format asked for faithfully, the engine's bytes stream through unparsed (only the build prefix
taken out of graph IRIs). Otherwise the answer is read with pyoxigraph's parser, from the
engine's XML results or N-Triples, and written by our own writers, cut at the row cap.
"""

from __future__ import annotations

import asyncio
import queue
import re
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator
from typing import IO, TYPE_CHECKING, Any, cast

import pyoxigraph as ox

from loaders.remote import (
    AnswerFilter,
    EngineRefused,
    EngineTimeout,
    EngineUnavailable,
    RemoteEngine,
    answer_filters,
    filtered,
    transport_errors,
)
from loaders.sparql_text import final_limit, with_limit
from server.guard import ForbiddenQuery
from server.negotiation import choose
from server.pool import RETRY_AFTER, Answer, ClientBudget, PoolSettings, QueryFailed
from server.remote_store import query_form
from server.results import BOOLEAN_TYPES, CHUNK, GRAPH_OFFERS, SELECT_TYPES, RowLimit, write_boolean, write_graph, write_select
from server.worker import QueryJob

if TYPE_CHECKING:
    from server.backends import SparqlBackend

# SERVICE followed by what may start its endpoint, whatever the tokens around it: refused even
# where a parser would read it as inside a string, so no parser difference can reach the engine
_SERVICE = re.compile(r"(?i)\bSERVICE(?:\s|#[^\n]*\n)*(?:SILENT\b|<|[?$]|[\w-]*:)")
_XML_RESULTS, _NTRIPLES = "application/sparql-results+xml", "application/n-triples"
# what each engine writes as SPARQL 1.1 says (Virtuoso's JSON says "typed-literal", its TSV
# quotes IRIs: its answers are always read from XML and written again)
_FAITHFUL = {
    "oxigraph": {*SELECT_TYPES, *GRAPH_OFFERS},
    "virtuoso": set(),
    "generic": {_XML_RESULTS, "application/sparql-results+json", _NTRIPLES},
}


class _Chunks:
    """A readable stream over the engine's answer, prefix taken out, stopped at the deadline."""

    def __init__(self, chunks: Iterator[bytes], filters: list[AnswerFilter], deadline: float, url: str):
        self.chunks, self.filters, self.deadline, self.url = chunks, filters, deadline, url
        self.buffer = b""
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        with transport_errors(self.url):
            for chunk in self.chunks:
                if time.monotonic() > self.deadline:
                    raise EngineTimeout("the time limit passed")
                if data := filtered(self.filters, chunk):
                    yield data
        if data := filtered(self.filters, b"", last=True):
            yield data

    def read(self, size: int = -1) -> bytes:
        if not hasattr(self, "_iterator"):
            self._iterator = iter(self)
        while not self.done and (size < 0 or len(self.buffer) < size):
            try:
                self.buffer += next(self._iterator)
            except StopIteration:
                self.done = True
        size = len(self.buffer) if size < 0 else size
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


class RemoteQueries:
    """Runs the endpoint's queries on the engine; same interface as `server.pool.QueryPool`."""

    def __init__(self, backend: SparqlBackend, engine: RemoteEngine, settings: PoolSettings, budget: ClientBudget):
        self.backend, self.engine, self.settings, self.budget = backend, engine, settings, budget
        self.gate = asyncio.Semaphore(settings.workers * 4)  # queries this process runs on the engine at once

    async def start(self) -> None:
        return None

    def close(self) -> None:
        self.engine.close()

    async def run(self, job: QueryJob, client: str) -> Answer:
        self.budget.check(client)
        if _SERVICE.search(job.query):
            raise ForbiddenQuery("SERVICE is not available on this endpoint: it does not query other servers.")
        try:
            form = query_form(job.query, job.prefixes, job.base_iri)
        except SyntaxError as error:
            raise QueryFailed(400, f"SPARQL syntax error: {error}") from None
        offers = SELECT_TYPES if form is ox.QuerySolutions else BOOLEAN_TYPES if form is ox.QueryBoolean else GRAPH_OFFERS
        media = choose(job.accept, list(offers))
        limit = final_limit(job.query)
        within_cap = form is ox.QueryBoolean or (limit is not None and limit <= job.max_rows)
        through = within_cap and media in _FAITHFUL[self.engine.target.engine]
        upstream = media if through else _NTRIPLES if form is ox.QueryTriples else _XML_RESULTS
        try:
            await asyncio.wait_for(self.gate.acquire(), self.settings.queue_wait)
        except TimeoutError:
            raise QueryFailed(503, f"The endpoint is busy. Retry in {RETRY_AFTER} s.", RETRY_AFTER) from None
        started = time.monotonic()
        try:
            view = await asyncio.to_thread(self.backend.view)
            # the row cap as a LIMIT (one more row, to know a cut): engines that write a whole answer
            # before sending it (Virtuoso) then stop at the cap instead of the end
            query = with_limit(job.query, job.max_rows + 1) if form is ox.QuerySolutions else job.query
            text, params = view.prepare(query, job.prefixes, job.base_iri, job.default_graphs, job.named_graphs)
            response = await asyncio.to_thread(self.engine.query, text, params, upstream, True, self.settings.timeout)
        except BaseException as error:
            self.gate.release()
            self.budget.record(client, time.monotonic() - started)
            raise _failure(error, self.settings.timeout) from None
        filters = answer_filters(view, self.engine.target.engine)
        chunks = _Chunks(response.iter_raw(), filters, started + self.settings.timeout, self.engine.target.query_url)

        cap = RowLimit(job.max_rows)

        def produce() -> Iterator[bytes]:
            if through:
                yield from chunks
            elif form is ox.QueryBoolean:
                answer = ox.parse_query_results(cast(IO[bytes], chunks), format=ox.QueryResultsFormat.XML)
                yield write_boolean(BOOLEAN_TYPES[media], bool(answer))
            elif form is ox.QuerySolutions:
                solutions = ox.parse_query_results(cast(IO[bytes], chunks), format=ox.QueryResultsFormat.XML)
                assert isinstance(solutions, ox.QuerySolutions)
                yield from write_select(SELECT_TYPES[media], solutions, cap)
            else:
                triples = ox.parse(cast(IO[bytes], chunks), format=ox.RdfFormat.N_TRIPLES)
                yield from write_graph(GRAPH_OFFERS[media], triples, cap, job.prefixes)  # type: ignore[arg-type]

        def done() -> None:
            response.close()
            self.gate.release()
            self.budget.record(client, time.monotonic() - started)

        pump = _Pump(_guarded(produce(), self.settings.timeout))
        try:  # a small answer is complete before the headers go: its status and truncation are known
            first, finished = await asyncio.to_thread(pump.first_part)
        except BaseException:
            pump.stop()
            done()
            raise

        async def body() -> AsyncIterator[bytes]:
            try:
                for chunk in first:
                    yield chunk
                ended = finished
                while not ended:
                    chunk, ended = await asyncio.to_thread(pump.next)
                    yield chunk
            finally:
                pump.stop()
                done()

        known = cap.truncated if finished else False if through and form is not ox.QueryTriples else None
        return Answer(media, body(), job.max_rows, known)


class _Pump:
    """Runs the answer's writer on one thread of its own (pyoxigraph's parsed results must stay
    on the thread that made them) and hands its chunks over, a few at a time."""

    def __init__(self, output: Generator[bytes]):
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4)
        self.stopped = threading.Event()
        threading.Thread(target=self._run, args=(output,), name="answer", daemon=True).start()

    def _run(self, output: Generator[bytes]) -> None:
        try:
            for chunk in output:
                if not self._put(("data", chunk)):
                    return
            self._put(("end", b""))
        except BaseException as error:  # handed over: raised where the answer is read
            self._put(("error", error))
        finally:
            output.close()  # the parsed answer is freed here, on the thread that made it

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def next(self) -> tuple[bytes, bool]:
        """The next chunk, and whether the answer ends with it."""
        kind, value = self.queue.get()
        if kind == "error":
            raise value
        return value, kind == "end"

    def first_part(self) -> tuple[list[bytes], bool]:
        """The answer's first CHUNK bytes or so, and whether that is all of it."""
        part: list[bytes] = []
        size, finished = 0, False
        while not finished and size < CHUNK:
            chunk, finished = self.next()
            part.append(chunk)
            size += len(chunk)
        return part, finished

    def stop(self) -> None:
        self.stopped.set()


def _guarded(chunks: Iterator[bytes], timeout: float) -> Generator[bytes]:
    """The answer's bytes; a failure after the headers went out breaks the stream as a QueryFailed."""
    try:
        yield from chunks
    except (EngineUnavailable, EngineRefused, OSError, ValueError, SyntaxError) as error:
        raise _failure(error, timeout) from None


def _failure(error: BaseException, timeout: float) -> BaseException:
    """The HTTP answer for what went wrong upstream."""
    if isinstance(error, EngineTimeout):
        return QueryFailed(503, f"The query did not finish within the time limit of {timeout:g} s and was stopped.")
    if isinstance(error, EngineUnavailable):
        return QueryFailed(503, f"The SPARQL engine is unavailable; retry in {RETRY_AFTER} s.", RETRY_AFTER)
    if isinstance(error, EngineRefused):
        if error.status == 400:
            return QueryFailed(400, f"The engine could not evaluate the query: {error}")
        first_line = str(error).split(": ", 1)[-1].splitlines()[0] if str(error) else ""
        return QueryFailed(502, f"The SPARQL engine failed to answer (HTTP {error.status}): {first_line}")
    if isinstance(error, OSError | ValueError | SyntaxError):
        return QueryFailed(502, f"The SPARQL engine's answer could not be read ({error}).")
    return error
