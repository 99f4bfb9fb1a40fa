"""`Vary` for the pages: a page is chosen by Accept (HTML or RDF, CSV …) and written in the language
Accept-Language asks for, so a cache must key it on both. Added to every answer of the pages'
router, merged with what a route already says (never repeated, `*` kept as it is)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

PAGE_VARY = ("Accept", "Accept-Language")


def merged_vary(existing: str | None, added: tuple[str, ...]) -> str:
    """`existing` (a Vary value, or None) with `added` appended where missing, case aside."""
    names = [name.strip() for name in (existing or "").split(",") if name.strip()]
    if "*" in names:
        return "*"
    known = {name.casefold() for name in names}
    return ", ".join([*names, *(name for name in added if name.casefold() not in known)])


def add_vary(app: FastAPI) -> None:
    @app.middleware("http")
    async def vary(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if not request.url.path.startswith("/static/"):
            response.headers["Vary"] = merged_vary(response.headers.get("Vary"), PAGE_VARY)
        return response
