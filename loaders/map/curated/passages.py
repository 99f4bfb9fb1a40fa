"""Every curated statement with the passage of its source document that states it.

A record that cites sources lists its `passages`: each names the document (`source`, optional
when the record cites one), the words (`quote`, or `from` and `to` for a long passage), the
fields they support (`fields: [description, aim@pl]`), and whether the values are `stated`
(the default), `translated` or `inferred` by the editors (`reason` then says why). Values in
another language than the document's, under a stated passage, are translated by definition and
are recorded so (unless the passage names the language: `label@en` in a Polish text that gives
the English name). A `note` is the editors' own remark and needs no passage.

At build, every quote is looked up in the document's file (verbatim, or past typographic
differences: see `loaders.core.quotes`), and the passage is recorded with the document's exact
characters, their RFC 5147 positions and the file's SHA-256. Every statement of the record
(bar its types and citations) must be supported by a passage, and every cited document must
be quoted: a build with a statement, a citation or a quote that fails this stops, naming the
record and the field.

In RDF, the statements one passage supports are a named graph (a statement group), described
with PROV-O (`prov:wasDerivedFrom` the passage) and the W3C Web Annotation model (the passage
is an `oa:SpecificResource` of the document with a TextQuoteSelector and a TextPositionSelector).
See ontology/README.md for why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node as Term

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter
from loaders.core.provenance import sha256_of
from loaders.core.quotes import Document, Span
from loaders.core.vocab import OA, S3
from loaders.map.curated.reader import Node, Record
from loaders.map.curated.registry import Context, Registry, problem, text_of

STATUSES = {"stated": S3.Stated, "translated": S3.Translated, "inferred": S3.Inferred}
KEYS = frozenset(["source", "quote", "from", "to", "at", "fields", "status", "reason"])
# EU language codes (as source documents give them) → the language tags of the values
LANGUAGE_TAGS = {
    "BUL": "bg", "CES": "cs", "DAN": "da", "DEU": "de", "ELL": "el", "ENG": "en", "EST": "et", "FIN": "fi",
    "FRA": "fr", "GLE": "ga", "HRV": "hr", "HUN": "hu", "ITA": "it", "LAV": "lv", "LIT": "lt", "MLT": "mt",
    "NLD": "nl", "POL": "pl", "POR": "pt", "RON": "ro", "SLK": "sk", "SLV": "sl", "SPA": "es", "SWE": "sv",
}  # fmt: skip

EDITORIAL = frozenset(["note"])  # the editors' own remarks (skos:note), theirs by definition
FieldKey = tuple[str, str | None]  # (field, language of its values, or None for all of them)
Triple = tuple[Term, Term, Term]
Statements = dict[FieldKey, list[Triple]]  # what needs a passage, by field and language


@dataclass(frozen=True)
class Source:
    """A cited document, read once per build."""

    ident: str
    iri: URIRef
    name: str  # the file, as under data/
    document: Document
    sha256: str
    language: str | None  # the language tag of its text


@dataclass
class Sources:
    """The source documents of the curated records, read when first quoted."""

    ctx: Context
    registry: Registry
    read: dict[str, Source | None] = field(default_factory=dict)

    def get(self, ident: str) -> Source | None:
        if ident not in self.read:
            self.read[ident] = self._open(ident)
        return self.read[ident]

    def _open(self, ident: str) -> Source | None:
        entry = self.registry.get(("source-document", ident))
        name = text_of(entry.record.fields.get("file")) if entry else None
        path = self.ctx.data_dir / name if name else None
        if entry is None or name is None or path is None or not path.is_file():
            return None
        try:
            document = Document.read(path)
        except UnicodeDecodeError:
            return None
        language = LANGUAGE_TAGS.get(text_of(entry.record.fields.get("language")) or "")
        return Source(ident, entry.iri, name, document, sha256_of(path), language)


@dataclass(frozen=True)
class About:
    """What passages support: a curated record, or a strategy file (whose passages support it whole)."""

    kind: str  # the record type, or "strategy"
    record: Record
    iri: URIRef
    whole: str | None = None  # the one field name passages support when they name none


@dataclass(frozen=True)
class Passage:
    """One checked passage of a record: where it is, what it supports, and how."""

    source: Source
    span: Span
    fields: tuple[FieldKey, ...]
    status: str
    reason: tuple[Literal, ...]


def _language(triple: Triple) -> str | None:
    obj = triple[2]
    return obj.language if isinstance(obj, Literal) else None


def needed(field_graphs: dict[str, Graph]) -> Statements:
    """The statements of a record that need a passage, by field and language."""
    keys: dict[FieldKey, list[Triple]] = {}
    for name, graph in field_graphs.items():
        if name in EDITORIAL:
            continue
        for triple in graph:
            if triple[1] != DCTERMS.source:  # a citation follows from the passages, it is not a statement
                keys.setdefault((name, _language(triple)), []).append(triple)
    return keys


class _Checker:
    """Reads and checks the passages of one record, collecting problems."""

    def __init__(self, about: About, sources: Sources, cited: list[str], problems: list[SourceProblem]):
        self.rec: Record = about.record
        self.whole = about.whole
        self.sources, self.cited, self.problems = sources, cited, problems

    def fail(self, node: Node | None, message: str, fix: str) -> None:
        self.problems.append(problem(self.rec, node, "passages", message, fix))

    def passages(self, node: Node, present: set[FieldKey]) -> list[Passage]:
        if not isinstance(node.data, list):
            self.fail(node, "expects a list of passages.", "write '- {quote: \"...\", fields: [...]}' items.")
            return []
        return [p for item in node.data if (p := self.passage(item, present)) is not None]

    def passage(self, node: Node, present: set[FieldKey]) -> Passage | None:
        if not isinstance(node.data, dict):
            self.fail(node, "a passage must be a mapping.", "write '{quote: \"...\", fields: [...]}'.")
            return None
        data = node.data
        unknown = sorted(set(data) - KEYS)
        if unknown:
            self.fail(node, f"unknown key(s) {', '.join(unknown)} in a passage.", f"use: {', '.join(sorted(KEYS))}.")
            return None
        source = self.source(node, text_of(data.get("source")))
        status = text_of(data.get("status")) or "stated"
        if status not in STATUSES:
            self.fail(node, f"unknown status '{status}'.", f"use one of: {', '.join(STATUSES)}.")
            return None
        reason = self.reason(node, data.get("reason"), status)
        fields = self.fields(node, data.get("fields"), present)
        if source is None or fields is None or reason is None:
            return None
        span = self.locate(node, source, data)
        return None if span is None else Passage(source, span, fields, status, reason)

    def source(self, node: Node, ident: str | None) -> Source | None:
        if ident is None:
            if len(self.cited) != 1:
                several = "several" if self.cited else "none that exists"
                self.fail(node, f"the passage names no source, and the record cites {several}.", "add 'source: <id>'.")
                return None
            ident = self.cited[0]
        if ident not in self.cited:
            self.fail(node, f"the passage quotes '{ident}', which the record does not cite.", f"add {ident} to 'source'.")
            return None
        found = self.sources.get(ident)
        if found is None:
            self.fail(node, f"the source '{ident}' has no readable text file.", "give the source document a UTF-8 'file'.")
        return found

    def reason(self, node: Node, reason: Node | None, status: str) -> tuple[Literal, ...] | None:
        if reason is None:
            if status == "inferred":
                self.fail(node, "an inferred passage needs the editors' reason.", "add 'reason: {en: \"...\"}'.")
                return None
            return ()
        if not isinstance(reason.data, dict) or not all(text_of(v) for v in reason.data.values()):
            self.fail(reason, "a reason is texts by language.", "write 'reason: {en: \"...\"}'.")
            return None
        return tuple(Literal(text_of(v) or "", lang=k) for k, v in reason.data.items())

    def fields(self, node: Node, fields: Node | None, present: set[FieldKey]) -> tuple[FieldKey, ...] | None:
        if fields is None and self.whole is not None:
            return ((self.whole, None),)
        if fields is None or not isinstance(fields.data, list) or not fields.data:
            self.fail(fields or node, "a passage names the fields it supports.", "add 'fields: [description, aim@pl]'.")
            return None
        keys: list[FieldKey] = []
        for item in fields.data:
            name, at, lang = (text_of(item) or "").partition("@")
            key = (name, lang if at else None)
            if not any(name == n and (key[1] is None or key[1] == lang_) for n, lang_ in present):
                have = ", ".join(sorted({n if lang_ is None else f"{n}@{lang_}" for n, lang_ in present}))
                self.fail(item, f"the record has no value for '{text_of(item)}' to support.", f"name one of: {have}.")
                return None
            keys.append(key)
        return tuple(keys)

    def locate(self, node: Node, source: Source, data: dict[str, Node]) -> Span | None:
        quote, start, end = text_of(data.get("quote")), text_of(data.get("from")), text_of(data.get("to"))
        at_text = text_of(data.get("at"))
        if at_text is not None and not at_text.isdigit():
            self.fail(data["at"], f"'at' must be a character position, not '{at_text}'.", "write digits, e.g. at: 120.")
            return None
        at = int(at_text) if at_text is not None else 0
        where = f"{source.ident} ({source.name}, SHA-256 {source.sha256[:12]}…)"
        if at > len(source.document.text):
            self.fail(node, f"'at: {at}' is past the end of {where}, which has {len(source.document.text)} characters.",
                      "give a position inside the document, or leave 'at' out.")  # fmt: skip
            return None
        if (quote is None) == (start is None or end is None):
            self.fail(node, "a passage has either 'quote', or 'from' and 'to'.", "write 'quote: \"...\"'.")
            return None
        first = source.document.find(quote or start or "", at)
        if first is None or (at_text is not None and first.start != at):
            found = source.document.find(quote or start or "")
            said = f"at {found.start}, not at {at}" if found and at_text is not None else f"not in {where}"
            self.fail(node, f"the quote '{_short(quote or start or '')}' is {said}.",
                      "copy the words exactly as the document has them (typographic quotes and spaces may differ).")  # fmt: skip
            return None
        if quote is not None:
            return first
        last = source.document.find(end or "", first.end)
        if last is None:
            self.fail(node, f"'to: {_short(end or '')}' is not in {where} after 'from'.", "copy the closing words exactly.")
            return None
        return Span(first.start, last.end)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def check_passages(
    about: About, statements: Statements, cited: list[str], sources: Sources, problems: list[SourceProblem]
) -> list[Passage]:
    """The record's passages, checked; every statement (see `needed`) supported and every citation quoted."""
    rec = about.record
    node = rec.fields.get("passages")
    checker = _Checker(about, sources, cited, problems)
    passages = checker.passages(node, set(statements)) if node is not None else []
    if node is not None and len(passages) < len(node.data):
        return passages  # the broken passage is reported; what it would support is not reported again
    missing: dict[str, list[str]] = {}
    for name, lang in sorted(statements, key=lambda k: (k[0], k[1] or "")):
        if not any(_covers(p, name, lang) for p in passages):
            missing.setdefault(name, []).append(lang or "")
    if node is None and missing:
        what = "its statements" if about.whole else ", ".join(missing)
        problems.append(problem(rec, None, "passages", f"has no passages: nothing says where {what} come from.",
                                "add 'passages:' with the quotes of the cited documents that state each field."))  # fmt: skip
        return passages
    for name, langs in missing.items():
        what = f"'{name}'" + (f" ({', '.join(langs)})" if any(langs) else "")
        key = ", ".join(name + (f"@{lang}" if lang else "") for lang in langs)
        problems.append(problem(rec, rec.fields.get(name), name, f"the value of {what} has no passage that states it.",
                                f"add a passage with 'fields: [{key}]', or remove the value."))  # fmt: skip
    quoted = {p.source.ident for p in passages}
    for ident in cited:
        if ident not in quoted and sources.get(ident) is not None:
            problems.append(problem(rec, rec.fields.get("source"), "source",
                                    f"cites '{ident}', but no passage quotes it.",
                                    f"add a passage with 'source: {ident}', or remove {ident} from 'source'."))  # fmt: skip
    return passages


