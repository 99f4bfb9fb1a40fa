"""Dereferenceable entity IRIs: one URI per entity, content negotiation with `Vary: Accept`.

We chose negotiation at the entity IRI (Cool URIs, section 4.3, "hash-less with conneg")
rather than 303 redirects: one round trip, and every document is also reachable by an
explicit extension (`.html .ttl .jsonld .rdf .nt`) or `?format=`. The base IRI is a setting;
this server answers for it under `/id/`, and every link it writes points to itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from rdflib import Graph

from loaders.core.vocab import PREFIXES
from server.pages import values
from server.sparql.results import RDF_ALIASES
from server.web.entities import Description, EntityReader, Passage
from server.web.negotiation import choose

# Characters that change the direction of the text around them (LRE … RLO, LRI … PDI, the marks).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(data: object) -> str:
    """JSON to embed in a <script> block: `<`, `>` and `&` as \\u escapes, so that no value
    (`</script>`, `<!--<script>`) can end the block or switch the HTML parser's state, and the
    direction controls escaped too, so the block stays JSON and shows nothing."""
    text = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE)
    return BIDI_CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _isolated(value: object) -> object:
    """Every value a template writes: a text holding direction controls (U+202E …) is wrapped in
    FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, so it cannot reorder the text around it — in
    titles, headings and cells alike."""
    if isinstance(value, str) and BIDI_CONTROLS.search(value):
        return Markup("\u2068") + value + Markup("\u2069")  # escaped as the value would be, unless it is Markup
    return value


# templates are read once: no check of their files' times on every page (auto_reload)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(),
    auto_reload=False,
    finalize=_isolated,
)
MESSAGES: dict[str, dict[str, str]] = yaml.safe_load((Path(__file__).parent / "templates" / "messages.yaml").read_text("utf-8"))


@pass_context
def _translate(context: Context, text: str) -> str:
    """{{ t("English text") }} in the page's language (`lang`), from templates/messages.yaml."""
    return MESSAGES.get(text, {}).get(context.get("lang", "en"), text)


TEMPLATES.globals["t"] = _translate


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


ONTOLOGY_NAMESPACE = "https://w3id.org/s3kg/ontology#"
SCHEMA_TYPES = {"Project": "Project", "Organisation": "Organization", "Event": "Event", "Place": "Place", "Person": "Person"}


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")  # BCP 47, as far as label matching needs


class BadLanguage(ValueError):
    """A ?lang= value that is not a language tag (answered 400)."""


def preferred_languages(lang: str | None, accept_language: str | None) -> list[str]:
    """The reader's languages, best first: ?lang=, then Accept-Language by q-value, then English.
    Each is a primary language subtag, lower case ASCII: safe in headers, ETags and HTML."""
    if lang is not None and not _LANGUAGE_TAG.fullmatch(lang):
        raise BadLanguage(f"?lang= must be a language tag such as 'en', 'nl' or 'pt-BR'; {lang[:20]!r} is not one.")
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if _LANGUAGE_TAG.fullmatch(tag) and q > 0:  # anything else, "*" included, is ignored
            ranked.append((-q, order, tag.split("-")[0].lower()))
    languages = ([lang.split("-")[0].lower()] if lang else []) + [tag for _, _, tag in sorted(ranked)] + ["en"]
    return list(dict.fromkeys(languages))


def json_ld_document(triples: list[ox.Triple]) -> bytes:
    """JSON-LD with our prefixes as its @context, compacted, so it reads as `s3:partner`, not full IRIs."""
    graph = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    return graph.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True, encoding="utf-8")


PAGE_LANGUAGES = ("en", "nl", "fr", "sv", "pl")  # the languages of the seeds, the ontology's labels and the page text


def page_language(languages: list[str]) -> str:
    """The language a page is written in: the reader's first that pages offer (English at the latest).
    Labels still follow the reader's whole list, so a page may quote a label in another language."""
    return next((code for code in languages if code in PAGE_LANGUAGES), "en")


def best_label(labels: list[ox.Literal], languages: list[str]) -> str | None:
    for language in languages:
        for label in labels:
            if (label.language or "").split("-")[0] == language:
                return label.value
    return labels[0].value if labels else None


@dataclass(frozen=True)
class Addresses:
    """Maps IRIs under the base IRI to this server's /id/ addresses, and back."""

    base_iri: str
    public_url: str

    def local(self, iri: str) -> str | None:
        if iri.startswith(self.base_iri):
            return self.public_url + "id/" + iri[len(self.base_iri) :]
        if iri.startswith(ONTOLOGY_NAMESPACE):
            return self.public_url + "ontology#" + iri[len(ONTOLOGY_NAMESPACE) :]
        return iri if iri.startswith(("http://", "https://")) else None

    def iri(self, path: str) -> str:
        return self.base_iri + path


