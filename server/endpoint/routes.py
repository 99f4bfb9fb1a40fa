"""`/sparql` as a plain ASGI app, handed its requests before FastAPI's layers (`server.fast`).

The domain errors become the same answers as everywhere else (`server.errors`).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from urllib.parse import parse_qs, parse_qsl

from fastapi.responses import HTMLResponse, Response, StreamingResponse

from loaders.core.vocab import PREFIXES
from server.backends.port import Backend
from server.endpoint import editor
from server.errors import DomainError, error_response
from server.fast import CORS
from server.sparql.contract import Answer, Queries, QueryJob, TooManyRequests
from server.sparql.guard import ShapeLimits, check_shape, service_plan
from server.sparql.protocol import SparqlRequest, parse_request
from server.sparql.results import GRAPH_TYPES, SELECT_TYPES
from server.sparql.service_description import SD_TYPES, describe_service
from server.sparql.text import tokens
from server.web.languages import reader_page_language
from server.web.limits import Receive, Scope, Send
from server.web.negotiation import NotAcceptable, choose, prefer
from server.web.observe import Metrics
from server.web.templates import TEMPLATES

DEFAULT_QUERY = "SELECT ?project ?acronym WHERE { ?project s3:acronym ?acronym } ORDER BY ?acronym"
ANSWER_TYPES = tuple(dict.fromkeys([*SELECT_TYPES, *GRAPH_TYPES]))  # what a query's answer may be, besides a page

_QUERY = {"type": "string", "description": "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE)."}
SPARQL_OPENAPI = {
    "summary": "SPARQL 1.1 Protocol query endpoint",
    "parameters": [
        {
            "name": "query",
            "in": "query",
            "schema": _QUERY,
            "description": "The query (GET). Without one: the service description.",
        },
        {"name": "default-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "named-graph-uri", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
        {
            "name": "format",
            "in": "query",
            "schema": {"type": "string"},
            "description": "A result format by name (json, xml, csv, tsv, ttl, nt, jsonld, rdfxml, n3 …) or media type.",
        },
    ],
    "responses": {"200": {"description": "The answer, in the format negotiated by Accept or format="}},
}
SPARQL_POST_BODY = {
    "required": False,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": {"query": _QUERY}, "required": ["query"]}
        },
        "application/sparql-query": {"schema": _QUERY},
    },
}


@dataclass(frozen=True)
class EndpointLimits:
    public_url: str
    max_rows: int
    max_query_bytes: int
    service_allow_list: tuple[str, ...]
    shape_limits: ShapeLimits
    cache_bytes: int
    base_iri: str = "https://w3id.org/s3kg/id/"  # entity IRIs: the editor links them to their pages here


class ResultCache:
    """Complete answers of small results, keyed by build id and request, least recently used out.
    The build id in the key means a new build never serves an old answer."""

    def __init__(self, capacity: int, largest: int = 1 << 20):
        self.capacity, self.largest, self.size = capacity, largest, 0
        self.entries: OrderedDict[Hashable, tuple[str, bytes, bool | None]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[str, bytes, bool | None] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, media: str, content: bytes, truncated: bool | None) -> None:
        if not self.capacity or len(content) > self.largest:
            return
        self.entries[key] = (media, content, truncated)
        self.size += len(content)
        while self.size > self.capacity and self.entries:
            _, (_, dropped, _) = self.entries.popitem(last=False)
            self.size -= len(dropped)

    async def keep(self, key: Hashable, answer: Answer) -> AsyncIterator[bytes]:
        """Pass the body through; remember it if it completes and is small enough."""
        kept: list[bytes] | None = []
        size = 0
        async for chunk in answer.body:
            yield chunk
            size += len(chunk)
            if kept is not None and size <= self.largest:
                kept.append(chunk)
            else:
                kept = None
        if kept is not None:
            self.put(key, answer.media_type, b"".join(kept), answer.truncated)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


class SparqlEndpoint:
    """The SPARQL 1.1 Protocol over a Queries runner, as an ASGI app."""

    def __init__(self, limits: EndpointLimits, backend: Backend, queries: Callable[[], Queries], metrics: Metrics | None = None):
        self.limits, self.backend, self.queries, self.metrics = limits, backend, queries, metrics
        self.cache = ResultCache(limits.cache_bytes, largest=max(1 << 20, limits.cache_bytes // 8))  # an eighth at most

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.answer(scope, await _body(receive))
        except DomainError as error:
            response = error_response(error)
            response.headers.update(CORS)
        await response(scope, receive, send)

    async def answer(self, scope: Scope, body: bytes, max_rows: int | None = None) -> Response:
        limits = self.limits
        rows = min(max_rows or limits.max_rows, limits.max_rows)
        params = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        parsed = parse_request(scope["method"], _header(scope, b"content-type"), params, body, limits.max_query_bytes)
        accept = _header(scope, b"accept")
        accept = prefer(parsed.format, accept) if parsed.format else accept
        if parsed.query is None:
            media = choose(accept, [*SD_TYPES, "text/html"])
            negotiated = {"Vary": "Accept", **CORS}  # the editor or the service description, by Accept
            if media == "text/html":
                lang = reader_page_language(None, _header(scope, b"accept-language"))
                html = TEMPLATES.get_template("editor.html").render(lang=lang, query=DEFAULT_QUERY, shown=None)
                return HTMLResponse(html, headers={**negotiated, "Vary": "Accept, Accept-Language"})
            return Response(describe_service(limits.public_url, media), media_type=media, headers=negotiated)
        if scope["method"] == "GET" and parsed.format is None and _wants_page(accept):
            return await self.page(scope, parsed)
        check_shape(parsed.query, limits.shape_limits)
        endpoint = limits.public_url + "sparql"
        if limits.service_allow_list:  # may parse the whole query with rdflib: off the event loop
            network = await asyncio.to_thread(service_plan, parsed.query, limits.service_allow_list, PREFIXES, endpoint)
        else:
            network = service_plan(parsed.query, (), PREFIXES, endpoint)
        client = scope["client"][0] if scope.get("client") else "unknown"
        job = QueryJob(parsed.query, parsed.default_graphs, parsed.named_graphs, accept, rows, PREFIXES, endpoint, network)
        headers = {"X-S3KG-Row-Limit": str(rows), "Vary": "Accept", **CORS}
        key = (self.backend.build_id(), job.query, tuple(job.default_graphs), tuple(job.named_graphs), job.accept, rows)
        cached = self.cache.get(key) if limits.cache_bytes else None
        facts = scope.setdefault("s3kg", {})
        facts.update(query_hash=hashlib.sha256(job.query.encode()).hexdigest()[:16], form=query_form_word(job.query))
        facts["cache"] = "hit" if cached is not None else "miss"
        if self.metrics is not None:
            self.metrics.cache.labels(facts["cache"]).inc()
        if cached is not None:
            media, content, truncated = cached
            headers["X-S3KG-Cache"] = "hit"
            return Response(content, media_type=media, headers=_truncated(headers, truncated))
        try:
            answer = await self.queries().run(job, client, facts)
        except TooManyRequests:
            # A client over its share is answered after a pause: a loop of refused queries then
            # costs the server a few answers a second, not hundreds (others keep their latency).
            await asyncio.sleep(OVER_SHARE_PAUSE)
            raise
        if answer.truncated is None:  # still streaming
            return StreamingResponse(self.cache.keep(key, answer), media_type=answer.media_type, headers=headers)
        content = b"".join([chunk async for chunk in answer.body])  # complete: in hand, no stream to keep open
        self.cache.put(key, answer.media_type, content, answer.truncated)
        return Response(content, media_type=answer.media_type, headers=_truncated(headers, answer.truncated))

    async def page(self, scope: Scope, parsed: SparqlRequest) -> Response:
        """The editor with the query and its answer: the query runs through `answer` as any other,
        asking for SPARQL JSON (or N-Triples for a graph); a refusal is shown in the page."""
        assert parsed.query is not None
        form = query_form_word(parsed.query)
        wanted = editor.accept_for(form)
        headers = [(k, v) for k, v in scope["headers"] if k != b"accept"] + [(b"accept", wanted.encode())]
        inner = {**scope, "headers": headers}
        kept: dict[str, str] = {}
        try:
            response = await self.answer(inner, b"", max_rows=editor.SHOWN_ROWS)
            body = bytes(response.body) if not isinstance(response, StreamingResponse) else await _drain(response)
            shown = editor.shown(form, body, self.limits.base_iri, parsed.query)
            status = 200
        except DomainError as error:
            refusal = error_response(error)
            shown = editor.Shown("error", message=bytes(refusal.body).decode("utf-8", "replace").strip())
            status = refusal.status_code
            kept = {
                k: v for k, v in refusal.headers.items() if k.lower() == "retry-after"
            }  # when to come back, as for any client
        chosen = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        lang = reader_page_language(chosen, _header(scope, b"accept-language"))
        html = TEMPLATES.get_template("editor.html").render(lang=lang, query=parsed.query, shown=shown)
        return HTMLResponse(html, status_code=status, headers={"Vary": "Accept, Accept-Language", **CORS, **kept})


async def _drain(response: StreamingResponse) -> bytes:
    return b"".join([chunk.encode() if isinstance(chunk, str) else bytes(chunk) async for chunk in response.body_iterator])


def _wants_page(accept: str | None) -> bool:
    """A browser asking for a page: HTML preferred to every answer format (curl's */* gets JSON)."""
    try:
        return choose(accept, [editor.ROWS_JSON, *ANSWER_TYPES, "text/html"]) == "text/html"
    except NotAcceptable:
        return False


FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
OVER_SHARE_PAUSE = 1.0  # seconds before a 429 goes out


def query_form_word(query: str) -> str:
    """The query's form as its first form keyword says (for the access log; not a decision)."""
    return next((token.upper() for token, _ in tokens(query) if token.upper() in FORMS), "other")


def _truncated(headers: dict[str, str], truncated: bool | None) -> dict[str, str]:
    if truncated is not None:
        headers["X-S3KG-Truncated"] = "true" if truncated else "false"
    return headers
