"""Mapping a strategy file's fields to its strategy and priority domains (an s3:Strategy concept
scheme in its NUTS region, s3:S3Domain concepts in it), each field checked, every mistake named
with its line."""

from __future__ import annotations

import re

from rdflib import RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, is_valid_id
from loaders.core.origins import Origin
from loaders.core.terms import Row, integer, plain, text
from loaders.core.vocab import NACE, NUTS, S3
from loaders.map.curated.reader import Node
from loaders.map.reference.nace import NaceItem, NaceTable, UnknownNace
from loaders.map.reference.nuts import NutsTable
from loaders.map.reference.objectives import ObjectiveConcepts, objective_code
from loaders.map.reference.science import UnknownCode, ford, nabs
from loaders.map.strategies.topics import cited_document, emerging_topics

NACE_SOURCE = "nace-rev2"  # the source-document record of data/reference/nace-rev2.csv
NACE_LABELS_SOURCE = "nace-rev2-labels"  # … and of nace-rev2-labels.csv (German, French, Italian)
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
STRATEGY_FIELDS = {"id", "region", "language", "period", "title", "description", "url", "source", "document", "objectives",
                   "priorities", "emerging", "passages"}  # fmt: skip
PRIORITY_FIELDS = {"id", "name", "description", "nace", "science_fields", "nabs", "objectives", "matches"}


class _Problems(list[SourceProblem]):
    def add(self, file: str, node: Node | None, field: str, message: str, fix: str, record: str | None = None) -> None:
        self.append(SourceProblem(file, message, line=node.line if node else None, record=record, field=field, fix=fix))


def _texts(node: Node | None) -> dict[str, str] | None:
    """{lang: text} of a mapping node, or None when it is not one."""
    if node is None or not isinstance(node.data, dict):
        return None
    found = {k: v.data for k, v in node.data.items() if isinstance(v.data, str) and v.data.strip()}
    return found if len(found) == len(node.data) and all(LANGUAGE.match(k) for k in found) else None


def strings(node: Node | None) -> list[tuple[str, Node]]:
    if node is None:
        return []
    items = node.data if isinstance(node.data, list) else [node]
    return [(item.data.strip(), item) for item in items if isinstance(item.data, str)]


