"""Maps curated records to RDF by interpreting the field table in `schema.py`.

Two passes: `index` gives every record its IRI and classes (so references can be
checked across files), then `map_records` converts each field. Every problem is
collected with its file, line, record and field; nothing is raised half-way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SDO, SKOS
from rdflib.term import Node as Term

from loaders.core.errors import SourceProblem
from loaders.core.iris import is_valid_id, slug
from loaders.core.provenance import sha256_of
from loaders.core.terms import canonical_decimal
from loaders.core.vocab import COUNTRY, CURRENCY, LANGUAGE, NUTS, S3
from loaders.map.curated.passages import About, Sources, check_passages, needed, statement_groups
from loaders.map.curated.reader import Node, Record
from loaders.map.curated.registry import Context, Entry, Registry, problem, text_of
from loaders.map.curated.schema import Field, Kind, RecordType

LANG_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
CURRENCIES = frozenset(["EUR", "PLN", "SEK", "DKK", "CZK", "HUF", "RON", "BGN", "CHF", "NOK", "GBP", "ISK", "USD"])


class _RecordMapper:
    """Maps the fields of one record (and its sub-records) into a graph."""

    def __init__(self, ctx: Context, registry: Registry, graph: Graph, problems: list[SourceProblem], rec: Record):
        self.ctx, self.registry, self.graph, self.problems, self.rec = ctx, registry, graph, problems, rec

    def fail(self, node: Node | None, field: Field, message: str, fix: str) -> None:
        self.problems.append(problem(self.rec, node, field.name, message, fix))

    # -- entry point -------------------------------------------------------------
    def map(
        self,
        subject: URIRef,
        rtype: RecordType,
        classes: Iterable[URIRef],
        fields: dict[str, Node],
        sources: list[Term],
        per_field: dict[str, Graph] | None = None,
    ) -> None:
        """Map the record's fields; with `per_field`, each field's statements go into a graph of
        their own there (so that passages can say which statements they support)."""
        for cls in classes:
            self.graph.add((subject, RDF.type, cls))
        known = {f.name for f in rtype.fields}
        for name, node in fields.items():
            if name not in known:
                self.problems.append(
                    problem(
                        self.rec, node, name, f"unknown field for a {rtype.name}.", f"use one of: {', '.join(sorted(known))}."
                    )
                )
        for f in rtype.fields:
            value = fields.get(f.name)
            if value is None:
                if f.required:
                    self.fail(None, f, f"a {rtype.name} needs the field '{f.name}'.", f"add '{f.name}: ...' to the record.")
                continue
            items = value.data if f.many and isinstance(value.data, list) else [value]
            whole = self.graph
            if per_field is not None:
                self.graph = per_field.setdefault(f.name, Graph())
            for index, item in enumerate(items, start=1):
                self.map_value(subject, rtype, f, item, index, sources)
            self.graph = whole
        for source in sources:
            self.graph.add((subject, DCTERMS.source, source))

    def add(self, subject: URIRef, field: Field, value: Term) -> None:
        assert field.predicate is not None
        if field.inverse:
            self.graph.add((value, field.predicate, subject))
        else:
            self.graph.add((subject, field.predicate, value))

    def map_value(self, subject: URIRef, rtype: RecordType, f: Field, node: Node, index: int, sources: list[Term]) -> None:
        if f.kind in (Kind.CLASS, Kind.MEMBER_CLASS, Kind.PASSAGES) or f.name in ("id", "type", "source"):
            return  # handled by index() or by map()
        if f.name == "label":
            for literal in self.langtext(node, f):
                for predicate in rtype.label_predicates:
                    self.graph.add((subject, predicate, literal))
            return
        handler = self.HANDLERS[f.kind]
        for value in handler(self, subject, f, node, index, sources):
            self.add(subject, f, value)

    # -- one converter per kind: each returns the values to attach ---------------
    def langtext(self, node: Node, f: Field, *_: object) -> list[Term]:
        if not isinstance(node.data, dict):
            self.fail(node, f, "expects texts by language, like {en: ..., nl: ...}.", "write '{en: \"...\"}'.")
            return []
        values: list[Term] = []
        for lang, text_node in node.data.items():
            text = text_of(text_node)
            if not LANG_TAG.match(lang):
                self.fail(
                    text_node, f, f"'{lang}' is not a language tag.", "use a lower-case BCP 47 tag such as en, nl, fr, sv, pl."
                )
            elif not text or not text.strip():
                self.fail(text_node, f, f"the {lang} text is empty.", "write the text or remove the language.")
            else:
                values.append(Literal(text.strip(), lang=lang))
        return values

    def langtext_list(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        if not isinstance(node.data, list):
            self.fail(node, f, "expects a list of texts by language.", "write '- {en: \"...\"}' items.")
            return []
        return [value for item in node.data for value in self.langtext(item, f)]

    def scalar(self, node: Node, f: Field, what: str) -> str | None:
        text = text_of(node)
        if text is None:
            self.fail(
                node, f, f"expects {what}, found a {'list' if isinstance(node.data, list) else 'mapping'}.", f"write {what}."
            )
        return text

    def text(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        text = self.scalar(node, f, "a text")
        if text is not None and f.name == "cci":
            if self.ctx.cci_codes is not None and text not in self.ctx.cci_codes:
                self.fail(
                    node,
                    f,
                    f"unknown CCI code '{text}'.",
                    "use a code of data/reference/cci_codes_2014-2020.csv or programmes-2021-2027.csv.",
                )
                return []
            if text != self.rec.id:
                self.fail(
                    node,
                    f,
                    f"a programme with CCI code '{text}' must have it as its id, not '{self.rec.id}'.",
                    f"set 'id: {text}'.",
                )
        return [Literal(text)] if text is not None else []

    def integer(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        text = self.scalar(node, f, "a whole number")
        if text is None:
            return []
        if not text.isdigit():
            self.fail(node, f, f"'{text}' is not a non-negative whole number.", "write digits only, e.g. 17.")
            return []
        return [Literal(int(text), datatype=XSD.integer)]

    def boolean(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        text = self.scalar(node, f, "true or false")
        if text not in ("true", "false"):
            if text is not None:
                self.fail(node, f, f"'{text}' is not true or false.", "write true or false.")
            return []
        return [Literal(text == "true")]

    def date_value(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        text = self.scalar(node, f, "a date")
        if text is None:
            return []
        try:
            return [Literal(date.fromisoformat(text), datatype=XSD.date)]
        except ValueError:
            self.fail(node, f, f"'{text}' is not a date.", "write the date as YYYY-MM-DD, e.g. 2021-04-01.")
            return []

    def iri(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        text = self.scalar(node, f, "an IRI")
        if text is None:
            return []
        if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", text):
            self.fail(node, f, f"'{text}' is not an http(s) IRI.", "write a full IRI starting with http:// or https://.")
            return []
        return [URIRef(text)]

    def reference(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        text = self.scalar(node, f, "an id")
        assert f.target is not None
        if text is None:
            return []
        entry = self.registry.get((f.target, text))
        if entry is None and f.target == "programme" and text in (self.ctx.cci_codes or ()):
            return [self.ctx.minter.entity("programme", text)]  # a programme known from the CCI table
        if entry is None:
            self.fail(node, f, f"no {f.target} has the id '{text}'.", f"use the id of a {f.target} record, or add one.")
            return []
        if f.must_be is not None and f.must_be not in entry.classes:
            self.fail(node, f, f"'{text}' is not a {f.must_be.fragment}.", f"refer to a {f.must_be.fragment}.")
            return []
        return [entry.iri]

    def scheme(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        values = self.reference(subject, f, node)
        for scheme in values:
            self.graph.add((scheme, SKOS.hasTopConcept, subject))
        return values

    def listed_code(self, node: Node, f: Field, what: str, known: frozenset[str], unknown: str, fix: str) -> str | None:
        """A code that must be one of a reference table's (`unknown` names the problem, {code} in it)."""
        code = self.scalar(node, f, what)
        if code is not None and code not in known:
            self.fail(node, f, unknown.format(code=code), fix)
            return None
        return code

    def country(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        code = self.listed_code(node, f, "a country code", self.ctx.countries, "unknown country code '{code}'.",
                                "use the three-letter code of the EU country table, e.g. POL, BEL, FRA.")  # fmt: skip
        return [COUNTRY[code]] if code else []

    def region(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        code = self.listed_code(
            node, f, "a NUTS code", self.ctx.regions, "'{code}' is not a NUTS code of data/reference/nuts-2021.csv.",
            "use a NUTS code such as BE2 (Flanders) or FRE (Hauts-de-France); a country is its two letters, e.g. SE.",
        )  # fmt: skip
        return [NUTS[code]] if code else []

    def language(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        code = self.scalar(node, f, "a language code")
        if code is None or not re.match(r"^[A-Z]{3}$", code):
            self.fail(
                node,
                f,
                f"'{code}' is not an EU language code.",
                "use the three-letter code of the EU language table, e.g. ENG, NLD.",
            )
            return []
        return [LANGUAGE[code]]

    def file(self, subject: URIRef, f: Field, node: Node, *_: object) -> list[Term]:
        name = self.scalar(node, f, "a path under data/")
        path = self.ctx.data_dir / (name or "")
        if name is None or not path.is_file():
            self.fail(node, f, f"the file '{name}' does not exist under {self.ctx.data_dir}.", "give a path relative to data/.")
            return []
        self.graph.add((subject, S3.fileName, Literal(name)))
        self.graph.add((subject, S3.sha256, Literal(sha256_of(path), datatype=XSD.hexBinary)))
        return []

    def amount(self, subject: URIRef, f: Field, node: Node, index: int, sources: list[Term]) -> list[Term]:
        if not isinstance(node.data, dict):
            self.fail(node, f, "expects {amount: ..., currency: ...}.", "write e.g. '{amount: 2500000, currency: EUR}'.")
            return []
        amount, currency = text_of(node.data.get("amount")), text_of(node.data.get("currency"))
        approximate = text_of(node.data.get("approximate")) or "false"
        unknown = set(node.data) - {"amount", "currency", "approximate"}
        try:
            value = Decimal(amount or "")
        except InvalidOperation:
            self.fail(
                node, f, f"amount '{amount}' is not a number.", "write the amount with digits and an optional '.' for decimals."
            )
            return []
        if currency not in CURRENCIES:
            self.fail(node, f, f"unknown currency '{currency}'.", f"use one of: {', '.join(sorted(CURRENCIES))}.")
            return []
        if approximate not in ("true", "false") or unknown:
            self.fail(
                node,
                f,
                "approximate must be true or false, and no other keys are allowed.",
                "keep amount, currency, approximate.",
            )
            return []
        money = URIRef(f"{subject}/{f.name.replace('_', '-')}")
        self.graph.add((money, RDF.type, S3.MonetaryAmount))
        self.graph.add((money, SDO.value, Literal(canonical_decimal(value), datatype=XSD.decimal)))
        self.graph.add((money, S3.currency, CURRENCY[currency]))
        self.graph.add((money, S3.isApproximate, Literal(approximate == "true")))
        return [money]

    def persons(self, subject: URIRef, f: Field, node: Node, index: int, sources: list[Term]) -> list[Term]:
        name = self.scalar(node, f, "a person's name")
        if not name:
            return []
        person = self.ctx.minter.entity("person", slug(name))
        self.graph.add((person, RDF.type, S3.Person))
        self.graph.add((person, SDO.name, Literal(name)))
        for source in sources:
            self.graph.add((person, DCTERMS.source, source))
        return [person]

    def sub_record(self, subject: URIRef, f: Field, node: Node, index: int, sources: list[Term]) -> list[Term]:
        sub = f.sub
        assert sub is not None
        if sub.shorthand is not None and not (isinstance(node.data, dict) and sub.shorthand in node.data):
            fields = {sub.shorthand: node}
        elif isinstance(node.data, dict):
            fields = node.data
        else:
            self.fail(node, f, f"expects a mapping for each {sub.name}.", "write 'field: value' pairs.")
            return []
        key = text_of(fields.get(f.key)) if f.key else str(index)
        if key is None or not is_valid_id(key):
            self.fail(node, f, f"{f.key} is missing.", f"give the {sub.name} its {f.key}.")
            return []
        child = URIRef(f"{subject}/{sub.collection}/{key}")
        if not f.key:  # positional sub-records keep their order
            self.graph.add((child, SDO.position, Literal(index)))
        self.map(child, sub, sub.classes, fields, sources)
        return [child]

    HANDLERS: ClassVar[dict[Kind, Callable[..., list[Term]]]] = {
        Kind.TEXT: text,
        Kind.LANGTEXT: lambda self, subject, f, node, *rest: self.langtext(node, f),
        Kind.LANGTEXT_LIST: langtext_list,
        Kind.INT: integer,
        Kind.BOOL: boolean,
        Kind.DATE: date_value,
        Kind.IRI: iri,
        Kind.REF: reference,
        Kind.SCHEME: scheme,
        Kind.COUNTRY: country,
        Kind.REGION: region,
        Kind.LANGUAGE: language,
        Kind.FILE: file,
        Kind.AMOUNT: amount,
        Kind.PERSONS: persons,
        Kind.SUB: sub_record,
    }


def map_record(
    entry: Entry, ctx: Context, registry: Registry, graph: Graph, problems: list[SourceProblem], documents: Sources
) -> dict[URIRef, Graph]:
    """Map one record into `graph`; returns the statement groups of its passages (graph IRI → statements)."""
    rec = entry.record
    mapper = _RecordMapper(ctx, registry, graph, problems, rec)
    sources: list[Term] = []
    cited: list[str] = []
    source_field = entry.rtype.field("source")
    source_node = rec.fields.get("source")
    if source_field is not None and source_node is not None:
        items = source_node.data if isinstance(source_node.data, list) else [source_node]
        for item in items:
            found = mapper.reference(entry.iri, source_field, item)
            sources.extend(found)
            cited.extend(text_of(item) or "" for _ in found)
    if not entry.rtype.needs_source:
        mapper.map(entry.iri, entry.rtype, entry.classes, rec.fields, sources)
        return {}
    field_graphs: dict[str, Graph] = {}
    mapper.map(entry.iri, entry.rtype, entry.classes, rec.fields, sources, field_graphs)
    about = About(entry.rtype.name, rec, entry.iri)
    statements = needed(field_graphs)
    passages = check_passages(about, statements, cited, documents, problems)
    for name, field_graph in field_graphs.items():
        _cite_quoted(field_graph, {p.source.iri for p in passages if any(n == name for n, _ in p.fields)})
        graph += field_graph
    return statement_groups(about, statements, passages, ctx.minter, graph)


def _cite_quoted(statements: Graph, documents: set[URIRef]) -> None:
    """The nodes a field makes (a participation, a person) cite the documents its passages quote,
    not every document of the record."""
    for node in set(statements.subjects(DCTERMS.source, None)):
        statements.remove((node, DCTERMS.source, None))
        for document in documents:
            statements.add((node, DCTERMS.source, document))
