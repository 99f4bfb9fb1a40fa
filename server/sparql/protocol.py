"""The SPARQL 1.1 Protocol's request rules as a pure function over method, headers and body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from server.sparql.results import FORMAT_ALIASES, FORMAT_PARAMETERS


class ProtocolError(Exception):
    """A request the protocol does not allow; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


@dataclass(frozen=True)
class SparqlRequest:
    query: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str | None = None  # media type asked for by ?format= (for links)


_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*$")
READ_ONLY = "This is a read-only public endpoint: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …) is not accepted."


def _single(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise ProtocolError(400, f"Give the '{name}' parameter once; this request has it {len(values)} times.")
    return values[0] if values else None


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"The request body is not UTF-8 (byte {error.start}).") from None


def parse_request(
    method: str, content_type: str | None, url_params: list[tuple[str, str]], body: bytes, max_bytes: int
) -> SparqlRequest:
    """Apply the protocol's rules; raises ProtocolError with the status and a message that says why."""
    if len(body) > max_bytes or sum(len(v) for _, v in url_params) > max_bytes:
        raise ProtocolError(413, f"The query is larger than this endpoint's limit of {max_bytes:,} bytes.")
    media = (content_type or "").split(";")[0].strip().lower()
    params = list(url_params)
    if method == "GET":
        if _single(params, "update") is not None:
            raise ProtocolError(403, READ_ONLY)
        query = _single(params, "query")
    elif method == "POST":
        if media == "application/x-www-form-urlencoded":
            form = parse_qsl(_decode(body), keep_blank_values=True)
            if any(k == "update" for k, _ in form + params):
                raise ProtocolError(403, READ_ONLY)
            if any(k == "query" for k, _ in params):
                raise ProtocolError(400, "With a form POST, send the query in the body, not in the URL.")
            params += form
            query = _single(params, "query")
            if query is None:
                raise ProtocolError(400, "The form has no 'query' parameter. Send query=<SPARQL query>.")
        elif media == "application/sparql-query":
            query = _decode(body)
        elif media == "application/sparql-update":
            raise ProtocolError(403, READ_ONLY)
        elif not media:
            raise ProtocolError(
                400, "A POST needs a Content-Type: application/sparql-query or application/x-www-form-urlencoded."
            )
        else:
            raise ProtocolError(
                415,
                f"Content-Type {media} is not a SPARQL query; use application/sparql-query or application/x-www-form-urlencoded.",
            )
    else:
        raise ProtocolError(405, f"{method} is not a SPARQL Protocol method; use GET or POST.")
    defaults = [v for k, v in params if k == "default-graph-uri"]
    named = [v for k, v in params if k == "named-graph-uri"]
    for name, iri in [("default-graph-uri", v) for v in defaults] + [("named-graph-uri", v) for v in named]:
        if not _ABSOLUTE_IRI.match(iri):
            raise ProtocolError(
                400, f"{name} must be an absolute IRI such as https://w3id.org/s3kg/id/graph/provenance; got {iri[:80]!r}."
            )
    return SparqlRequest(query, defaults, named, _format(params))


def _format(params: list[tuple[str, str]]) -> str | None:
    """The media types the `format` (or `output`, `results`) parameter asks for, as an Accept
    header; None when absent. Clients send it beside their Accept header (SPARQLWrapper sends all
    three, with values such as json-ld, rdf+xml or n3), and one name stands for the right type of
    each query form (json: SPARQL JSON results, or JSON-LD for a graph). A value we do not know is
    ignored and the Accept header decides, as Virtuoso and Fuseki do."""
    wanted: list[str] = []
    for key, value in params:
        if key in FORMAT_PARAMETERS:
            name = value.strip().lower()
            types = FORMAT_ALIASES.get(name) or ([name] if "/" in name else [])
            wanted += [t for t in types if t not in wanted]
    return ", ".join(wanted) if wanted else None
