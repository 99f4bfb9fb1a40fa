"""The table pages (/browse/Project, /browse/Organisation): a view of a `browse.Table` as HTML with
facet links, sortable column headers and page links that keep the other parameters, or as a CSV
or XLSX download."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import cast
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from loaders.core.queries import Readable, select_values
from loaders.core.vocab import PREFIXES
from loaders.publish.tables.read import TableIndex
from loaders.publish.tables.spec import Column, Table
from server.backends.entities import labels_of
from server.pages import browse as browsing
from server.pages import values
from server.pages.spreadsheets import CSV, XLSX, csv_bytes
from server.web.addresses import Addresses
from server.web.languages import best_label, page_language
from server.web.templates import TEMPLATES

S3 = PREFIXES["s3"]
FORM_PARAMETERS = ("page", "format", "q")  # what the narrowing form sets itself (or drops), not kept hidden in it
MAX_LINKED_QUERY = 6000  # characters of a view's query that fit a link to /sparql (a long search's does not)
SEARCH_ROWS = 2000  # the best hits of a search that a table view keeps (the page says when there are more)
# The best hits of a search (words, reader's languages, class, how many): their IRIs and how many match in all.
Find = Callable[[str, list[str], str, int], tuple[list[str], int]]
BOUND_LABELS = {"budget_min": "budget from (€)", "budget_max": "budget up to (€)", "start_from": "starts on or after",
                "end_to": "ends on or before"}  # fmt: skip


async def render_table(
    request: Request,
    store: Readable,
    table: Table,
    langs: list[str],
    page: int,
    addresses: Addresses,
    select: browsing.Select,
    kept: Callable[[Hashable], object | None],
    keep: Callable[[Hashable, object], None],
    find: Find | None = None,
    index: TableIndex | None = None,
) -> Response:
    """A table page (or its CSV or XLSX download) for the view the request's parameters ask for.
    Its queries run through `select` (the query workers, with their limits); the count and the
    facets of a filter set are kept for the build (`kept`/`keep`), so that varied facets cost each
    set once; the labels and the page are made on a thread, never on the event loop. With the
    build's table index (`index`), the count, the facets and which rows the page shows are read
    from it, and only the page's rows are asked of the store."""
    try:
        view = browsing.View.from_query(table, list(request.query_params.multi_items()), langs[0])
    except browsing.BadFacet as error:
        return Response(f"{error}\n", status_code=400, media_type="text/plain")
    matches = 0
    if view.words:
        if find is None:
            return Response("Search is not available here: this build has no search index.\n", 503, media_type="text/plain")
        hits, matches = await asyncio.to_thread(find, view.words, langs, table.cls, SEARCH_ROWS)
        view = replace(view, found=tuple(hits))
    download = request.query_params.get("format")
    if download in ("csv", "xlsx"):
        return await _download(request, store, table, view, langs, select, download)
    if index is not None:
        total, facets, page, found = await _from_index(index, view, page, select)
    else:
        key = (table.cls, view.filters, view.ranges, view.chosen, view.today, view.language, view.words, hash(view.found))
        summary = kept(key)
        if summary is None:
            summary = (await browsing.count(select, view), await browsing.facets(select, view))
            keep(key, summary)
        total, facets = cast(tuple[int, dict[str, list[tuple[str, int]]]], summary)
        page = min(max(page, 1), max(1, math.ceil(total / browsing.PAGE_SIZE)))
        found = await browsing.rows(select, view, browsing.PAGE_SIZE, (page - 1) * browsing.PAGE_SIZE)
    pages = max(1, math.ceil(total / browsing.PAGE_SIZE))
    html = await asyncio.to_thread(
        _page, request, store, table, view, langs, page, pages, total, found, facets, addresses, matches
    )
    return HTMLResponse(html)


