"""Tables for people: /browse/Project and /browse/Organisation with facets and sortable columns,
paged, and downloadable as CSV or XLSX. Every view is one SPARQL query, shown on the page, so a
reader can take it to /sparql. Facet values enter the query as IRIs checked by Oxigraph, never
as text. A table is a specification (`Table`, loaders/publish/tables/spec.py); when the build
published an index of it, the page reads its rows, count and facets from the index instead
(loaders/publish/tables/read.py), and the query stays the view's definition."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from loaders.publish.tables.read import Ask
from loaders.publish.tables.spec import Bound, Column, Related, Table
from server.pages.spreadsheets import CSV, XLSX, Cell, Sheet, csv_bytes, xlsx_bytes

PAGE_SIZE = 50
DOWNLOAD_ROWS = 100_000
MAX_WORDS = 200  # characters of a search within a table, as /search cuts them
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


class BadFacet(ValueError):
    """A facet or sort the table does not have, or a value that is not an IRI."""


@dataclass(frozen=True)
class View:
    table: Table
    filters: tuple[tuple[str, str], ...]  # (facet, IRI)
    sort: str = "label"
    descending: bool = False
    language: str = "en"  # a primary language subtag, checked by the caller (preferred_languages)
    ranges: tuple[tuple[str, str], ...] = ()  # (bound parameter, its value as parsed and written back)
    chosen: tuple[tuple[str, str], ...] = ()  # (choice parameter, one of its values)
    today: str = ""  # the date the status is told on (YYYY-MM-DD), the caller's today
    words: str = ""  # a search (?q=), whose best hits of the table's class are `found`
    found: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, table: Table, params: list[tuple[str, str]], language: str = "en", today: str = "") -> View:
        filters = []
        for name, value in params:
            if name in table.facets and value:
                try:
                    ox.NamedNode(value)
                except ValueError:
                    raise BadFacet(f"the {name} facet takes an IRI, not {value!r}.") from None
                filters.append((name, value))
        sort = dict(params).get("sort", "label")
        if table.column(sort) is None:
            raise BadFacet(f"cannot sort by {sort!r}; sort by one of {', '.join(c.name for c in table.columns)}.")
        if not language.isascii() or not language.isalpha():
            raise BadFacet(f"{language!r} is not a language subtag.")
        ranges = tuple(sorted((name, _bound_value(table.bounds[name], name, value))
                              for name, value in dict(params).items() if name in table.bounds and value.strip()))  # fmt: skip
        chosen = set()
        for name, value in params:
            if name in table.choices and value:
                if value not in table.choices[name]:
                    raise BadFacet(f"{name} is one of {', '.join(table.choices[name])}, not {value[:40]!r}.")
                chosen.add((name, value))
        descending = dict(params).get("order") == "desc"
        today = today or date.today().isoformat()
        words = " ".join(dict(params).get("q", "").split())[:MAX_WORDS]
        filtered = tuple(sorted(set(filters)))
        return cls(table, filtered, sort, descending, language, ranges, tuple(sorted(chosen)), today, words)

    def where(self) -> str:
        """The rows' patterns: the class and the filters on plain properties in a subquery, then
        the filters along a path (a country: through every participation). Oxigraph then joins the
        two by hash, starting from the path's bound end, instead of walking the path from every row
        of the class: a view filtered by programme and country went from about 1 s to 1 ms a
        query at 22,000 projects (bench/facets_bench.py)."""

        def pattern(name: str, value: str) -> str:
            return f"?row {self.table.facets[name]} {ox.NamedNode(value)} ."

        plain = [(n, v) for n, v in self.filters if not any(mark in self.table.facets[n] for mark in "/|^*")]
        along = [(n, v) for n, v in self.filters if (n, v) not in plain]
        bounded = [self._bounded(i, name, value) for i, (name, value) in enumerate(self.ranges)]
        bounded += [self.choice(name, value) for name, value in self.chosen]
        # the class's members, or a search's hits among them (each an IRI checked by Oxigraph; none: no row)
        members = (
            f"VALUES ?row {{ {' '.join(str(ox.NamedNode(iri)) for iri in self.found)} }}" if self.words or self.found else ""
        )
        rows = " ".join([members, f"?row a s3:{self.table.cls} .", *(pattern(n, v) for n, v in plain), *bounded])
        return f"  {{ SELECT DISTINCT ?row WHERE {{ {rows} }} }}\n" + "".join(f"  {pattern(n, v)}\n" for n, v in along)

    def ask(self) -> Ask:
        """The view as the table index answers it (loaders/publish/tables/read.py)."""
        found = self.found if self.words else None
        return Ask(self.filters, self.ranges, self.chosen, self.today, found, self.sort, self.descending, self.language)

    def of_rows(self, rows: list[str]) -> View:
        """The same columns and order, for these rows alone (a page the table index chose)."""
        return replace(self, filters=(), ranges=(), chosen=(), words="", found=tuple(rows))

    def choice(self, name: str, value: str) -> str:
        """A choice's pattern (a status: by the dates, as of `today`), in a group of its own."""
        today = ox.Literal(date.fromisoformat(self.today).isoformat(), datatype=XSD_DATE)
        return "{ " + self.table.choices[name][value].replace("$today", str(today)) + " }"

    def _bounded(self, index: int, name: str, value: str) -> str:
        """A range filter's pattern; the value was parsed as a number or a date (`_bound_value`)
        and is written as a typed literal by Oxigraph, never as the text the URL held."""
        bound = self.table.bounds[name]
        datatype = "http://www.w3.org/2001/XMLSchema#" + ("decimal" if bound.kind == "number" else "date")
        literal = ox.Literal(value, datatype=ox.NamedNode(datatype))
        return f"?row {bound.path} ?bound{index} FILTER (?bound{index} {'>=' if bound.above else '<='} {literal})"

    def query(self, limit: int, offset: int = 0) -> str:
        columns = self.table.columns
        order = "DESC" if self.descending else "ASC"
        return (
            f"SELECT ?row {' '.join(c.select(self.language) for c in columns)}\nWHERE {{\n{self.where()}"
            + "".join(c.optional(self.language) for c in columns)
            + f"}}\nGROUP BY ?row\nORDER BY {order}(?{self.sort}) ?row\nLIMIT {limit} OFFSET {offset}"
        )

    def related_query(self, related: Related, limit: int) -> str:
        """The related rows of the view's rows (one per ?item), in the rows' order of IRIs."""
        columns = related.columns
        return (
            f"SELECT ?row ?item {' '.join(c.select(self.language) for c in columns)}\nWHERE {{\n{self.where()}"
            f"  ?row {related.path} ?item .\n" + "".join(c.optional(self.language) for c in columns)
            + f"}}\nGROUP BY ?row ?item\nORDER BY ?row ?item\nLIMIT {limit}"
        )  # fmt: skip

    def count_query(self) -> str:
        return f"SELECT (COUNT(DISTINCT ?row) AS ?n) WHERE {{\n{self.where()}}}"

    def facet_query(self, name: str) -> str:
        return (
            f"SELECT ?value (COUNT(DISTINCT ?row) AS ?n) WHERE {{\n{self.where()}"
            f"  ?row {self.table.facets[name]} ?value FILTER isIRI(?value)\n}} GROUP BY ?value ORDER BY DESC(?n) ?value LIMIT 30"
        )


