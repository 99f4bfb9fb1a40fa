"""The server's hot paths, handed their requests before FastAPI's own layers.

A point lookup or an entity page is answered in about a millisecond; FastAPI's dozen layers
(error and exception middlewares, telemetry, body limit, exit stack, router, dependency
solving) cost a good part of that (profiled in docs/benchmarks.md). `FastRoutes` sends `/sparql`
(a plain ASGI app, `server.endpoint.routes`) and GET `/id/…` (the entity route's own function, called
with a Request) straight to their code; everything else, and CORS preflights, go to FastAPI. Our
own middlewares (request limits, HEAD as GET) wrap both alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server.errors import DomainError, error_response
from server.web.limits import ASGIApp, Receive, Scope, Send

# Any site may read (the data is public and read-only): the headers CORS asks of a simple answer,
# sent always on the fast paths. Preflights (OPTIONS) go to the CORS middleware in front of FastAPI.
EXPOSED = ("X-S3KG-Row-Limit", "X-S3KG-Truncated", "Retry-After", "Link", "Memento-Datetime", "ETag", "Location", "Last-Modified")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": ", ".join(EXPOSED)}

PageHandler = Callable[[str, Request], Awaitable[Response]]


class PageRoute:
    """A FastAPI GET route's function `handler(rest_of_path, request)` as a plain ASGI app."""

    def __init__(self, prefix: str, handler: PageHandler):
        self.prefix, self.handler = prefix, handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.handler(scope["path"][len(self.prefix) :], Request(scope, receive))
        except DomainError as error:
            response = error_response(error)
        response.headers.update(CORS)
        await response(scope, receive, send)


class FastRoutes:
    """ASGI middleware: a request for one of `exact` paths (any method but OPTIONS), or a GET
    under one of `pages`' prefixes, goes straight to its app; anything else to `app`."""

    def __init__(self, app: ASGIApp, exact: Mapping[str, ASGIApp], pages: Mapping[str, ASGIApp]):
        self.app, self.exact, self.pages = app, exact, pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: Any = None
        if scope["type"] == "http" and scope["method"] != "OPTIONS":
            path = scope["path"]
            route = self.exact.get(path)
            if route is None and scope["method"] == "GET":
                route = next((page for prefix, page in self.pages.items() if path.startswith(prefix)), None)
        await (route or self.app)(scope, receive, send)
