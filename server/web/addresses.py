"""Where things are: entity IRIs and the server's own addresses, the document formats an entity
is offered in (and their extensions), Link headers, conditional GET."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import Request

from server.sparql.results import RDF_ALIASES
from server.web.negotiation import choose

ONTOLOGY_NAMESPACE = "https://w3id.org/s3kg/ontology#"

DOCUMENT_TYPES = {
    "text/html": ("html", "HTML page"),
    "text/turtle": ("ttl", "Turtle"),
    "application/ld+json": ("jsonld", "JSON-LD"),
    "application/rdf+xml": ("rdf", "RDF/XML"),
    "application/n-triples": ("nt", "N-Triples"),
    "application/trig": ("trig", "TriG (each statement in the graph of its source)"),
    "application/n-quads": ("nq", "N-Quads (each statement in the graph of its source)"),
}
QUAD_FORMATS = {"application/trig": ox.RdfFormat.TRIG, "application/n-quads": ox.RdfFormat.N_QUADS}
RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}
EXTENSIONS = {ext: media for media, (ext, _) in DOCUMENT_TYPES.items()}


def choose_document(accept: str | None) -> tuple[str, str]:
    """(the media type to answer with, the document format it names) for an Accept header."""
    served = choose(accept, [*DOCUMENT_TYPES, *RDF_ALIASES])
    return served, RDF_ALIASES.get(served, served)


NUTS = "http://data.europa.eu/nuts/code/"  # Eurostat's IRIs of NUTS regions: their pages are /region/<code>


@dataclass(frozen=True)
class Addresses:
    """Maps IRIs under the base IRI to this server's /id/ addresses, and back."""

    base_iri: str
    public_url: str

    def local(self, iri: str) -> str | None:
        if iri.startswith(self.base_iri):
            return self.public_url + "id/" + iri[len(self.base_iri) :]
        if iri.startswith(NUTS) and "/" not in iri[len(NUTS) :]:
            return self.public_url + "region/" + iri[len(NUTS) :]
        if iri.startswith(ONTOLOGY_NAMESPACE):
            return self.public_url + "ontology#" + iri[len(ONTOLOGY_NAMESPACE) :]
        return iri if iri.startswith(("http://", "https://")) else None

    def iri(self, path: str) -> str:
        return self.base_iri + path


def not_modified(request: Request, etag: str, created: float | None = None) -> bool:
    """Conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    since = request.headers.get("if-modified-since")
    if since and created is not None:
        try:
            return int(created) <= int(parsedate_to_datetime(since).timestamp())
        except (TypeError, ValueError):
            return False
    return False


def header_path(path: str) -> str:
    """A request path as it may stand in a header or a Link: no raw control characters or spaces."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def memento_links(addresses: Addresses, path: str) -> list[str]:
    """The Link values that make an entity IRI its own TimeGate (RFC 7089, pattern 2.1)."""
    stem, dot, extension = path.rpartition(".")
    path = stem if dot and "/" not in extension and extension in EXTENSIONS else path
    safe = header_path(path)
    original = f"{addresses.public_url}id/{safe}"
    return [
        f'<{original}>; rel="original timegate"',
        f'<{addresses.public_url}timemap/id/{safe}>; rel="timemap"; type="application/link-format"',
    ]