async def _from_index(
    index: TableIndex, view: browsing.View, page: int, select: browsing.Select
) -> tuple[int, dict[str, list[tuple[str, int]]], int, list[dict[str, str]]]:
    """The count, facets, page number and rows of a view, as the table index tells which rows
    (a page past the last shows the last); the rows' columns are read for those rows alone."""
    offset = (max(page, 1) - 1) * browsing.PAGE_SIZE
    answer = await asyncio.to_thread(index.answer, view.ask(), offset, browsing.PAGE_SIZE)
    last = max(1, math.ceil(answer.total / browsing.PAGE_SIZE))
    if page > last:
        shown = await asyncio.to_thread(index.answer, view.ask(), (last - 1) * browsing.PAGE_SIZE, browsing.PAGE_SIZE, False)
        answer = replace(answer, rows=shown.rows)
    if not answer.rows:
        return answer.total, answer.facets, min(max(page, 1), last), []
    read = {row["row"]: row for row in await browsing.rows(select, view.of_rows(answer.rows), len(answer.rows))}
    return answer.total, answer.facets, min(max(page, 1), last), [read.get(iri, {"row": iri}) for iri in answer.rows]


async def _download(
    request: Request,
    store: Readable,
    table: Table,
    view: browsing.View,
    langs: list[str],
    select: browsing.Select,
    kind: str,
) -> Response:
    """The view as CSV (its rows, or with ?sheet= a related sheet's: a project's partners) or as
    XLSX (the rows, each related sheet, and the query)."""
    sheet = request.query_params.get("sheet", "")
    chosen = [r for r in table.related if r.name == sheet]
    if sheet and not chosen:
        offered = ", ".join(r.name for r in table.related) or "none"
        return Response(f"{table.cls} has no sheet {sheet[:40]!r}; its sheets: {offered}.\n", 400, media_type="text/plain")
    found = [] if chosen else await browsing.rows(select, view, browsing.DOWNLOAD_ROWS)
    sheets = chosen if kind == "csv" else table.related  # a CSV holds one sheet: the rows, or the one asked for
    more = [(r, await browsing.related_rows(select, view, r, browsing.DOWNLOAD_ROWS)) for r in sheets]
    columns = [*table.columns, *(c for r, _ in more for c in r.columns)]
    names = await asyncio.to_thread(_names, store, columns, [*found, *(row for _, rows in more for row in rows)], langs)
    if kind == "csv" and chosen:
        name, heading, rows = browsing.related_sheet(table, *more[0], names)
        body, media, file_name = csv_bytes(heading, rows), CSV, f"{table.file_name}-{name}.csv"
    elif kind == "csv":
        body, media, file_name = await asyncio.to_thread(browsing.as_csv, table, found, names), CSV, f"{table.file_name}.csv"
    else:
        query = view.query(browsing.DOWNLOAD_ROWS)
        body = await asyncio.to_thread(browsing.as_xlsx, table, found, query, names, tuple(more))
        media, file_name = XLSX, f"{table.file_name}.xlsx"
    headers = {"Content-Disposition": f'attachment; filename="{file_name}"', "Vary": "Accept-Language"}
    return Response(body, media_type=media, headers=headers)


def _names(store: Readable, columns: list[Column], found: list[dict[str, str]], langs: list[str]) -> dict[str, str]:
    """The labels of the linked values of a download, in the reader's language (IRI → name)."""
    links = [r[c.name] for r in found for c in columns if c.kind == "link" and r.get(c.name)]
    labels = labels_of(store, links)
    return {iri: best_label(labels.get(iri, []), langs) or iri for iri in dict.fromkeys(links)}


def _schemes(store: Readable, iris: list[str], langs: list[str]) -> dict[str, str]:
    """Which scheme each facet value belongs to, named in the reader's language: a priority's
    strategy, a theme's list, a region's NUTS level — so that two "Health" read apart."""
    if not iris:
        return {}
    block = " ".join(str(ox.NamedNode(iri)) for iri in dict.fromkeys(iris))
    found = list(
        select_values(
            store,
            f"""SELECT ?v ?s ?level WHERE {{ VALUES ?v {{ {block} }}
        OPTIONAL {{ ?v skos:inScheme ?s }} OPTIONAL {{ ?v s3:nutsLevel ?level }} }}""",
        )
    )
    labels = labels_of(store, [s for _, s, _ in found if s])
    levels = {value: f"NUTS {level}" for value, _, level in found if level}  # not "NUTS 2021, NUTS 2024"
    named: dict[str, set[str]] = {}
    for value, scheme, _ in found:
        if scheme and value not in levels:
            named.setdefault(value, set()).add(best_label(labels.get(scheme, []), langs) or scheme.rsplit("/", 1)[-1])
    return {**{value: ", ".join(sorted(names)) for value, names in named.items()}, **levels}


