"""Dereferenceable entity IRIs: one URI per entity, content negotiation with `Vary: Accept`.

We chose negotiation at the entity IRI (Cool URIs, section 4.3, "hash-less with conneg")
rather than 303 redirects: one round trip, and every document is also reachable by an
explicit extension (`.html .ttl .jsonld .rdf .nt`) or `?format=`. The base IRI is a setting;
this server answers for it under `/id/`, and every link it writes points to itself.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from rdflib import Graph

from loaders.core.queries import Readable
from loaders.core.vocab import PREFIXES, S3
from loaders.publish.figures import Figures
from server.backends.entities import COUNTED, Description, EntityReader, Passage, labels_of
from server.pages import inset, values
from server.pages.factsheet import fact_sheet
from server.pages.markup import entity_markup
from server.web.addresses import (
    DOCUMENT_TYPES,
    EXTENSIONS,
    NUTS,
    QUAD_FORMATS,
    RDF_FORMATS,
    Addresses,
    choose_document,
    header_path,
    memento_links,
    not_modified,
)
from server.web.languages import best_label, page_language, preferred_languages
from server.web.templates import TEMPLATES

# Characters that change the direction of the text around them (LRE … RLO, LRI … PDI, the marks).


XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def json_ld_document(triples: list[ox.Triple]) -> bytes:
    """JSON-LD with our prefixes as its @context, compacted, so it reads as `s3:partner`, not full IRIs."""
    graph = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    return graph.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True, encoding="utf-8")


def _text(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal) else str(term)


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _cited(passage: Passage, sources: str) -> dict[str, str | None]:
    """A value's source on the page: the document, the passage highlighted there (RFC 5147), the quote on hover."""
    title = f"“{passage.quote}”" + (f" — {passage.reason}" if passage.reason else "")
    kind = {"Translated": "translated", "Inferred": "inferred"}.get(passage.evidence)
    return {
        "document": passage.document,
        "href": f"{sources}{quote(passage.document)}#char={passage.start},{passage.end}",
        "title": title,
        "kind": kind,
    }