def statement_groups(
    about: About, statements: Statements, passages: list[Passage], minter: IriMinter, described: Graph
) -> dict[URIRef, Graph]:
    """One named graph per passage and evidence kind, with its description added to `described`."""
    groups: dict[URIRef, Graph] = {}
    for passage in passages:
        span, source = passage.span, passage.source
        iri = minter.entity("passage", source.ident, f"{span.start}-{span.end}")
        _describe_passage(iri, passage, described)
        for triple, status in _supported(passage, passages, statements):
            group = minter.entity(
                "graph", "statements", about.kind, about.record.id or "", source.ident, f"{span.start}-{span.end}", status
            )
            if group not in groups:
                groups[group] = Graph()
                described.add((group, RDF.type, S3.StatementGroup))
                described.add((group, RDF.type, PROV.Entity))
                described.add((group, DCTERMS.subject, about.iri))
                described.add((group, PROV.wasDerivedFrom, iri))
                described.add((group, S3.evidence, STATUSES[status]))
                for text in passage.reason if status == passage.status else ():
                    described.add((group, SKOS.editorialNote, text))
            groups[group].add(triple)
    return groups


def _supported(passage: Passage, passages: list[Passage], statements: Statements) -> Iterator[tuple[Triple, str]]:
    """The statements `passage` supports, each with its evidence kind. A value in another language
    than the document's is a translation, unless a passage in its own language states it."""
    for (name, lang), triples in statements.items():
        if not _covers(passage, name, lang):
            continue
        named = any(n == name and w == lang for n, w in passage.fields)  # the editors say it is in this language
        foreign = passage.status == "stated" and not named and lang is not None and passage.source.language not in (None, lang)
        if foreign and any(other.source.language == lang and _covers(other, name, lang) for other in passages):
            continue
        for triple in triples:
            yield triple, "translated" if foreign else passage.status


def _covers(passage: Passage, name: str, lang: str | None) -> bool:
    return any(n == name and (w is None or w == lang) for n, w in passage.fields)


def _describe_passage(iri: URIRef, passage: Passage, graph: Graph) -> None:
    document, span = passage.source.document, passage.span
    quote, position = URIRef(f"{iri}/quote"), URIRef(f"{iri}/position")
    graph.add((iri, RDF.type, OA.SpecificResource))
    graph.add((iri, OA.hasSource, passage.source.iri))
    graph.add((iri, S3.sha256, Literal(passage.source.sha256, datatype=XSD.hexBinary)))
    graph.add((iri, OA.hasSelector, quote))
    graph.add((iri, OA.hasSelector, position))
    graph.add((quote, RDF.type, OA.TextQuoteSelector))
    graph.add((quote, OA.exact, Literal(document.exact(span))))
    graph.add((quote, OA.prefix, Literal(document.prefix(span))))
    graph.add((quote, OA.suffix, Literal(document.suffix(span))))
    graph.add((position, RDF.type, OA.TextPositionSelector))
    graph.add((position, OA.start, Literal(span.start, datatype=XSD.integer)))
    graph.add((position, OA.end, Literal(span.end, datatype=XSD.integer)))