def _page(
    request: Request,
    store: Readable,
    table: Table,
    view: browsing.View,
    langs: list[str],
    page: int,
    pages: int,
    total: int,
    found: list[dict[str, str]],
    facets: dict[str, list[tuple[str, int]]],
    addresses: Addresses,
    matches: int = 0,
) -> str:
    query = view.query(browsing.PAGE_SIZE, (page - 1) * browsing.PAGE_SIZE)
    links = [r[c.name] for r in found for c in table.columns if c.kind == "link" and c.name in r]
    facet_values = [v for name, values in facets.items() if name in table.facets for v, _ in values]
    labels = labels_of(store, [r["row"] for r in found] + links + facet_values)
    schemes = _schemes(store, facet_values, langs)
    language = page_language(langs)
    shown = [_cells(table, row, labels, langs, language, addresses.local) for row in found]
    chosen = set(view.filters) | set(view.chosen)
    facet_rows = {
        name: [
            {"iri": v, "label": best_label(labels.get(v, []), langs) or v.rsplit("/", 1)[-1], "count": n,
             "on": (name, v) in chosen, "href": _toggle(request, name, v, (name, v) in chosen),
             "translate": name in table.choices, "scheme": schemes.get(v, "")}
            for v, n in values
        ]
        for name, values in facets.items() if values
    }  # fmt: skip
    for items in facet_rows.values():  # a facet whose values are all of one scheme need not repeat it
        if len({item["scheme"] for item in items}) == 1:
            for item in items:
                item["scheme"] = ""
    class_label = best_label(labels_of(store, [S3 + table.cls]).get(S3 + table.cls, []), langs) or table.cls
    return TEMPLATES.get_template("table.html").render(
        lang=language, title=class_label, rows=shown, total=total, page=page, pages=pages, facets=facet_rows,
        query=query, sort=view.sort, descending=view.descending, columns=[c.name for c in table.columns],
        here=_here(request, page="", format=""), unsorted=_here(request, page="", sort="", order="", format=""),
        bounds=[(name, bound.kind, BOUND_LABELS[name]) for name, bound in table.bounds.items()], ranges=dict(view.ranges),
        kept=[(k, v) for k, v in request.query_params.multi_items() if k not in table.bounds and k not in FORM_PARAMETERS],
        sheets=[r.name for r in table.related], words=view.words, matches=matches, cap=SEARCH_ROWS,
        runnable=len(query) < MAX_LINKED_QUERY,
    )  # fmt: skip


def _cells(
    table: Table,
    row: dict[str, str],
    labels: dict[str, list[ox.Literal]],
    langs: list[str],
    language: str,
    local: Callable[[str], str | None],
) -> list[dict[str, str | None]]:
    """A table row as the page shows it: the row's label linking to it, then each column as a value
    (dates, amounts, counts) or a link named by its label."""
    cells: list[dict[str, str | None]] = []
    for column in table.columns:
        value = row.get(column.name, "")
        if column is table.columns[0]:
            cells.append({"text": best_label(labels.get(row["row"], []), langs) or value, "href": local(row["row"])})
        elif column.kind == "link" and value:
            cells.append({"text": best_label(labels.get(value, []), langs) or value.rsplit("/", 1)[-1], "href": local(value)})
        elif column.kind == "date" and value:
            cells.append({"text": values.day(value, language), "href": None})
        elif column.kind == "money" and value:
            cells.append({"text": values.amount(value, "EUR", False, language), "href": None, "number": "yes"})
        else:
            cells.append({"text": value, "href": None, "number": "yes" if column.kind == "count" else None})
    return cells


def _here(request: Request, **changes: str) -> str:
    """This page's address with some parameters changed (page and sort links keep the facets)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v]
    return "?" + urlencode(params)


def _toggle(request: Request, name: str, value: str, on: bool) -> str:
    """The address with a facet value added, or taken away when it is on; back to page 1."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page" and (k, v) != (name, value)]
    return "?" + urlencode(params if on else [*params, (name, value)])
