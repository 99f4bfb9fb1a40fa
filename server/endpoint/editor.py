"""The query editor as a page: `/sparql` opened in a browser, with or without a query. With one
(`/sparql?query=…`, a link someone shared, or the form sent without JavaScript) the page shows the
query in the editor and its answer below it — a table of rows, a yes or no, or the triples of a
CONSTRUCT or DESCRIBE — and links to download the whole answer in each format. The query runs
exactly as any other: the endpoint's workers, limits and cache (server.endpoint.routes); this
module only turns the answer into what the page shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

from loaders.core.vocab import PREFIXES

SHOWN_ROWS = 1_000  # rows a page shows; the downloads hold the whole answer
ROWS_JSON = "application/sparql-results+json"
TRIPLES = "application/n-triples"
GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")
DOWNLOADS = {
    "rows": (("CSV", "csv"), ("TSV", "tsv"), ("JSON", "json"), ("XML", "xml")),
    "graph": (("Turtle", "text/turtle"), ("N-Triples", "application/n-triples"), ("JSON-LD", "application/ld+json"),
              ("RDF/XML", "application/rdf+xml")),
}  # fmt: skip


@dataclass
class Shown:
    """What the page shows of an answer."""

    kind: str  # rows, boolean, graph or error
    columns: list[str] = field(default_factory=list)
    rows: list[list[dict[str, str]]] = field(default_factory=list)
    boolean: bool | None = None
    total: int = 0  # rows or triples in the answer the page got
    cut: bool = False  # the page shows fewer than the answer holds
    message: str = ""
    downloads: list[tuple[str, str]] = field(default_factory=list)


def accept_for(form: str) -> str:
    """What the editor page asks the query runner for: rows as JSON, graphs as N-Triples."""
    return TRIPLES if form in GRAPH_FORMS else ROWS_JSON


def downloads(query: str, form: str) -> list[tuple[str, str]]:
    """(name, URL) of the answer in each format, for the links under it."""
    kind = "graph" if form in GRAPH_FORMS else "rows"
    return [(name, "/sparql?" + urlencode({"query": query, "format": value})) for name, value in DOWNLOADS[kind]]


def _short(iri: str) -> str:
    """An IRI as a prefixed name where a predefined prefix fits."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def cell(term: dict[str, str] | None, base_iri: str) -> dict[str, str]:
    """A SPARQL JSON term as a cell: text, a link for an IRI (our entities' pages on this server), its language."""
    if term is None:
        return {"text": ""}
    if term["type"] == "uri":
        value = term["value"]
        href = "/id/" + value[len(base_iri) :] if value.startswith(base_iri) else value
        return {"text": _short(value), "href": href}
    if term["type"] == "bnode":
        return {"text": "_:" + term["value"]}
    return {"text": term["value"], "lang": term.get("xml:lang", "")}


def _term(node: object, base_iri: str) -> dict[str, str]:
    if isinstance(node, ox.NamedNode):
        return cell({"type": "uri", "value": node.value}, base_iri)
    if isinstance(node, ox.BlankNode):
        return cell({"type": "bnode", "value": node.value}, base_iri)
    if isinstance(node, ox.Literal):
        return cell({"type": "literal", "value": node.value, "xml:lang": node.language or ""}, base_iri)
    return {"text": str(node)}


def shown(form: str, body: bytes, base_iri: str, query: str) -> Shown:
    """The answer (SPARQL JSON, or N-Triples for a graph) as the page shows it."""
    links = downloads(query, form)
    if form in GRAPH_FORMS:
        triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        rows = [[_term(node, base_iri) for node in (t.subject, t.predicate, t.object)] for t in triples[:SHOWN_ROWS]]
        return Shown("graph", ["subject", "predicate", "object"], rows, total=len(triples), cut=len(triples) >= SHOWN_ROWS,
                     downloads=links)  # fmt: skip
    data = json.loads(body)
    if "boolean" in data:
        return Shown("boolean", boolean=bool(data["boolean"]), downloads=links)
    columns = list(data["head"]["vars"])
    bindings = data["results"]["bindings"]
    rows = [[cell(row.get(name), base_iri) for name in columns] for row in bindings[:SHOWN_ROWS]]
    cut = len(bindings) >= SHOWN_ROWS or bool(data.get("truncated"))
    return Shown("rows", columns, rows, total=len(bindings), cut=cut, downloads=links)
