"""/sources/{document}: the quoted source documents of the current build, as they were quoted.

The text itself (`text/plain`, or the file's own type) is the file the build checksummed, byte
for byte, so RFC 5147 positions apply to it. The page (`text/html`) shows the text and marks the
passage a link names: `#char=start,end` in the fragment (read by the page's script), or
`?char=start,end` (marked by the server, for readers without scripts). Positions outside the
text are refused with the range that exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from loaders.core.quotes import Document, Span
from loaders.publish.documents import FOLDER, find_document
from loaders.publish.store import PublishedStore
from server.web.addresses import not_modified
from server.web.languages import page_language, preferred_languages
from server.web.negotiation import choose
from server.web.templates import TEMPLATES

MEDIA = {".txt": "text/plain", ".csv": "text/csv", ".md": "text/markdown"}
CHAR = re.compile(r"^(\d+)(?:,(\d+))?$")


class BadPosition(ValueError):
    """A char range that is no range, or lies outside the text (400)."""


class UnknownDocument(LookupError):
    """No quoted document of that id in the current build (404)."""


@dataclass(frozen=True)
class Marked:
    """The text around a passage, for the page."""

    before: str
    passage: str
    after: str


def parse_char(value: str, length: int) -> Span:
    """An RFC 5147 char range `start,end` (or a position `start`), checked against the text's length."""
    match = CHAR.match(value.strip())
    if match is None or len(value) > 40:  # digits past any text's length (Python's int() refuses 4,300 of them)
        raise BadPosition(f"char={value!r} is not a character range; write char=start,end, e.g. char=120,180.")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    if end < start:
        raise BadPosition(f"char={value}: the end comes before the start.")
    if end > length:
        raise BadPosition(f"char={value} is outside the text, which has {length} characters: positions run from 0 to {length}.")
    return Span(start, end)


def mark(text: str, span: Span | None) -> Marked:
    if span is None:
        return Marked(text, "", "")
    return Marked(text[: span.start], text[span.start : span.end], text[span.end :])


def _serve(build: str, where: Path, document: str, request: Request) -> Response:
    path = find_document(where, document)
    if path is None:
        known = ", ".join(sorted(p.stem for p in where.glob("*"))) if where.is_dir() else ""
        raise UnknownDocument(f"No quoted source document {document!r} in this build; the quoted ones are: {known or 'none'}.")
    media = MEDIA.get(path.suffix, "text/plain")
    raw = request.query_params.get("format") == "text"
    chosen = media if raw else choose(request.headers.get("accept"), ["text/html", media, "text/plain"])
    languages = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
    variant = f"html-{page_language(languages)}" if chosen == "text/html" else "file"
    headers = {"Vary": "Accept, Accept-Language", "ETag": f'"{build}-{document}-{variant}"'}
    if not_modified(request, headers["ETag"]):  # a build's documents never change
        return Response(status_code=304, headers=headers)
    if chosen != "text/html" and "char" not in request.query_params:  # the file itself: nothing to read here
        return FileResponse(path, media_type=f"{media}; charset=utf-8", headers=headers)
    text = Document.read(path).text
    span = parse_char(request.query_params["char"], len(text)) if "char" in request.query_params else None
    if chosen != "text/html":
        return FileResponse(path, media_type=f"{media}; charset=utf-8", headers=headers)
    page = TEMPLATES.get_template("source.html").render(
        lang=page_language(languages), document=document, entity=f"/id/source/{document}", text=mark(text, span)
    )
    return HTMLResponse(page, headers=headers)


def add_routes(app: FastAPI, published: PublishedStore) -> None:
    @app.get("/sources/{document}")
    async def source(document: str, request: Request) -> Response:
        build = published.current()
        return _serve(build.build_id, published.dumps_dir(build.build_id) / FOLDER, document, request)

    @app.get("/versions/{build_id}/sources/{document}")
    async def kept_source(build_id: str, document: str, request: Request) -> Response:
        """The document as a kept build quoted it (the passages of its mementos point here)."""
        build = published.build(build_id)  # UnknownBuild: 404 naming the kept versions
        return _serve(build.build_id, published.dumps_dir(build.build_id) / FOLDER, document, request)