class StrategyMapper:
    def __init__(self, display: str, minter: IriMinter, regions: NutsTable, known: set[URIRef]):
        self.display, self.minter, self.regions, self.known = display, minter, regions, known
        self.problems = _Problems()
        self.origins: dict[URIRef, Origin] = {}  # the strategy and its priorities: where the file states them
        self.nace = NaceTable.read()

    def describe_nace(self, out: Row, sector: NaceItem) -> None:
        """The NACE Rev. 2 concepts a priority names, and the broader ones up to its section, with
        their labels in English (data/reference/nace-rev2.csv), German, French and Italian
        (nace-rev2-labels.csv), so that their IRIs read as names."""
        scheme, source = NACE["nace2"], self.minter.entity("source", NACE_SOURCE)
        labelled = self.minter.entity("source", NACE_LABELS_SOURCE)
        if out.first(scheme):
            out.add(scheme, RDF.type, SKOS.ConceptScheme)
            out.add(scheme, RDFS.label, text("NACE Rev. 2", "en"))
            out.add(scheme, SKOS.prefLabel, text("NACE Rev. 2", "en"))
            out.add(scheme, DCTERMS.source, source)
        for item in self.nace.chain(sector):
            if not out.first(item.iri):
                break  # described already, with its broader ones
            out.add(item.iri, RDF.type, SKOS.Concept)
            out.add(item.iri, SKOS.prefLabel, text(item.label, "en"))
            for language, label in item.labels:
                out.add(item.iri, SKOS.prefLabel, text(label, language))
            if item.labels:
                out.add(item.iri, DCTERMS.source, labelled)
            out.add(item.iri, SKOS.notation, plain(item.code))
            out.add(item.iri, SKOS.inScheme, scheme)
            out.add(item.iri, DCTERMS.source, source)
            if item.parent:
                out.add(item.iri, SKOS.broader, self.nace.items[item.parent].iri)

    def objectives(self, out: Row, subject: URIRef, node: Node | None, objectives: ObjectiveConcepts, record: str) -> None:
        """The 2021-2027 objectives a priority (or a whole strategy) is meant to be funded under."""
        for value, item in strings(node):
            code = objective_code(value)
            if code in objectives.objectives.codes:
                out.add(subject, S3.targetsObjective, objectives.concept(out, code))
            else:
                self.fail(
                    item, "objectives", f"{value!r} is not a 2021-2027 objective code.", "write e.g. RSO1.1 or PO1.", record
                )

    def entry(self, node: Node, what: str, allowed: set[str]) -> tuple[dict[str, Node], str | None]:
        """The fields of a listed entry (a priority, an emerging topic) and its id, or None as the
        id when it has no valid one; every field it should not have is named."""
        fields = node.data if isinstance(node.data, dict) else {}
        ident = fields["id"].data if "id" in fields and isinstance(fields["id"].data, str) else None
        if not ident or not is_valid_id(ident):
            self.fail(node, "id", f"each {what} needs an id of letters, digits and dashes.", "add `id: …` to it.")
            return fields, None
        for key in set(fields) - allowed:
            self.fail(fields[key], key, f"unknown field '{key}'.", f"use only: {', '.join(sorted(allowed))}.", ident)
        return fields, ident

    def fail(self, node: Node | None, field: str, message: str, fix: str, record: str | None = None) -> None:
        self.problems.add(self.display, node, field, message, fix, record)

    def labels(self, out: Row, subject: URIRef, node: Node | None, field: str, language: str, record: str) -> None:
        texts = _texts(node)
        if texts is None or language not in texts:
            self.fail(
                node,
                field,
                f"needs the {field} in the strategy's language ({language}); other languages, English too, are optional.",
                f"write it as {{{language}: …}} (or {{{language}: …, en: …}}).",
                record,
            )
            return
        for lang, value in texts.items():
            out.add(subject, RDFS.label, text(value, lang))
            out.add(subject, SKOS.prefLabel, text(value, lang))

    def strategy(self, out: Row, top: Node, objectives: ObjectiveConcepts, file_source: URIRef) -> None:
        fields = top.data if isinstance(top.data, dict) else {}
        if not fields:
            self.fail(
                top,
                "strategy",
                "must be a mapping with region, language, title and priorities.",
                "see docs/strategies.md for the layout.",
            )
            return
        for key in set(fields) - STRATEGY_FIELDS:
            self.fail(fields[key], key, f"unknown field '{key}'.", f"use only: {', '.join(sorted(STRATEGY_FIELDS))}.")
        ident = fields["id"].data if "id" in fields and isinstance(fields["id"].data, str) else None
        if not ident or not is_valid_id(ident):
            self.fail(
                fields.get("id", top),
                "id",
                "a strategy needs an id of letters, digits and dashes.",
                "add e.g. `id: flanders-2021-2027`.",
            )
            return
        region = fields["region"].data if "region" in fields else None
        if not isinstance(region, str) or region not in self.regions:
            self.fail(
                fields.get("region", top),
                "region",
                f"{region!r} is not a NUTS 2021 code.",
                "give the region's NUTS code, e.g. BE2 for Flanders, or the country's two letters.",
                ident,
            )
            return
        language = fields["language"].data if "language" in fields else None
        if not isinstance(language, str) or not LANGUAGE.match(language):
            self.fail(
                fields.get("language", top),
                "language",
                "the strategy's language is missing or not a code.",
                "give its two-letter code, e.g. `language: nl`.",
                ident,
            )
            return
        scheme = self.minter.entity("strategy", ident)
        self.origins[scheme] = Origin(self.display, top.line, ident)
        sources = [file_source, *self.sources(fields.get("source"), ident)]
        document = cited_document(self, out, fields.get("document"), ident, language)
        sources += [document] if document is not None else []
        out.add(scheme, RDF.type, S3.Strategy)
        out.add(scheme, RDF.type, SKOS.ConceptScheme)
        out.add(scheme, S3.region, NUTS[region])
        self.labels(out, scheme, fields.get("title"), "title", language, ident)
        for lang, value in (_texts(fields.get("description")) or {}).items():
            out.add(scheme, DCTERMS.description, text(value, lang))
        for period, _ in strings(fields.get("period")):
            out.add(scheme, S3.programmingPeriod, self.minter.entity("concept", "programming-periods", period))
        for url, node in strings(fields.get("url")):
            if not url.startswith(("http://", "https://")):
                self.fail(node, "url", f"{url!r} is not a web address.", "give the strategy's http(s) address.", ident)
            else:
                out.add(scheme, SDO.url, URIRef(url))
        for source in sources:
            out.add(scheme, DCTERMS.source, source)
        self.objectives(out, scheme, fields.get("objectives"), objectives, ident)  # for all its priorities
        priorities = fields.get("priorities")
        if priorities is None or not isinstance(priorities.data, list) or not priorities.data:
            self.fail(
                priorities or top,
                "priorities",
                "a strategy needs at least one priority domain.",
                "list them under `priorities:`.",
                ident,
            )
            return
        named = [self.priority(out, item, scheme, language, sources, objectives, n) for n, item in enumerate(priorities.data, 1)]
        emerging_topics(self, out, fields.get("emerging"), scheme, language, {i for i in named if i}, sources)

    def sources(self, node: Node | None, record: str) -> list[URIRef]:
        found = []
        for ident, item in strings(node):
            iri = self.minter.entity("source", ident)
            if iri not in self.known:
                self.fail(
                    item,
                    "source",
                    f"no source document '{ident}' is known.",
                    "name a source-document record of data/curated/sources.yaml.",
                    record,
                )
            found.append(iri)
        return found

    def priority(
        self,
        out: Row,
        node: Node,
        scheme: URIRef,
        language: str,
        sources: list[URIRef],
        objectives: ObjectiveConcepts,
        position: int,
    ) -> str | None:
        """The priority domain at `position` in the file (its id, or None when it has none)."""
        fields, ident = self.entry(node, "priority", PRIORITY_FIELDS)
        if ident is None:
            return None
        concept = URIRef(f"{scheme}/priority/{ident}")
        self.origins[concept] = Origin(self.display, node.line, ident)
        out.add(concept, RDF.type, S3.S3Domain)
        out.add(concept, RDF.type, SKOS.Concept)
        out.add(concept, SKOS.inScheme, scheme)
        out.add(concept, SDO.position, integer(position))  # the order the strategy gives its domains
        out.add(scheme, SKOS.hasTopConcept, concept)
        out.add(concept, S3.strategy, scheme)
        self.labels(out, concept, fields.get("name"), "name", language, ident)
        for lang, value in (_texts(fields.get("description")) or {}).items():
            out.add(concept, SKOS.definition, text(value, lang))
        for code, item in strings(fields.get("nace")):
            try:
                sector = self.nace.resolve(code)
            except UnknownNace as error:
                nearest = f" Nearest: {'; '.join(error.nearest)}." if error.nearest else ""
                fix = "write a code of data/reference/nace-rev2.csv, with or without its section letter (C13, C14.1, 14.13)."
                self.fail(item, "nace", f"{error}.{nearest}", fix, ident)
                continue
            out.add(concept, S3.naceSector, sector.iri)
            self.describe_nace(out, sector)
        for name, predicate, table, example in (
            ("science_fields", S3.scienceField, ford(), "'2.5' (materials engineering) of data/reference/ford.csv"),
            ("nabs", S3.socioEconomicObjective, nabs(), "'7' (health) or '12.3' of data/reference/nabs-2007.csv"),
        ):
            for code, item in strings(fields.get(name)):
                try:
                    out.add(concept, predicate, plain(table.resolve(code)))
                except UnknownCode as error:
                    fix = f"write a code such as {example}, quoted."
                    self.fail(item, name, f"{error}. Nearest: {'; '.join(error.nearest)}.", fix, ident)
        self.objectives(out, concept, fields.get("objectives"), objectives, ident)
        for target, item in strings(fields.get("matches")):
            iri = self.minter.entity("concept", *target.split("/", 1)) if "/" in target else None
            if iri is None or iri not in self.known:
                self.fail(
                    item,
                    "matches",
                    f"no concept '{target}' is known.",
                    "name a curated concept as scheme/id, e.g. gotos3-domains/textiles.",
                    ident,
                )
            else:
                out.add(concept, SKOS.exactMatch, iri)
        for source in sources:
            out.add(concept, DCTERMS.source, source)
        return ident