def _bound_value(bound: Bound, name: str, value: str) -> str:
    """A range parameter's value, checked: a number (1000000, 2.5e6) or an ISO date; else BadFacet."""
    text = value.strip()
    if bound.kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BadFacet(f"{name} takes a number (e.g. 1000000), not {value[:40]!r}.") from None
        if not number.is_finite() or abs(number.adjusted()) > 18:  # written out in full: no million-digit literal
            raise BadFacet(f"{name} takes a number up to 10^18, not {value[:40]!r}.")
        return format(number, "f")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise BadFacet(f"{name} takes a date as YYYY-MM-DD, not {value[:40]!r}.") from None


Row = dict[str, ox.NamedNode | ox.Literal]
# Runs one SELECT of at most `limit` rows where the endpoint's queries run (a worker with a time and
# memory limit, charged to the asking client), never in the server process itself (issue 21).
Select = Callable[[str, int], Awaitable[list[Row]]]


async def rows(select: Select, view: View, limit: int, offset: int = 0) -> list[dict[str, str]]:
    """The view's rows, each column as text (IRIs in full)."""
    return [{k: v.value for k, v in row.items()} for row in await select(view.query(limit, offset), limit)]


async def related_rows(select: Select, view: View, related: Related, limit: int) -> list[dict[str, str]]:
    return [{k: v.value for k, v in row.items()} for row in await select(view.related_query(related, limit), limit)]


