"""Search for people and programs: /search over the build's full-text index (ranked, one hit per
entity, labels in the reader's language, facets by type), as HTML or JSON, and the OpenSearch
description that lets a browser add s3kg as a search engine."""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from loaders.core.vocab import PREFIXES
from loaders.publish.search_index import SEARCH_FILE, Results, SearchIndex, match_expression
from loaders.publish.store import PublishedStore
from server.backends.entities import EntityReader, labels_of
from server.pages.spreadsheets import CSV, XLSX, Cell, csv_bytes, xlsx_bytes
from server.pages.values import number
from server.web.addresses import Addresses
from server.web.languages import best_label, page_language, preferred_languages
from server.web.negotiation import choose
from server.web.per_build import PerBuild
from server.web.templates import TEMPLATES

PAGE_SIZE = 20
MAX_QUERY = 200  # characters; longer queries are cut
MAX_PAGE = 500  # pages of 20: 10,000 hits are as far as anyone pages; narrow the search instead
OPENSEARCH = "application/opensearchdescription+xml"
S3 = PREFIXES["s3"]
ANSWERS_KEPT = 4096  # pages of results per build, least recently used dropped
DOWNLOAD_HITS = 1000  # the best hits a search's CSV or XLSX holds
COLUMNS = ["iri", "label", "lang", "type", "type_iri", "within", "score", "matched"]


def best_hits(path: Path, words: str, languages: list[str], kind: str, limit: int) -> tuple[list[str], int]:
    """The IRIs of a search's best `limit` hits of one kind, and how many of that kind match."""
    with SearchIndex(path) as index:
        results = index.search(words[:MAX_QUERY], languages, kind, limit, 0)
    return [hit.iri for hit in results.hits], results.total


class SearchUnavailable(Exception):
    """The build has no search index (published by an older s3kg, or a remote store)."""


def add_routes(app: FastAPI, reader: EntityReader, addresses: Addresses, published: PublishedStore | None) -> None:
    answers = PerBuild(limit=ANSWERS_KEPT)

    def run(q: str, languages: list[str], kind: str | None, page: int, size: int = PAGE_SIZE) -> Results:
        """A page of results, kept per build: popular searches of common words cost a second or
        two at Kohesio scale the first time (docs/benchmarks.md), and the same for everyone."""
        build, _ = reader.store()
        path = published.dumps_dir(build) / SEARCH_FILE if published is not None else None
        if path is None or not path.is_file():
            raise SearchUnavailable

        def compute() -> Results:
            with SearchIndex(path) as index:
                return index.search(q[:MAX_QUERY], languages, kind, size, (page - 1) * size)

        if size != PAGE_SIZE:  # a download's thousand hits are not kept: 4,096 of them would hold gigabytes
            return compute()
        return answers.get(build, (match_expression(q[:MAX_QUERY]), kind, page, tuple(languages[:3])), compute)

    def _kind_labels(kinds: list[str], languages: list[str]) -> dict[str, str]:
        """The classes' names in the reader's language (the ontology's labels), by local name."""
        _, store = reader.store()
        labels = labels_of(store, [S3 + kind for kind in dict.fromkeys(kinds)])
        return {kind: best_label(labels.get(S3 + kind, []), languages) or kind for kind in kinds}

    @app.get("/search")
    def search(request: Request, q: str = "", type: str = "", page: int = 1, format: str = "") -> Response:
        languages = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
        media = {"json": "application/json", "html": "text/html", "csv": CSV, "xlsx": XLSX}.get(format) or choose(
            request.headers.get("accept"), ["text/html", "application/json"]
        )
        page = min(max(page, 1), MAX_PAGE)
        download = media in (CSV, XLSX)
        try:
            if not q.strip():
                results = Results([], 0, {})
            else:
                results = run(q, languages, type or None, 1 if download else page, DOWNLOAD_HITS if download else PAGE_SIZE)
        except SearchUnavailable:
            message = (
                "Search is not available here: this build's search index is not on this server "
                "(a replica needs the build's folder; an older build: `s3kg build --force`).\n"
            )
            return Response(message, 503)
        hits: list[dict[str, object]] = [
            {"iri": h.iri, "href": addresses.local(h.iri), "label": h.label, "lang": h.language, "type": h.type}
            | {"within": h.context or None, "score": round(h.score, 3), "matched": "name" if h.by_name else "text"}
            for h in results.hits
        ]
        if download:
            kinds = _kind_labels([h.type for h in results.hits], languages)
            table = hits_download(media, hits, kinds, f"q={q!r} type={type or 'all'}")
            name = "search." + ("csv" if media == CSV else "xlsx")
            headers = {"Content-Disposition": f'attachment; filename="{name}"', "Vary": "Accept-Language"}
            return Response(table, media_type=media, headers=headers)
        if media == "application/json":
            body = {
                "query": q,
                "type": type or None,
                "page": page,
                "total": results.total,
                "facets": results.facets,
                "hits": hits,
            }
            return JSONResponse(body, headers={"Vary": "Accept, Accept-Language"})
        pages = max(1, math.ceil(results.total / PAGE_SIZE))
        kinds = _kind_labels([*results.facets, *(h.type for h in results.hits)], languages)
        html = TEMPLATES.get_template("search.html").render(
            lang=page_language(languages), q=q, type=type, items=hits, total=results.total, facets=results.facets,
            page=min(page, pages), pages=pages, kinds=kinds, total_text=number(str(results.total)),
        )  # fmt: skip
        return HTMLResponse(html, headers={"Vary": "Accept, Accept-Language"})

    @app.get("/opensearch.xml")
    async def opensearch() -> Response:
        base = addresses.public_url  # the configured address, never the request's Host header
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">\n'
            "<ShortName>s3kg</ShortName>\n"
            "<Description>Search the knowledge graph of EU Smart Specialisation Strategies</Description>\n"
            "<InputEncoding>UTF-8</InputEncoding>\n"
            f'<Url type="text/html" template={quoteattr(base + "search?q={searchTerms}")}/>\n'
            f'<Url type="application/json" template={quoteattr(base + "search?q={searchTerms}&format=json")}/>\n'
            f'<Url type={quoteattr(OPENSEARCH)} rel="self" template={quoteattr(base + "opensearch.xml")}/>\n'
            f"<Attribution>{escape('Data: CC BY 4.0, s3kg')}</Attribution>\n"
            "</OpenSearchDescription>\n"
        )
        return Response(body, media_type=OPENSEARCH)


def hits_download(media: str, hits: list[dict[str, object]], kinds: dict[str, str], search: str) -> bytes:
    """The hits as CSV or XLSX: one row each, best first, the kind by its name in the reader's
    language and its class beside; text never read as a formula, the score as a number."""
    rows: list[list[Cell]] = [
        [str(h["iri"]), str(h["label"]), str(h["lang"] or ""), kinds.get(str(h["type"]), str(h["type"])), S3 + str(h["type"]),
         str(h["within"] or ""), float(str(h["score"])), str(h["matched"])]
        for h in hits
    ]  # fmt: skip
    if media == CSV:
        return csv_bytes(COLUMNS, rows)
    return xlsx_bytes([("search", COLUMNS, rows), ("query", ["search"], [[search]])])
