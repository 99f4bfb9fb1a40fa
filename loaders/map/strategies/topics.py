"""The parts of a strategy file beyond its priority domains: the emerging topics a team lists
beside them (`emerging:`), and the document the strategy is published in when it is a PDF or a
web page rather than a text file of data/ (`document:` with its address, title, date and
publisher)."""

from __future__ import annotations

import re
from datetime import date
from typing import Protocol

from rdflib import RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.terms import Row, day, integer, text
from loaders.core.vocab import LANGUAGE, S3
from loaders.map.curated.passages import LANGUAGE_TAGS
from loaders.map.curated.reader import Node

EMERGING_FIELDS = {"id", "name", "description", "priority"}
DOCUMENT_FIELDS = {"url", "title", "date", "publisher"}
LANGUAGES = {tag: code for code, tag in LANGUAGE_TAGS.items()}  # the strategy's two letters → the EU language table
WEB = re.compile(r"^https?://\S+$")


class Mapper(Protocol):
    """What these parts need of the strategy mapper (loaders.map.strategies.mapper)."""

    minter: IriMinter
    display: str
    origins: dict[URIRef, Origin]

    def fail(self, node: Node | None, field: str, message: str, fix: str, record: str | None = None) -> None: ...

    def labels(self, out: Row, subject: URIRef, node: Node | None, field: str, language: str, record: str) -> None: ...

    def entry(self, node: Node, what: str, allowed: set[str]) -> tuple[dict[str, Node], str | None]: ...


def _fields(node: Node) -> dict[str, Node]:
    return node.data if isinstance(node.data, dict) else {}


def emerging_topics(
    mapper: Mapper, out: Row, node: Node | None, scheme: URIRef, language: str, priorities: set[str], sources: list[URIRef]
) -> None:
    """Each emerging topic an s3:EmergingTopic in the strategy's scheme, in the file's order, under
    the priority domain it names (`priority:`), if any."""
    if node is None:
        return
    if not isinstance(node.data, list):
        mapper.fail(node, "emerging", "must be a list of topics.", "write `emerging:` as a list of {id, name}.")
        return
    for position, item in enumerate(node.data, start=1):
        fields, ident = mapper.entry(item, "emerging topic", EMERGING_FIELDS)
        if ident is None:
            continue
        topic = URIRef(f"{scheme}/emerging/{ident}")
        mapper.origins[topic] = Origin(mapper.display, item.line, ident)
        out.add(topic, RDF.type, S3.EmergingTopic)
        out.add(topic, RDF.type, SKOS.Concept)
        out.add(topic, SKOS.inScheme, scheme)
        out.add(topic, S3.strategy, scheme)
        out.add(topic, SDO.position, integer(position))
        mapper.labels(out, topic, fields.get("name"), "name", language, ident)
        for lang, value in _texts(fields.get("description")).items():
            out.add(topic, SKOS.definition, text(value, lang))
        under = fields.get("priority")
        if under is not None:
            if isinstance(under.data, str) and under.data.strip() in priorities:
                out.add(topic, SKOS.broader, URIRef(f"{scheme}/priority/{under.data.strip()}"))
            else:
                known = ", ".join(sorted(priorities)) or "none"
                mapper.fail(under, "priority", f"no priority '{under.data}' in this strategy.", f"name one of: {known}.", ident)
        for source in sources:
            out.add(topic, DCTERMS.source, source)


def cited_document(mapper: Mapper, out: Row, node: Node | None, ident: str, language: str) -> URIRef | None:
    """The document the strategy is published in, as a source document of its own (address,
    title, date, publisher), for a strategy whose text is not a file of data/."""
    if node is None:
        return None
    fields = _fields(node)
    for key in set(fields) - DOCUMENT_FIELDS:
        mapper.fail(fields[key], key, f"unknown field '{key}'.", f"use only: {', '.join(sorted(DOCUMENT_FIELDS))}.", ident)
    url = fields.get("url")
    if url is None or not isinstance(url.data, str) or not WEB.match(url.data.strip()):
        mapper.fail(url or node, "document", "the document needs its web address.", "give `url: https://…`.", ident)
        return None
    if language not in LANGUAGES:
        fix = f"use one of the EU's languages: {', '.join(sorted(LANGUAGES))}."
        mapper.fail(node, "language", f"'{language}' is not an official EU language.", fix, ident)
        return None
    document = mapper.minter.entity("source", f"strategy-{ident}-document")
    mapper.origins[document] = Origin(mapper.display, node.line, ident)
    out.add(document, RDF.type, S3.SourceDocument)
    out.add(document, SDO.url, URIRef(url.data.strip()))
    out.add(document, DCTERMS.language, LANGUAGE[LANGUAGES[language]])
    titles = _texts(fields.get("title"))
    if not titles:
        mapper.fail(fields.get("title") or node, "title", "the document needs its title.", "give `title: {xx: …}`.", ident)
    for lang, value in titles.items():
        out.add(document, RDFS.label, text(value, lang))
    issued = fields.get("date")
    if issued is not None:
        try:
            out.add(document, DCTERMS.issued, day(date.fromisoformat(str(issued.data).strip())))
        except ValueError:
            mapper.fail(issued, "date", f"{issued.data!r} is not a date.", "write it as YYYY-MM-DD.", ident)
    publisher = fields.get("publisher")
    if publisher is not None and isinstance(publisher.data, str) and publisher.data.strip():
        out.add(document, DCTERMS.publisher, text(publisher.data.strip(), language))
    return document


def _texts(node: Node | None) -> dict[str, str]:
    if node is None or not isinstance(node.data, dict):
        return {}
    return {k: v.data.strip() for k, v in node.data.items() if isinstance(v.data, str) and v.data.strip()}
