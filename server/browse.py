"""The project table: /browse/Project with facets (programme, country, region, period, fund,
domain, theme) and columns (acronym, dates, budget, EU share, partners), sortable, paged, and
downloadable as CSV or XLSX. Every view is one SPARQL query, shown on the page, so a reader can
take it to /sparql. Facet values enter the query as IRIs checked by Oxigraph, never as text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pyoxigraph as ox
from openpyxl import Workbook

from loaders.vocab import PREFIXES

FACETS = {  # name → the path from a project to the facet's values
    "programme": "s3:programme",
    "country": "s3:hasParticipation/s3:participant/s3:country",
    "region": "s3:hasParticipation/s3:participant/s3:region/skos:broader*|s3:region/skos:broader*",
    "period": "s3:programme/s3:programmingPeriod",
    "fund": "s3:fund|s3:programme/s3:fund",
    "domain": "s3:s3Domain|s3:servesPriority",
    "theme": "s3:theme",
}
COLUMNS = ("label", "acronym", "start", "end", "budget", "eu", "partners")
PAGE_SIZE = 50
DOWNLOAD_ROWS = 100_000
_ROWS = """SELECT ?project (SAMPLE(?l) AS ?label) (SAMPLE(?a) AS ?acronym) (MIN(?s) AS ?start) (MAX(?e) AS ?end)
       (SAMPLE(?b) AS ?budget) (SAMPLE(?u) AS ?eu) (COUNT(DISTINCT ?partner) AS ?partners)
WHERE {
  ?project a s3:Project .%s
  OPTIONAL { ?project rdfs:label ?l }
  OPTIONAL { ?project s3:acronym ?a }
  OPTIONAL { ?project schema:startDate ?s }
  OPTIONAL { ?project schema:endDate ?e }
  OPTIONAL { ?project s3:totalBudget/schema:value ?b }
  OPTIONAL { ?project s3:euContribution/schema:value ?u }
  OPTIONAL { ?project s3:hasParticipation/s3:participant ?partner }
}
GROUP BY ?project
ORDER BY %s(?%s) ?project"""


class BadFacet(ValueError):
    """A facet or sort the table does not have, or a value that is not an IRI."""


@dataclass(frozen=True)
class View:
    filters: tuple[tuple[str, str], ...]  # (facet, IRI)
    sort: str = "label"
    descending: bool = False

    @classmethod
    def from_query(cls, params: list[tuple[str, str]]) -> View:
        filters = []
        for name, value in params:
            if name in FACETS and value:
                try:
                    ox.NamedNode(value)
                except ValueError:
                    raise BadFacet(f"the {name} facet takes an IRI, not {value!r}.") from None
                filters.append((name, value))
        sort = dict(params).get("sort", "label")
        if sort not in COLUMNS:
            raise BadFacet(f"cannot sort by {sort!r}; sort by one of {', '.join(COLUMNS)}.")
        return cls(tuple(sorted(set(filters))), sort, dict(params).get("order") == "desc")

    def where(self) -> str:
        return "".join(f"\n  ?project {FACETS[name]} {ox.NamedNode(value)} ." for name, value in self.filters)

    def query(self, limit: int, offset: int = 0) -> str:
        order = "DESC" if self.descending else "ASC"
        return _ROWS % (self.where(), order, self.sort) + f"\nLIMIT {limit} OFFSET {offset}"

    def count_query(self) -> str:
        return f"SELECT (COUNT(DISTINCT ?project) AS ?n) WHERE {{ ?project a s3:Project .{self.where()} }}"

    def facet_query(self, name: str) -> str:
        return (
            f"SELECT ?value (COUNT(DISTINCT ?project) AS ?n) WHERE {{ ?project a s3:Project .{self.where()}\n"
            f"  ?project {FACETS[name]} ?value FILTER isIRI(?value) }} GROUP BY ?value ORDER BY DESC(?n) ?value LIMIT 30"
        )


def _select(store: ox.Store, query: str) -> list[dict[str, ox.NamedNode | ox.Literal]]:
    solutions = store.query(query, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [{n: row[n] for n in names if isinstance(row[n], ox.NamedNode | ox.Literal)} for row in solutions]


def rows(store: ox.Store, view: View, limit: int, offset: int = 0) -> list[dict[str, str]]:
    """The view's projects, each column as text (IRIs in full)."""
    return [{k: v.value for k, v in row.items()} for row in _select(store, view.query(limit, offset))]


def count(store: ox.Store, view: View) -> int:
    found = _select(store, view.count_query())
    return int(found[0]["n"].value) if found else 0


def facets(store: ox.Store, view: View) -> dict[str, list[tuple[str, int]]]:
    """For each facet, its values among the view's projects with how many projects have each."""
    return {name: [(r["value"].value, int(r["n"].value)) for r in _select(store, view.facet_query(name))] for name in FACETS}


def as_csv(table: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["project", *COLUMNS])
    writer.writerows([[row.get("project", ""), *(row.get(c, "") for c in COLUMNS)] for row in table])
    return out.getvalue().encode("utf-8")


def as_xlsx(table: list[dict[str, str]], query: str) -> bytes:
    """The table on one sheet (numbers as numbers, text never read as a formula), the query on another."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("projects")
    sheet.append(["project", *COLUMNS])
    for row in table:
        cells: list[object] = [row.get("project", "")]
        for column in COLUMNS:
            value = row.get(column, "")
            if column in ("budget", "eu", "partners") and value:
                cells.append(float(value) if "." in value else int(value))
            else:
                cells.append(("'" + value) if value[:1] in "=+-@" else value)
        sheet.append(cells)
    book.create_sheet("query").append([query])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
