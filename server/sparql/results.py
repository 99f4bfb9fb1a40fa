"""Streaming writers for SPARQL results: each yields bytes as rows arrive, never the whole result.

SELECT: SPARQL 1.1 JSON, XML, CSV and TSV. ASK: JSON and XML. CONSTRUCT/DESCRIBE: any RDF
format pyoxigraph writes. A result cut at the row limit says so in-band where the format
allows it (a `truncated` member in JSON, a comment in XML, a last `# s3kg: truncated …` line in
CSV and TSV); the X-S3KG-Row-Limit header is always sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
BOOLEAN_TYPES = dict(SELECT_TYPES)  # CSV and TSV as Oxigraph (and SPARQLWrapper, which asks for them) write them: one word
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
# Other names clients use for RDF documents, and the type each stands for (rdflib asks text/plain
# for N-Triples, text/n3 for N3, of which Turtle is the subset we write; application/json means
# JSON-LD for a graph). Served under the name asked for, by the endpoint and the entity IRIs.
RDF_ALIASES = {
    "text/plain": "application/n-triples",
    "text/n3": "text/turtle",
    "text/rdf+n3": "text/turtle",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "application/json": "application/ld+json",
    "application/x-json+ld": "application/ld+json",
    "application/xml": "application/rdf+xml",
}
# ours first: a wildcard gets Turtle
GRAPH_OFFERS = {**GRAPH_TYPES, **{alias: GRAPH_TYPES[media] for alias, media in RDF_ALIASES.items()}}
# ?format= (and output=, results=) names, each standing for a type per query form: results, then graphs
FORMAT_PARAMETERS = ("format", "output", "results")
_RESULTS_JSON, _RESULTS_XML = "application/sparql-results+json", "application/sparql-results+xml"
FORMAT_ALIASES = {
    "json": [_RESULTS_JSON, "application/ld+json"],
    "xml": [_RESULTS_XML, "application/rdf+xml"],
    "csv": ["text/csv"],
    "tsv": ["text/tab-separated-values"],
    "text": ["text/tab-separated-values", "application/n-triples"],
    "ttl": ["text/turtle"],
    "turtle": ["text/turtle"],
    "n3": ["text/turtle"],
    "nt": ["application/n-triples"],
    "ntriples": ["application/n-triples"],
    "n-triples": ["application/n-triples"],
    "jsonld": ["application/ld+json", _RESULTS_JSON],
    "json-ld": ["application/ld+json", _RESULTS_JSON],
    "rdf": ["application/rdf+xml", _RESULTS_XML],
    "rdf+xml": ["application/rdf+xml", _RESULTS_XML],
    "rdfxml": ["application/rdf+xml", _RESULTS_XML],
    "nq": ["application/n-quads"],
    "nquads": ["application/n-quads"],
    "trig": ["application/trig"],
}
CHUNK = 1 << 16
# The last line of a CSV or TSV result cut at the row limit (CSV and TSV have no other place to say
# so); a header cannot, once rows stream. Readers skip it as a comment (pandas: comment="#").
TRUNCATED_LINE = "# s3kg: truncated at the row limit of"


_dumps = json.JSONEncoder(ensure_ascii=False).encode
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_term(term: object) -> str:
    """One RDF term in SPARQL 1.1 JSON, written directly (twice as fast as building dicts)."""
    if isinstance(term, ox.NamedNode):
        return '{"type":"uri","value":' + _dumps(term.value) + "}"
    if isinstance(term, ox.Literal):
        value = '{"type":"literal","value":' + _dumps(term.value)
        if term.language:
            return value + ',"xml:lang":' + _dumps(term.language) + "}"
        datatype = term.datatype.value
        return value + "}" if datatype == _XSD_STRING else value + ',"datatype":' + _dumps(datatype) + "}"
    if isinstance(term, ox.BlankNode):
        return '{"type":"bnode","value":' + _dumps(term.value) + "}"
    return '{"type":"triple","value":' + _dumps(str(term)) + "}"


def _xml_text(value: str) -> str:
    """A literal's text in XML, with its edge white space and carriage returns as character
    references: XML readers trim the one (pyoxigraph's does) and turn CR LF into LF."""
    text = escape(value).replace("\r", "&#13;")
    core = text.strip(" \t\n")
    if core == text:
        return text
    start = text.index(core) if core else len(text)
    head, tail = text[:start], text[start + len(core) :]
    return _char_refs(head) + core + _char_refs(tail)


def _char_refs(space: str) -> str:
    return "".join(f"&#{ord(c)};" for c in space)


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{_xml_text(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{_xml_text(term.value)}</literal>"
        return f"<literal>{_xml_text(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal):
        text = term.value
    else:
        text = f"_:{term.value}" if isinstance(term, ox.BlankNode) else str(term)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


Row = TypeVar("Row")


class RowLimit:
    """Counts rows written and remembers whether the result was cut."""

    def __init__(self, max_rows: int):
        self.max_rows, self.rows, self.truncated = max_rows, 0, False

    def take(self, rows: Iterable[Row]) -> Iterator[Row]:
        """Rows (solutions or triples) up to the limit; notes a cut when one more was there."""
        for row in rows:
            if self.rows >= self.max_rows:
                self.truncated = True
                return
            self.rows += 1
            yield row


def _chunked(parts: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def select_parts(kind: str, solutions: ox.QuerySolutions, limit: RowLimit) -> Iterator[str]:
    variables = [v.value for v in solutions.variables]
    rows = limit.take(solutions)
    if kind == "json":
        yield json.dumps({"head": {"vars": variables}})[:-1] + ', "results": {"bindings": ['
        keys = [(_dumps(v) + ":", v) for v in variables]
        for n, row in enumerate(rows):
            cells = ",".join(key + _json_term(term) for key, v in keys if (term := row[v]) is not None)
            yield ("," if n else "") + "{" + cells + "}"
        yield "]}" + (f', "truncated": true, "rowLimit": {limit.max_rows}' if limit.truncated else "") + "}\n"
    elif kind == "xml":
        yield '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
        yield "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head><results>"
        for row in rows:
            bound = [v for v in variables if row[v] is not None]
            cells = "".join(f"<binding name={quoteattr(v)}>{_xml_term(row[v])}</binding>" for v in bound)
            yield f"<result>{cells}</result>\n"
        note = f"<!-- truncated at the row limit of {limit.max_rows} -->" if limit.truncated else ""
        yield f"{note}</results></sparql>\n"
    elif kind == "csv":
        yield ",".join(variables) + "\r\n"
        for row in rows:
            yield ",".join(_csv_cell(row[v]) for v in variables) + "\r\n"
        if limit.truncated:
            yield f"{TRUNCATED_LINE} {limit.max_rows}\r\n"
    else:  # tsv: terms in N-Triples syntax
        yield "\t".join(f"?{v}" for v in variables) + "\n"
        for row in rows:
            yield "\t".join("" if row[v] is None else str(row[v]) for v in variables) + "\n"
        if limit.truncated:
            yield f"{TRUNCATED_LINE} {limit.max_rows}\n"


def write_select(kind: str, solutions: ox.QuerySolutions, limit: RowLimit) -> Iterator[bytes]:
    return _chunked(select_parts(kind, solutions, limit))


def write_boolean(kind: str, value: bool) -> bytes:
    if kind == "json":
        return (json.dumps({"head": {}, "boolean": value}) + "\n").encode()
    text = "true" if value else "false"
    if kind in ("csv", "tsv"):
        return f"{text}\r\n".encode() if kind == "csv" else f"{text}\n".encode()
    return f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{text}</boolean></sparql>\n'.encode()


RESULTS_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def counted_triples(fmt: ox.RdfFormat, triples: Iterable[ox.Triple], limit: RowLimit) -> Iterator[Any]:
    """CONSTRUCT/DESCRIBE output up to the row limit, as quads in the default graph for a
    dataset format (N-Quads, TriG). (Typed Any: pyoxigraph's stubs want an iterable of one or the other.)"""
    quad_format = fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
    for triple in limit.take(triples):
        yield ox.Quad(triple.subject, triple.predicate, triple.object, ox.DefaultGraph()) if quad_format else triple


def graph_prefixes(fmt: ox.RdfFormat, prefixes: dict[str, str]) -> dict[str, str] | None:
    return prefixes if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None


def write_graph(fmt: ox.RdfFormat, triples: ox.QueryTriples, limit: RowLimit, prefixes: dict[str, str]) -> Iterator[bytes]:
    """Serialise CONSTRUCT/DESCRIBE output up to the row limit in one piece (Turtle or JSON-LD
    cannot be cut into independent parts); the query workers stream it instead (`server.backends.embedded.worker`)."""
    data = ox.serialize(list(counted_triples(fmt, triples, limit)), None, fmt, prefixes=graph_prefixes(fmt, prefixes))
    yield data or b""
