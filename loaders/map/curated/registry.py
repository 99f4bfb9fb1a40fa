"""First pass over the curated records: every record's IRI and classes, so that the
mapping can check references across files. Reports unknown types, bad and duplicate ids."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, is_valid_id
from loaders.map.curated.reader import Node, Record
from loaders.map.curated.schema import RECORD_TYPES, Kind, RecordType


@dataclass(frozen=True)
class Context:
    """What mapping needs to know beyond the records themselves."""

    minter: IriMinter
    data_dir: Path
    countries: frozenset[str]
    cci_codes: frozenset[str] | None  # None: the CCI table did not load, so codes are not checked
    regions: frozenset[str] = frozenset()  # NUTS codes


@dataclass(frozen=True)
class Entry:
    rtype: RecordType
    iri: URIRef
    classes: tuple[URIRef, ...]
    record: Record


Registry = dict[tuple[str, str], Entry]


def problem(rec: Record, node: Node | None, field: str | None, message: str, fix: str) -> SourceProblem:
    line = node.line if node is not None else rec.line
    return SourceProblem(rec.file, message, line=line, record=rec.id, field=field, fix=fix)


def text_of(node: Node | None) -> str | None:
    return node.data if node is not None and isinstance(node.data, str) else None


def index(records: Iterable[Record], ctx: Context) -> tuple[Registry, list[SourceProblem]]:
    """Give each record its IRI and classes; report unknown types, bad and duplicate ids."""
    registry: Registry = {}
    problems: list[SourceProblem] = []
    pending_concepts: list[tuple[Record, RecordType, str]] = []
    for rec in records:
        rtype = RECORD_TYPES.get(rec.type or "")
        if rtype is None:
            known = ", ".join(sorted(RECORD_TYPES))
            problems.append(
                problem(rec, rec.fields.get("type"), "type", f"unknown record type {rec.type!r}.", f"use one of: {known}.")
            )
            continue
        ident = rec.id
        if ident is None or not is_valid_id(ident):
            problems.append(
                problem(
                    rec,
                    rec.fields.get("id"),
                    "id",
                    f"missing or invalid id {ident!r}.",
                    "give an id of letters, digits, '.', '_' or '-'.",
                )
            )
            continue
        previous = registry.get((rtype.name, ident))
        if previous is not None:
            where = f"{previous.record.file}:{previous.record.line}"
            problems.append(
                problem(
                    rec,
                    rec.fields.get("id"),
                    "id",
                    f"duplicate {rtype.name} id '{ident}', first used at {where}.",
                    "give each record its own id.",
                )
            )
            continue
        classes = list(rtype.classes)
        for f in rtype.fields:
            if f.kind is Kind.CLASS:
                choice = text_of(rec.fields.get(f.name))
                if choice not in f.choices:
                    problems.append(
                        problem(
                            rec,
                            rec.fields.get(f.name),
                            f.name,
                            f"unknown value {choice!r}.",
                            f"use one of: {', '.join(f.choices)}.",
                        )
                    )
                    continue
                classes.extend(f.choices[choice or ""])
        if rtype.name == "concept":
            scheme = text_of(rec.fields.get("scheme")) or ""
            pending_concepts.append((rec, rtype, scheme))
            iri = ctx.minter.entity("concept", scheme or "_", ident)
        else:
            iri = ctx.minter.entity(rtype.collection, ident)
        registry[(rtype.name, ident)] = Entry(rtype, iri, tuple(classes), rec)
    for rec, rtype, scheme in pending_concepts:  # a concept takes its scheme's member class
        scheme_entry = registry.get(("concept-scheme", scheme))
        member = text_of(scheme_entry.record.fields.get("member_class")) if scheme_entry else None
        member_field = RECORD_TYPES["concept-scheme"].field("member_class")
        assert member_field is not None
        entry = registry[("concept", rec.id or "")]
        extra = member_field.choices.get(member or "", ())
        registry[("concept", rec.id or "")] = Entry(rtype, entry.iri, entry.classes + extra, rec)
    return registry, problems