async def count(select: Select, view: View) -> int:
    found = await select(view.count_query(), 1)
    return int(found[0]["n"].value) if found else 0


async def facets(select: Select, view: View) -> dict[str, list[tuple[str, int]]]:
    """For each facet, its values among the view's rows with how many rows have each (one query at
    a time: a client runs one query at a time on the workers)."""
    found = {}
    for name in view.table.facets:
        found[name] = [(r["value"].value, int(r["n"].value)) for r in await select(view.facet_query(name), 30)]
    for name, choices in view.table.choices.items():  # one count per value, the other choices kept
        others = tuple(c for c in view.chosen if c[0] != name)
        counted = [(value, await count(select, replace(view, chosen=(*others, (name, value))))) for value in choices]
        found[name] = [(value, n) for value, n in counted if n]
    return found


NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def heading(columns: tuple[Column, ...], first: str = "iri") -> list[str]:
    """A download's columns: the row's IRI, then each column; a linked value by its name, then its IRI."""
    names = [first]
    for column in columns:
        names += [column.name, f"{column.name}_iri"] if column.kind == "link" else [column.name]
    return names


def cells(columns: tuple[Column, ...], row: dict[str, str], names: dict[str, str]) -> list[Cell]:
    """A download's row: linked values by their names (`names`: IRI → label) with their IRIs
    beside, amounts and counts as numbers."""
    found: list[Cell] = [row.get("row", "")]
    for column in columns:
        value = row.get(column.name, "")
        if column.kind == "link":
            found += [names.get(value, value), value]
        elif column.kind in ("money", "count") and NUMBER.fullmatch(value):
            found.append(float(value) if "." in value or "e" in value.lower() else int(value))
        else:
            found.append(value)
    return found


def as_csv(table: Table, found: list[dict[str, str]], names: dict[str, str] | None = None) -> bytes:
    return csv_bytes(heading(table.columns), (cells(table.columns, row, names or {}) for row in found))


def as_xlsx(
    table: Table,
    found: list[dict[str, str]],
    query: str,
    names: dict[str, str] | None = None,
    more: tuple[tuple[Related, list[dict[str, str]]], ...] = (),
) -> bytes:
    """The rows on one sheet, each related sheet's rows on its own (a project's partners), the
    query on the last."""
    sheets: list[Sheet] = [(table.file_name, heading(table.columns), (cells(table.columns, r, names or {}) for r in found))]
    sheets += [related_sheet(table, related, rows, names or {}) for related, rows in more]
    sheets.append(("query", ["query"], [[query]]))
    return xlsx_bytes(sheets)


def related_sheet(table: Table, related: Related, rows: list[dict[str, str]], names: dict[str, str]) -> Sheet:
    """A related sheet: each row starts with the IRI of the table's row it belongs to (project_iri)."""
    first = table.file_name.rstrip("s") + "_iri"
    return related.name, heading(related.columns, first), (cells(related.columns, row, names) for row in rows)


def list_download(kind: str, name: str, rows: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A class's members (IRI and label) as CSV or XLSX, as the tables' downloads write them."""
    listed: list[list[Cell]] = [[iri, label] for iri, label in rows]
    if kind == "csv":
        return csv_bytes(["iri", "label"], listed), CSV
    return xlsx_bytes([(name, ["iri", "label"], listed)]), XLSX