def _text(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal) else str(term)


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _json_ld(description: Description, addresses: Addresses, languages: list[str]) -> str:
    """A schema.org summary for search engines, safe inside a <script> element."""
    types = [_text(t.object) for t in description.triples if t.predicate.value.endswith("22-rdf-syntax-ns#type")]
    kind = next((SCHEMA_TYPES[_local_name(t)] for t in types if _local_name(t) in SCHEMA_TYPES), "Thing")
    # an inline @vocab context: parseable offline, where "https://schema.org/" would have to be fetched
    data: dict[str, object] = {"@context": {"@vocab": "https://schema.org/"}, "@type": kind, "@id": description.iri}
    name = best_label(description.labels.get(description.iri, []), languages)
    if name:
        data["name"] = name
    for triple in description.triples:
        key = {"startDate": "startDate", "endDate": "endDate", "description": "description", "sameAs": "sameAs"}.get(
            _local_name(triple.predicate.value)
        )
        if key and key not in data:
            data[key] = _text(triple.object)
    data["url"] = addresses.local(description.iri)
    return script_json(data)


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
    description: Description, addresses: Addresses, languages: list[str], path: str, sources: str = "/sources/"
) -> str:
    def link(iri: str) -> dict[str, str | None]:
        return {"href": addresses.local(iri), "label": best_label(description.labels.get(iri, []), languages) or _local_name(iri)}

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
    more = "SELECT ?s ?p WHERE { ?s ?p <" + description.iri + "> }"
    alternates = [
        {"media": media, "name": name, "href": f"{addresses.public_url}id/{path}.{ext}"}
        for media, (ext, name) in DOCUMENT_TYPES.items()
    ]
    title = best_label(description.labels.get(description.iri, []), languages) or _local_name(description.iri)
    return TEMPLATES.get_template("entity.html").render(
        lang=language,
        title=title,
        iri=description.iri,
        types=types,
        rows=rows,
        incoming=incoming,
        incoming_total=description.incoming_total,
        more_href=f"/sparql?format=json&query={quote(more)}",
        alternates=alternates,
        json_ld=_json_ld(description, addresses, languages),
    )


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


async def describe_response(
    reader: EntityReader,
    addresses: Addresses,
    path: str,
    request: Request,
    links: list[str] | None = None,
    sources: str = "/sources/",
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
    build, _ = reader.store()
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
    alternate = f'<{addresses.public_url}id/{safe_path}.{DOCUMENT_TYPES[other][0]}>; rel="alternate"; type="{other}"'
    headers["Link"] = ", ".join([alternate, *(links or [])])
    if not_modified(request, etag, created):
        return Response(status_code=304, headers=headers)
    description = reader.describe(addresses.iri(path))
    if description is None:
        term = _local_name(path).replace("-", " ")
        search = (
            'SELECT ?entity ?label WHERE { ?entity rdfs:label ?label FILTER (CONTAINS(LCASE(STR(?label)), LCASE("'
            + term.replace('"', "").replace("\\", "")
            + '"))) } LIMIT 50'
        )
        if media == "text/html":
            page = TEMPLATES.get_template("not_found.html").render(
                lang=page_language(languages), iri=addresses.iri(path), term=term, search_query=search
            )
            return HTMLResponse(page, status_code=404, headers={"Vary": "Accept"})
        return Response(f"No entity {addresses.iri(path)} in the published graph.\n", status_code=404, media_type="text/plain")
    if media == "text/html":
        body = render_html(description, addresses, languages, path, sources).encode()
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


def add_routes(
    app: FastAPI, reader: EntityReader, addresses: Addresses, timegate: Callable[[str, Request], Response | None] | None = None
) -> Callable[[str, Request], Awaitable[Response]]:
    """Registers /id/… (for the OpenAPI description and CORS preflights) and returns its function,
    which serves GET requests without FastAPI's layers (`server.web.fast`). With `timegate`, a
    request with Accept-Datetime is answered by it (Memento, `server.publication.memento`)."""

    @app.get("/id/{path:path}")
    async def entity(path: str, request: Request) -> Response:
        links: list[str] = []
        if timegate is not None:
            redirect = timegate(path, request)
            if redirect is not None:
                return redirect
            links = memento_links(addresses, path)
        return await describe_response(reader, addresses, path, request, links)

    return entity


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
