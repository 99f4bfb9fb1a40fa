"""The FastAPI application: an app factory over settings and a backend.

Domain errors are mapped to HTTP in one place (`_errors`); routes only translate requests.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from loaders.remote import EngineUnavailable, NoRemoteBuild
from loaders.sparql_text import with_prefixes
from loaders.store import NoPublishedStore
from loaders.vocab import PREFIXES
from server import geo, pages, publication, search
from server.backends import Backend, Queries
from server.catalog import Site
from server.entities import EntityReader
from server.guard import ForbiddenQuery, QueryTooComplex, ShapeLimits, check_shape, service_plan
from server.head import HeadAsGet
from server.limits import BodyRefused, RequestLimits
from server.linked_data import Addresses, BadLanguage, add_routes
from server.negotiation import NotAcceptable, choose, prefer
from server.pool import RETRY_AFTER, Answer, ClientBudget, PoolSettings, QueryFailed, TooManyRequests
from server.protocol import ProtocolError, parse_request
from server.service_description import SD_TYPES, describe_service
from server.worker import QueryJob

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "data" / "examples" / "competency-questions.yaml"


@dataclass(frozen=True)
class ServerConfig:
    public_url: str = "http://127.0.0.1:8000/"  # the endpoint's own address, never taken from Host
    base_iri: str = "https://w3id.org/s3kg/id/"  # entity IRIs, answered for under /id/
    query_timeout: float = 30.0
    max_rows: int = 1_000_000
    max_query_bytes: int = 100_000
    max_body_bytes: int = 1 << 20  # any request body; a form-encoded query may be 3× the query
    body_timeout: float = 15.0  # seconds for a request body to arrive (then 408)
    workers: int = 2
    service_allow_list: tuple[str, ...] = ()
    client_seconds_per_minute: float = 30.0  # a quarter of one worker's minute
    client_concurrency: int = 1  # queries one client may run at once per server process
    queue_wait: float = 5.0  # longest wait for a client's turn and a free worker (then 503)
    query_memory_mb: int = 4096  # per query worker (RLIMIT_DATA)
    shape_limits: ShapeLimits = field(default_factory=ShapeLimits)
    cache_bytes: int = 64 << 20  # answers kept per published build; data only changes at a build


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
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"query": _QUERY}, "required": ["query"]}
            },
            "application/sparql-query": {"schema": _QUERY},
        },
    },
}


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
        if kept is not None and self.capacity:
            self.entries[key] = (answer.media_type, b"".join(kept), answer.truncated)
            self.size += size
            while self.size > self.capacity and self.entries:
                _, (_, dropped, _) = self.entries.popitem(last=False)
                self.size -= len(dropped)


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


def create_app(config: ServerConfig, backend: Backend) -> FastAPI:
    budget = ClientBudget(config.client_seconds_per_minute)
    cache = ResultCache(config.cache_bytes)
    state: dict[str, Queries] = {}
    pool_settings = PoolSettings(
        workers=config.workers,
        network_workers=1 if config.service_allow_list else 0,
        timeout=config.query_timeout,
        queue_wait=config.queue_wait,
        client_concurrency=config.client_concurrency,
        memory_bytes=config.query_memory_mb << 20,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["pool"] = backend.queries(pool_settings, budget)
        try:
            await state["pool"].start()  # refuses to serve if a worker cannot be kept off the network
            threading.Thread(target=warm_pages, name="warm-pages", daemon=True).start()
            yield
        finally:
            state["pool"].close()

    # No /docs or /redoc: their pages load Swagger UI from a CDN, blank offline; the HTTP API is
    # described in the README and, as OpenAPI, at /openapi.json.
    app = FastAPI(
        title="s3kg",
        description="SPARQL endpoint and linked data of the S3 knowledge graph",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["*"],
        expose_headers=["X-S3KG-Row-Limit", "X-S3KG-Truncated", "Retry-After"],
    )
    app.add_middleware(RequestLimits, max_body=config.max_body_bytes, body_timeout=config.body_timeout)
    app.add_middleware(HeadAsGet)
    _errors(app)
    examples = _examples()
    reader = EntityReader(backend)
    addresses = Addresses(config.base_iri, config.public_url)
    add_routes(app, reader, addresses)
    published = backend.files()
    warm_pages = pages.add_routes(app, reader, addresses, published)
    search.add_routes(app, reader, addresses, published)
    geo.add_routes(app, reader)
    if published is not None:  # dumps and catalogue come with a published build
        publication.add_routes(app, published, Site(config.public_url, config.base_iri), reader)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/examples.json")
    async def example_queries() -> Response:
        return Response(examples, media_type="application/json")

    @app.api_route("/sparql", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], openapi_extra=SPARQL_OPENAPI)
    async def sparql(request: Request) -> Response:
        body = await request.body()
        parsed = parse_request(
            request.method,
            request.headers.get("content-type"),
            list(request.query_params.multi_items()),
            body,
            config.max_query_bytes,
        )
        accept = prefer(parsed.format, request.headers.get("accept")) if parsed.format else request.headers.get("accept")
        if parsed.query is None:
            media = choose(accept, [*SD_TYPES, "text/html"])
            if media == "text/html":
                return HTMLResponse((HERE / "editor.html").read_text(encoding="utf-8"))
            return Response(describe_service(config.public_url, media), media_type=media)
        check_shape(parsed.query, config.shape_limits)
        endpoint = config.public_url + "sparql"
        if config.service_allow_list:  # may parse the whole query with rdflib: off the event loop
            network = await asyncio.to_thread(service_plan, parsed.query, config.service_allow_list, PREFIXES, endpoint)
        else:
            network = service_plan(parsed.query, (), PREFIXES, endpoint)
        client = request.client.host if request.client else "unknown"
        job = QueryJob(
            parsed.query,
            parsed.default_graphs,
            parsed.named_graphs,
            accept,
            config.max_rows,
            PREFIXES,
            endpoint,
            network,
        )
        headers = {"X-S3KG-Row-Limit": str(config.max_rows), "Vary": "Accept"}
        key = (backend.build_id(), job.query, tuple(job.default_graphs), tuple(job.named_graphs), job.accept)
        cached = cache.get(key) if config.cache_bytes else None
        if cached is not None:
            media, content, truncated = cached
            headers["X-S3KG-Cache"] = "hit"
            if truncated is not None:
                headers["X-S3KG-Truncated"] = "true" if truncated else "false"
            return Response(content, media_type=media, headers=headers)
        answer = await state["pool"].run(job, client)
        if answer.truncated is not None:
            headers["X-S3KG-Truncated"] = "true" if answer.truncated else "false"
        return StreamingResponse(cache.keep(key, answer), media_type=answer.media_type, headers=headers)

    return app


def _examples() -> bytes:
    """The competency questions, offered as ready examples in the query editor, each standalone."""
    questions = yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))
    examples = [{"id": q["id"], "question": q["question"], "query": with_prefixes(q["query"], PREFIXES)} for q in questions]
    return json.dumps(examples, ensure_ascii=False).encode()


def _errors(app: FastAPI) -> None:
    """Every domain error becomes a plain-text HTTP answer that says what to do."""

    @app.exception_handler(ProtocolError)
    async def protocol(_: Request, error: ProtocolError) -> Response:
        return _text(error.status, error.message)

    @app.exception_handler(QueryFailed)
    async def failed(_: Request, error: QueryFailed) -> Response:
        return _text(error.status, error.message, {"Retry-After": str(error.retry_after)} if error.retry_after else None)

    @app.exception_handler(BadLanguage)
    async def bad_language(_: Request, error: BadLanguage) -> Response:
        return _text(400, str(error))

    @app.exception_handler(BodyRefused)
    async def body_refused(_: Request, error: BodyRefused) -> Response:
        return _text(error.status, error.message, {"Connection": "close"})

    @app.exception_handler(QueryTooComplex)
    async def too_complex(_: Request, error: QueryTooComplex) -> Response:
        return _text(400, str(error))

    @app.exception_handler(ForbiddenQuery)
    async def forbidden(_: Request, error: ForbiddenQuery) -> Response:
        return _text(403, str(error))

    @app.exception_handler(NotAcceptable)
    async def not_acceptable(_: Request, error: NotAcceptable) -> Response:
        return _text(406, str(error))

    @app.exception_handler(EngineUnavailable)
    async def engine_unavailable(_: Request, error: EngineUnavailable) -> Response:
        message = f"The SPARQL engine behind this server is unavailable; retry in {RETRY_AFTER} s."
        return _text(503, message, {"Retry-After": str(RETRY_AFTER)})

    @app.exception_handler(NoPublishedStore)
    async def no_files(_: Request, error: NoPublishedStore) -> Response:
        # no build yet, or a replica over a remote engine without the build's folder (store_dir)
        message = "This server holds no copy of the build's files (dumps, catalogue record): "
        return _text(404, message + "run `s3kg build`, or give a replica the build's folder.")

    @app.exception_handler(NoRemoteBuild)
    async def no_build(_: Request, error: NoRemoteBuild) -> Response:
        return _text(503, "No build is published in the SPARQL engine yet.", {"Retry-After": str(RETRY_AFTER)})

    @app.exception_handler(TooManyRequests)
    async def too_many(_: Request, error: TooManyRequests) -> Response:
        return _text(429, str(error), {"Retry-After": str(error.retry_after)})