def render_html(
    description: Description,
    addresses: Addresses,
    languages: list[str],
    path: str,
    sources: str = "/sources/",
    store: Readable | None = None,
    area: str = "id",
    figures: Callable[[], Figures] | None = None,
) -> str:
    """The entity's page: its fact sheet (with `store`, for the kinds that have one), then every
    statement with its sources, the matches, the incoming links and the other formats."""
    linked = _Links(description.labels, addresses, languages, store)
    link = linked.shown

    language = page_language(languages)
    grouped: dict[str, list[ox.Triple]] = {}
    types = []
    for triple in description.triples:
        obj = triple.object
        if triple.predicate.value.endswith("22-rdf-syntax-ns#type") and isinstance(obj, ox.NamedNode):
            types.append(link(obj.value))
        else:
            grouped.setdefault(triple.predicate.value, []).append(triple)
    rows = []
    for predicate, triples in grouped.items():
        literals = values.by_language([t.object for t in triples if isinstance(t.object, ox.Literal)], languages)
        others = sorted((t.object for t in triples if not isinstance(t.object, ox.Literal)), key=str)
        shown: list[dict[str, Any]] = []
        for obj in [*literals, *others]:
            if isinstance(obj, ox.Literal):
                shown.append({"label": values.literal(obj, language), "href": None, "lang": obj.language})
            elif isinstance(obj, ox.NamedNode) and (money := description.amounts.get(obj.value)) is not None:
                shown.append({"label": values.amount(money.value, money.currency, money.approximate, language), "href": None})
            else:
                shown.append(link(obj.value) if isinstance(obj, ox.NamedNode) else {"label": _text(obj), "href": None})
            stating = description.graphs.get((predicate, str(obj), "out"), set())
            shown[-1]["sources"] = [
                _cited(description.passages[g], sources) for g in sorted(stating) if g in description.passages
            ]
        graphs = set().union(*(description.graphs.get((predicate, str(t.object), "out"), set()) for t in triples))
        loaded = sorted(_local_name(g) for g in graphs if g not in description.passages)  # the per-value passages say the rest
        rows.append({"property": link(predicate), "values": shown, "graphs": loaded})
    rows.sort(key=lambda row: str(row["property"]["label"]).casefold())  # type: ignore[index]
    incoming = [{"subject": link(_text(t.subject)), "property": link(t.predicate.value)} for t in description.incoming]
    strategies = _strategies(store, [m.other for m in description.matches]) if store is not None else {}
    matches = [
        {
            "other": link(m.other),
            "strategy": linked(strategies[m.other]) if m.other in strategies else None,
            "rule": m.rule,
            "score": values.literal(ox.Literal(m.score, datatype=ox.NamedNode(XSD_DECIMAL)), language),
            "region": link(m.region) if m.region else None,
            "codes": [link(c) for c in m.codes],
            "words": list(m.words),
        }
        for m in description.matches
    ]
    is_priority = any(
        t.predicate.value.endswith("22-rdf-syntax-ns#type") and t.object == ox.NamedNode(str(S3.S3Domain))
        for t in description.triples
    )
    more = "SELECT ?s ?p WHERE { ?s ?p <" + description.iri + "> }"
    alternates = [
        {"media": media, "name": name, "href": f"{addresses.public_url}{area}/{path}.{ext}"}
        for media, (ext, name) in DOCUMENT_TYPES.items()
    ]
    title = best_label(description.labels.get(description.iri, []), languages) or _local_name(description.iri)
    sheet = fact_sheet(description, store, languages, language, linked, figures) if store and figures else None
    drawn = inset.inset(inset.places(sheet.kind, description.iri, store)) if sheet and store is not None else None
    if drawn:
        linked.read(NUTS + area.code for area in drawn.areas)

    def region(code: str) -> dict[str, Any]:
        return linked(NUTS + code)

    return TEMPLATES.get_template("entity.html").render(
        sheet=sheet,
        inset=drawn,
        region=region,
        has_strategies=bool(strategies),
        lang=language,
        title=title,
        iri=description.iri,
        types=types,
        rows=rows,
        incoming=incoming,
        incoming_total=description.incoming_total,
        counted=COUNTED,
        matches=matches,
        matches_total=description.matches_total,
        matches_heading="Projects that serve this priority" if is_priority else "Priorities this project serves",
        more_href=f"/sparql?format=json&query={quote(more)}",
        alternates=alternates,
        json_ld=entity_markup(description, languages, addresses.local(description.iri), sheet, drawn, region),
    )


class _Links:
    """The page's links, labelled in the reader's language: the labels the description read, and
    those a fact sheet reads for its tables (`read`, many at once; a single unknown IRI alone)."""

    def __init__(self, known: dict[str, list[ox.Literal]], addresses: Addresses, languages: list[str], store: Readable | None):
        self.known, self.addresses, self.languages, self.store = dict(known), addresses, languages, store

    def read(self, iris: Iterable[str]) -> None:
        missing = [iri for iri in dict.fromkeys(iris) if iri not in self.known]
        if missing and self.store is not None:
            found = labels_of(self.store, missing)
            self.known.update((iri, found.get(iri, [])) for iri in missing)  # unlabelled ones: not asked again

    def shown(self, iri: str) -> dict[str, Any]:
        """A link with the label already known (the statement table's links)."""
        label = best_label(self.known.get(iri, []), self.languages) or _local_name(iri)
        return {"href": self.addresses.local(iri), "label": label}

    def __call__(self, iri: str) -> dict[str, Any]:
        self.read([iri])
        return self.shown(iri)


def _strategies(store: Readable, priorities: list[str]) -> dict[str, str]:
    """The strategy each priority belongs to (read by pattern: no query text)."""
    found: dict[str, str] = {}
    for priority in priorities:
        for quad in store.quads_for_pattern(ox.NamedNode(priority), ox.NamedNode(str(S3.strategy)), None, ox.DefaultGraph()):
            if isinstance(quad.object, ox.NamedNode):
                found[priority] = quad.object.value
    return found


