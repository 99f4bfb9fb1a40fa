"""The public endpoint over a remote SPARQL engine: each query checked, renamed to the current
build and forwarded, its answer streamed back.

The guarantees of the embedded endpoint hold here too:
- only SPARQL 1.1 goes through: the query is parsed by Oxigraph's parser first (an engine's own
  dialect, such as Virtuoso's `define` pragmas or `bif:` functions, is a 400), and no SERVICE
  at all: the engine's own federation is never reachable by users (403);
- no FROM, FROM NAMED or GRAPH IRI reaches the engine as a URL it could fetch: every graph IRI
  a query names is renamed into the build's `urn:` names (`loaders.publish.remote.BuildView`);
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
from dataclasses import dataclass
from io import BytesIO
from itertools import chain
from typing import IO, Any, Protocol, cast

import httpx
import pyoxigraph as ox

from loaders.publish.remote import BuildView, EngineRefused, EngineTimeout, EngineUnavailable, RemoteEngine, transport_errors
from server.backends.remote.store import query_form
from server.backends.remote.translate import AnswerFilter, answer_filters, filtered, prepare
from server.sparql.contract import RETRY_AFTER, Answer, ClientBudget, QueryFailed, QueryJob, QuerySettings
from server.sparql.guard import ForbiddenQuery
from server.sparql.results import (
    BOOLEAN_TYPES,
    CHUNK,
    GRAPH_OFFERS,
    SELECT_TYPES,
    RowLimit,
    write_boolean,
    write_graph,
    write_select,
)
from server.sparql.text import final_limit, with_limit
from server.web.negotiation import choose

# SERVICE followed by what may start its endpoint, whatever the tokens around it: refused even
# where a parser would read it as inside a string, so no parser difference can reach the engine
_SERVICE = re.compile(r"(?i)\bSERVICE(?:\s|#[^\n]*\n)*(?:SILENT\b|<|[?$]|[\w-]*:)")
_XML_RESULTS, _NTRIPLES = "application/sparql-results+xml", "application/n-triples"
SMALL_ANSWER = 4 << 20  # bytes of an answer read whole before it is sent on
# the fewest bytes a row (or triple) takes in each format: an answer shorter than (cap + 1) rows
# of these (less one separator) cannot have more rows than the cap
_SHORTEST_ROW = {
    "application/sparql-results+json": 3,
    "application/json": 3,
    "application/sparql-results+xml": 17,
    "application/xml": 17,
    "text/csv": 2,
    "text/tab-separated-values": 1,
    "application/n-triples": 16,
}
# answer formats pyoxigraph reads (to cut an answer at the cap, or write it in another format)
_READABLE = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    **dict.fromkeys(GRAPH_OFFERS, None),
}
# what each engine writes as SPARQL 1.1 says (Virtuoso's JSON says "typed-literal", its TSV
# quotes IRIs: its answers are always read from XML and written again)
_FAITHFUL = {
    "oxigraph": {_XML_RESULTS, "application/sparql-results+json", "text/csv", "text/tab-separated-values"}
    | {_NTRIPLES, "text/turtle", "application/rdf+xml"},
    "virtuoso": set(),
    "generic": {_XML_RESULTS, "application/sparql-results+json", _NTRIPLES},
}


class _Chunks:
    """A readable stream over the engine's answer, prefix taken out, stopped at the deadline."""

    def __init__(self, chunks: Iterator[bytes], filters: list[AnswerFilter], deadline: float, url: str):
        self.chunks, self.filters, self.deadline, self.url = chunks, filters, deadline, url
        self.buffer = b""
        self.done = False
        self._iterator: Iterator[bytes] | None = None

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
        """At most `size` bytes (all the rest when negative), as pyoxigraph's parsers read."""
        if self._iterator is None:
            self._iterator = iter(self)
        while not self.done and (size < 0 or len(self.buffer) < size):
            try:
                self.buffer += next(self._iterator)
            except StopIteration:
                self.done = True
        size = len(self.buffer) if size < 0 else size
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


@dataclass(frozen=True)
class _Plan:
    """How one query goes to the engine and comes back."""

    form: type  # ox.QuerySolutions, ox.QueryBoolean or ox.QueryTriples
    media: str  # what the client gets
    upstream: str  # what the engine is asked for: `media` where it writes that faithfully
    within_cap: bool  # the answer cannot pass the row cap (ASK, or a final LIMIT within it)
    small: int  # bytes: an answer this long or shorter is read whole before anything is sent

    @property
    def through(self) -> bool:
        """The engine's bytes can go to the client as they are (once shown within the cap)."""
        return self.upstream == self.media


class Views(Protocol):
    """Which build is current (`backend.RemoteBackend`)."""

    def view(self) -> BuildView: ...

    def fresh_view(self) -> BuildView | None: ...


