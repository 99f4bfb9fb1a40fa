"""The server as an app factory over settings and a backend.

`/sparql` is a plain ASGI app (`server.endpoint.routes`); every other route is FastAPI's. Both sit
behind the same middlewares (HEAD as GET, request limits, CORS), and domain errors become HTTP
answers in one place (`server.errors`); routes only translate requests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from loaders.core.vocab import PREFIXES
from server import operations
from server.backends.entities import EntityReader
from server.backends.port import Backend
from server.config import ServerConfig
from server.endpoint.routes import SPARQL_OPENAPI, SPARQL_POST_BODY, EndpointLimits, SparqlEndpoint
from server.errors import DomainError, error_response
from server.fast import EXPOSED, FastRoutes, PageRoute
from server.pages import geo, memento, search
from server.pages import routes as pages
from server.pages.linked_data import add_routes
from server.publication import documents as sources
from server.publication import dumps as publication
from server.publication import feed, versions
from server.publication.catalog import Site
from server.sparql.contract import ClientBudget
from server.sparql.text import with_prefixes
from server.web.addresses import Addresses
from server.web.head import HeadAsGet
from server.web.limits import ASGIApp, Receive, RequestLimits, Scope, Send
from server.web.observe import AccessLog, Metrics
from server.web.vary import add_vary

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "endpoint" / "competency-questions.yaml"


@dataclass(frozen=True)
class Application:
    """The whole server as one ASGI app; `pages` is the FastAPI app behind it (all but /sparql)."""

    asgi: ASGIApp
    pages: FastAPI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)


def create_app(config: ServerConfig, backend: Backend) -> Application:
    budget = ClientBudget(config.client_seconds_per_minute)
    state: dict[str, Any] = {}  # the query runner, then "ready" once its workers have started
    pool_settings = config.query_settings()

    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["pool"] = backend.queries(pool_settings, budget, metrics)
        try:
            await state["pool"].start()  # refuses to serve if a worker cannot be kept off the network
            state["ready"] = True
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
    limits = EndpointLimits(
        config.public_url,
        config.max_rows,
        config.max_query_bytes,
        config.service_allow_list,
        config.shape_limits,
        config.cache_bytes,
        config.base_iri,
    )
    _errors(app)
    _describe_sparql(app)
    add_vary(app)
    examples = _examples()
    reader = EntityReader(backend)
    addresses = Addresses(config.base_iri, config.public_url)
    published = backend.files()
    hooks = memento.add_routes(app, published, addresses) if published is not None else None
    entity = add_routes(app, reader, addresses, hooks.timegate if hooks else None, hooks.gone if hooks else None)
    warm_pages = pages.add_routes(app, reader, addresses, published, lambda: state["pool"])
    search.add_routes(app, reader, addresses, published)
    geo.add_routes(app, reader, config.public_url)
    if published is not None:  # dumps and catalogue come with a published build
        publication.add_routes(app, published, Site(config.public_url, config.base_iri), reader)
        sources.add_routes(app, published)
        feed.add_routes(app, published, addresses)
        versions.add_routes(app, published)
    app.mount("/static", StaticFiles(directory=HERE / "pages" / "static"), name="static")

    @app.get("/examples.json")
    async def example_queries() -> Response:
        return Response(examples, media_type="application/json")

    # /sparql and entity pages go straight to their code, before FastAPI's layers (they send their
    # CORS headers themselves); all behind the same request limits and HEAD handling
    cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"], expose_headers=EXPOSED)
    sparql = SparqlEndpoint(limits, backend, lambda: state["pool"], metrics)
    routes = FastRoutes(cors, exact={"/sparql": sparql}, pages={"/id/": PageRoute("/id/", entity)})
    limited = RequestLimits(routes, max_body=config.max_body_bytes, body_timeout=config.body_timeout)
    operations.add_routes(app, reader, metrics, lambda: "ready" in state)
    return Application(AccessLog(HeadAsGet(limited), metrics), app)


def _examples() -> bytes:
    """The competency questions, offered as ready examples in the query editor, each standalone."""
    questions = yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))
    examples = [{"id": q["id"], "question": q["question"], "query": with_prefixes(q["query"], PREFIXES)} for q in questions]
    return json.dumps(examples, ensure_ascii=False).encode()


def _errors(app: FastAPI) -> None:
    """Every domain error becomes the plain-text answer `server.errors` gives it."""

    async def handle(_: Request, error: Exception) -> Response:
        return error_response(error)

    for kind in DomainError:
        app.add_exception_handler(kind, handle)


def _describe_sparql(app: FastAPI) -> None:
    """/sparql is answered before FastAPI's router (`server.endpoint.routes`); describe it in the OpenAPI
    document all the same."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema["paths"]["/sparql"] = {
                "get": {**SPARQL_OPENAPI, "operationId": "sparql_get"},
                "post": {**SPARQL_OPENAPI, "operationId": "sparql_post", "requestBody": SPARQL_POST_BODY},
            }
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