async def describe_response(
    reader: EntityReader,
    addresses: Addresses,
    path: str,
    request: Request,
    links: list[str] | None = None,
    sources: str = "/sources/",
    area: str = "id",
) -> Response:
    """The description of the entity at `path` (…/id/<path>) in `reader`'s build, in the format the
    request asks for; `links` are more Link header values (Memento's original, timemap), and
    `sources` where the page's passages link (a memento's own build's documents)."""
    stem, dot, extension = path.rpartition(".")
    forced = EXTENSIONS.get(extension) if dot and "/" not in extension else None
    path = stem if forced else path
    languages = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
    requested = request.query_params.get("format")
    named = forced or EXTENSIONS.get(requested or "")  # an extension or ?format= names the document
    served, media = (named, named) if named else choose_document(request.headers.get("accept"))
    build, store = reader.store()
    variant = DOCUMENT_TYPES[media][0] + ("" if served == media else "-as-" + re.sub(r"[^a-z0-9]+", "-", served))
    etag = f'"{build}-{variant}-{"-".join(languages[:4])}"'  # tags are checked: letters and digits only
    created = reader.created()
    headers = {"ETag": etag, "Vary": "Accept, Accept-Language, Accept-Datetime", "Content-Language": page_language(languages)}
    if created is not None:
        headers["Last-Modified"] = formatdate(created, usegmt=True)
    safe_path = header_path(path)
    # One alternate only: JSON-LD readers (pyld) take a repeated rel as a list and fail; the
    # other formats are named in the page and reachable by extension and by Accept.
    other = "text/turtle" if media == "application/ld+json" else "application/ld+json"
    alternate = f'<{addresses.public_url}{area}/{safe_path}.{DOCUMENT_TYPES[other][0]}>; rel="alternate"; type="{other}"'
    headers["Link"] = ", ".join([alternate, *(links or [])])
    if not_modified(request, etag, created):
        return Response(status_code=304, headers=headers)
    iri = NUTS + path if area == "region" else addresses.iri(path)
    description = reader.describe(iri)
    if description is None:
        term = _local_name(path).replace("-", " ")
        search = (
            'SELECT ?entity ?label WHERE { ?entity rdfs:label ?label FILTER (CONTAINS(LCASE(STR(?label)), LCASE("'
            + term.replace('"', "").replace("\\", "")
            + '"))) } LIMIT 50'
        )
        if media == "text/html":
            page = TEMPLATES.get_template("not_found.html").render(
                lang=page_language(languages), iri=iri, term=term, search_query=search
            )
            return HTMLResponse(page, status_code=404, headers={"Vary": "Accept"})
        return Response(f"No entity {iri} in the published graph.\n", status_code=404, media_type="text/plain")
    if media == "text/html":
        body = render_html(description, addresses, languages, path, sources, store, area, reader.figures).encode()
    elif media in QUAD_FORMATS:
        prefixes = PREFIXES if media == "application/trig" else None
        body = ox.serialize(description.quads(), format=QUAD_FORMATS[media], prefixes=prefixes) or b""
    elif media == "application/ld+json":
        body = json_ld_document(description.graph())
    else:
        body = (
            ox.serialize(description.graph(), format=RDF_FORMATS[media], prefixes=PREFIXES if media == "text/turtle" else None)
            or b""
        )
    return Response(body, media_type=served, headers=headers)  # HEAD: server.web.head drops the body


Hook = Callable[[str, Request], Response | None]


def add_routes(
    app: FastAPI, reader: EntityReader, addresses: Addresses, timegate: Hook | None = None, gone: Hook | None = None
) -> Callable[[str, Request], Awaitable[Response]]:
    """Registers /id/… (for the OpenAPI description and CORS preflights) and returns its function,
    which serves GET requests without FastAPI's layers (`server.fast`). With `timegate`, a
    request with Accept-Datetime is answered by it (Memento, `server.pages.memento`); with `gone`,
    an IRI the published build does not describe may be answered 410 (a kept build described it)."""

    @app.get("/id/{path:path}")
    async def entity(path: str, request: Request) -> Response:
        links: list[str] = []
        if timegate is not None:
            redirect = timegate(path, request)
            if redirect is not None:
                return redirect
            links = memento_links(addresses, path)
        response = await describe_response(reader, addresses, path, request, links)
        if response.status_code == 404 and gone is not None:
            return await asyncio.to_thread(gone, path, request) or response
        return response

    @app.get("/region/{code}")
    async def region(code: str, request: Request) -> Response:
        """A NUTS region's page (its IRI is Eurostat's: http://data.europa.eu/nuts/code/…)."""
        return await describe_response(reader, addresses, code, request, area="region")

    return entity