class RemoteQueries:
    """Runs the endpoint's queries on the engine; same interface as `server.backends.embedded.pool.QueryPool`.

    Most answers are small: each is first read whole, up to `_Plan.small` bytes (an answer in
    the client's format that ends before (cap + 1) of its shortest rows is within the row cap,
    and goes to the client as the engine wrote it; one that needs writing again is written in
    one go). A longer answer goes on from where that read stopped, streamed through, or read and
    written again, on a thread of its own."""

    def __init__(self, backend: Views, engine: RemoteEngine, settings: QuerySettings, budget: ClientBudget):
        self.backend, self.engine, self.settings, self.budget = backend, engine, settings, budget
        self.gate = asyncio.Semaphore(settings.workers * 4)  # queries this process runs on the engine at once

    async def start(self) -> None:
        return None

    def close(self) -> None:
        self.engine.close()

    def _plan(self, job: QueryJob) -> _Plan:
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
        readable = media in _READABLE or within_cap  # a long answer in it can be read again and cut
        faithful = media in _FAITHFUL[self.engine.target.engine] and readable
        upstream = media if faithful else _NTRIPLES if form is ox.QueryTriples else _XML_RESULTS
        small = SMALL_ANSWER
        if faithful and not within_cap:
            small = min(SMALL_ANSWER, (job.max_rows + 1) * _SHORTEST_ROW.get(media, 1) - 2)
        return _Plan(form, media, upstream, within_cap, small)

    async def run(self, job: QueryJob, client: str, facts: dict[str, Any] | None = None) -> Answer:
        self.budget.check(client)
        plan = self._plan(job)
        if facts is not None:
            facts["served_by"] = "engine"
        try:
            await asyncio.wait_for(self.gate.acquire(), self.settings.queue_wait)
        except TimeoutError:
            raise QueryFailed(503, f"The endpoint is busy. Retry in {RETRY_AFTER} s.", RETRY_AFTER) from None
        started = time.monotonic()
        try:
            view = self.backend.fresh_view()
            if view is None:  # asked of the engine at most every `poll` seconds
                view = await asyncio.to_thread(self.backend.view)
            # the row cap as a LIMIT (one more row, to know a cut): engines that write a whole answer
            # before sending it (Virtuoso) then stop at the cap instead of the end
            query = with_limit(job.query, job.max_rows + 1) if plan.form is ox.QuerySolutions else job.query
            text, params = prepare(view, query, job.prefixes, job.base_iri, job.default_graphs, job.named_graphs)
            filters = answer_filters(view, self.engine.target.engine, plan.upstream == _XML_RESULTS)
            deadline = started + self.settings.timeout
            opened = await asyncio.to_thread(self._open, text, params, plan, deadline)
        except BaseException as error:
            self._done(client, started)
            raise _failure(error, self.settings.timeout) from None
        response, raw, rest = opened
        if rest is not None:
            chunks = _Chunks(chain(raw, rest), filters, deadline, self.engine.target.query_url)
            return await self._streamed(response, chunks, plan, job, client, started)
        try:
            content = filtered(filters, b"".join(raw), last=True)
            if plan.through:
                return Answer(plan.media, _once(content), job.max_rows, False)
            cap = RowLimit(job.max_rows)
            written = await asyncio.to_thread(lambda: b"".join(_rewrite(plan, BytesIO(content), cap, job.prefixes)))
            return Answer(plan.media, _once(written), job.max_rows, cap.truncated)
        except (OSError, ValueError, SyntaxError) as error:
            raise _failure(error, self.settings.timeout) from None
        finally:
            self._done(client, started)

    def _done(self, client: str, started: float) -> None:
        self.gate.release()
        self.budget.record(client, time.monotonic() - started)

    def _open(
        self, text: str, params: list[tuple[str, str]], plan: _Plan, deadline: float
    ) -> tuple[httpx.Response, list[bytes], Iterator[bytes] | None]:
        """Send the query and read its answer up to `plan.small` bytes: the response, the bytes
        read, and the rest of the answer (None when it is all read, and the response closed)."""
        url = self.engine.target.query_url
        response = self.engine.query(text, params, plan.upstream, True, self.settings.timeout)
        raw: list[bytes] = []
        size = 0
        rest = response.iter_raw()
        try:
            with transport_errors(url):
                for chunk in rest:
                    raw.append(chunk)
                    size += len(chunk)
                    if time.monotonic() > deadline:
                        raise EngineTimeout("the time limit passed")
                    if size > plan.small:
                        return response, raw, rest
        except BaseException:
            response.close()
            raise
        response.close()
        return response, raw, None

    async def _streamed(
        self, response: httpx.Response, chunks: _Chunks, plan: _Plan, job: QueryJob, client: str, started: float
    ) -> Answer:
        """A long answer, streamed through (or written again) as it comes, on a thread of its own."""
        cap = RowLimit(job.max_rows)
        through = plan.through and plan.within_cap  # else read and cut at the cap, even in the client's format
        output = (c for c in chunks) if through else _rewrite(plan, cast(IO[bytes], chunks), cap, job.prefixes)

        def done() -> None:
            response.close()
            self._done(client, started)

        pump = _Pump(_guarded(output, self.settings.timeout))
        try:
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

        known = cap.truncated if finished else False if through and plan.form is not ox.QueryTriples else None
        return Answer(plan.media, body(), job.max_rows, known)


def _rewrite(plan: _Plan, source: IO[bytes], cap: RowLimit, prefixes: dict[str, str]) -> Iterator[bytes]:
    """The engine's answer (in `plan.upstream`) read by pyoxigraph and written by our writers, cut at the cap."""
    if plan.form is ox.QueryTriples:
        triples = ox.parse(source, format=GRAPH_OFFERS[plan.upstream])
        yield from write_graph(GRAPH_OFFERS[plan.media], triples, cap, prefixes)  # type: ignore[arg-type]
        return
    answer = ox.parse_query_results(source, format=_READABLE[plan.upstream])
    if isinstance(answer, ox.QueryBoolean):
        yield write_boolean(BOOLEAN_TYPES[plan.media], bool(answer))
    else:
        yield from write_select(SELECT_TYPES[plan.media], answer, cap)


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


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
    if isinstance(error, EngineTimeout | TimeoutError):  # asyncio.timeout raises TimeoutError, an OSError
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
