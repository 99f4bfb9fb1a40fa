"""Tables for people: /browse/Project and /browse/Organisation with facets and sortable columns,
paged, and downloadable as CSV or XLSX. Every view is one SPARQL query, shown on the page, so a
reader can take it to /sparql. Facet values enter the query as IRIs checked by Oxigraph, never
as text. A table is a specification (`Table`): its class, its facets (a path from a row to the
facet's values) and its columns (a pattern and an aggregate each)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from server.pages.spreadsheets import CSV, XLSX, Cell, Sheet, csv_bytes, xlsx_bytes

PAGE_SIZE = 50
DOWNLOAD_ROWS = 100_000
PARTNER = "s3:hasParticipation/s3:participant"
MAX_WORDS = 200  # characters of a search within a table, as /search cuts them
XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


@dataclass(frozen=True)
class Column:
    name: str
    pattern: str  # binds ?v for the row ?row (inside OPTIONAL)
    aggregate: str = "SAMPLE"  # how several values become one: SAMPLE, MIN, MAX, COUNT
    kind: str = "text"  # label, text, date, money, count, link (an IRI shown by its label)

    def select(self, language: str) -> str:
        inner = f"DISTINCT ?{self.name}_v" if self.aggregate == "COUNT" else f"?{self.name}_v"
        if self.kind == "label":  # in the reader's language when there is one, so rows sort as they read
            return f"(COALESCE(SAMPLE(?{self.name}_l), SAMPLE(?{self.name}_v)) AS ?{self.name})"
        return f"({self.aggregate}({inner}) AS ?{self.name})"

    def optional(self, language: str) -> str:
        found = "  OPTIONAL { " + self.pattern.replace("?v", f"?{self.name}_v") + " }\n"
        if self.kind == "label":
            preferred = self.pattern.replace("?v", f"?{self.name}_l") + f' FILTER langMatches(lang(?{self.name}_l), "{language}")'
            found += "  OPTIONAL { " + preferred + " }\n"
        return found


@dataclass(frozen=True)
class Bound:
    """A range filter: a URL parameter bounding a value along a path (a budget, a date)."""

    path: str  # from a row to the value
    kind: str  # number or date
    above: bool  # the value must be at least the parameter's (else at most)


# A project's status as its fact sheet tells it (factsheet.status): completed once its end date has
# passed, planned until its start date, ongoing in between. $today is written in as an xsd:date.
_ENDED = "?row schema:endDate ?ended FILTER (?ended < $today)"
_AHEAD = "?row schema:startDate ?ahead FILTER (?ahead > $today)"
STATUS = {
    "completed": _ENDED,
    "ongoing": f"?row schema:startDate|schema:endDate ?dated FILTER NOT EXISTS {{ {_ENDED} }} FILTER NOT EXISTS {{ {_AHEAD} }}",
    "planned": f"{_AHEAD} FILTER NOT EXISTS {{ {_ENDED} }}",
}


@dataclass(frozen=True)
class Related:
    """Rows of another kind that belong to a table's rows, downloaded on a sheet of their own
    (a project's partners): reached by `path` from each row as ?item, with their own columns."""

    name: str
    path: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    cls: str  # the class's local name in the s3 ontology
    facets: dict[str, str]  # facet name → path from a row to its values
    columns: tuple[Column, ...]  # the first is the row's label
    file_name: str
    bounds: dict[str, Bound] = field(default_factory=dict)  # range parameter → what it bounds
    choices: dict[str, dict[str, str]] = field(default_factory=dict)  # parameter → its values' patterns (status)
    related: tuple[Related, ...] = ()

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


TABLES = {
    "Project": Table(
        "Project",
        {
            "programme": "s3:programme",
            # where its partners are, or the project itself (an operation of a national list has no partners)
            "country": f"{PARTNER}/s3:country|s3:region/s3:country|s3:hasParticipation/s3:region/s3:country",
            "region": f"{PARTNER}/s3:region/skos:broader*|s3:region/skos:broader*",
            "period": "s3:programme/s3:programmingPeriod|s3:programmingPeriod",  # a project whose list names no programme
            "fund": "s3:fund|s3:programme/s3:fund",
            "domain": "s3:s3Domain|s3:servesPriority",
            "theme": "s3:theme",
            "strand": "s3:programme/s3:cooperationStrand",
        },
        choices={"status": STATUS},
        related=(
            Related(
                "partners",
                "s3:hasParticipation",
                (
                    Column("project", "?row rdfs:label ?v", kind="label"),
                    Column("organisation", "?item s3:participant ?v", kind="link"),
                    Column("role", "?item s3:partnerRole ?v", kind="link"),
                    Column("country", "?item s3:participant/s3:country ?v", kind="link"),
                    Column("region", "?item s3:participant/s3:region ?v", kind="link"),
                    Column("budget", "?item s3:partnerBudget/schema:value ?v", kind="money"),
                ),
            ),
        ),
        bounds={
            "budget_min": Bound("s3:totalBudget/schema:value", "number", True),
            "budget_max": Bound("s3:totalBudget/schema:value", "number", False),
            "start_from": Bound("schema:startDate", "date", True),
            "end_to": Bound("schema:endDate", "date", False),
        },
        columns=(
            Column("label", "?row rdfs:label ?v", kind="label"),
            Column("acronym", "?row s3:acronym ?v"),
            Column("start", "?row schema:startDate ?v", "MIN", "date"),
            Column("end", "?row schema:endDate ?v", "MAX", "date"),
            Column("budget", "?row s3:totalBudget/schema:value ?v", kind="money"),
            Column("eu", "?row s3:euContribution/schema:value ?v", kind="money"),
            Column("partners", f"?row {PARTNER} ?v", "COUNT", "count"),
        ),
        file_name="projects",
    ),
    "Organisation": Table(
        "Organisation",
        {
            "country": "s3:country",
            "region": "s3:region/skos:broader*",
            "type": "s3:organisationType",
            "programme": "^s3:participant/^s3:hasParticipation/s3:programme",
            "role": "^s3:participant/s3:partnerRole",
        },
        (
            Column("label", "?row rdfs:label ?v", kind="label"),
            Column("country", "?row s3:country ?v", kind="link"),
            Column("region", "?row s3:region ?v", kind="link"),
            Column("type", "?row s3:organisationType ?v", kind="link"),
            Column("projects", f"?v {PARTNER} ?row", "COUNT", "count"),
        ),
        "organisations",
    ),
}


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
        # the class's members, or a search's hits of the class (each an IRI checked by Oxigraph; none: no row)
        members = f"VALUES ?row {{ {' '.join(str(ox.NamedNode(iri)) for iri in self.found)} }}" if self.words else ""
        rows = " ".join([members or f"?row a s3:{self.table.cls} .", *(pattern(n, v) for n, v in plain), *bounded])
        return f"  {{ SELECT DISTINCT ?row WHERE {{ {rows} }} }}\n" + "".join(f"  {pattern(n, v)}\n" for n, v in along)

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
