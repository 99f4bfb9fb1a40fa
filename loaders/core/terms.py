"""Triples written straight to an N-Triples file as they are mapped, a row at a time.

The loaders of the real exports map hundreds of thousands of rows. Holding them as rdflib
graphs costs about 1 KB per triple and 30 µs to add one; formatting each triple as an
N-Triples line and appending it to a file costs a few µs and no memory. Oxigraph then loads
the file natively for validation and publishing.

A row is all or nothing: its triples are kept in a buffer and written only when the row's
mapping finishes without rejecting it. An entity several rows mention (a theme, a programme,
an organisation) is described once: `Row.first(iri)` says whether it still needs describing.

    with TripleSink(path) as sink:
        with sink.row() as row:
            row.add(project, RDF.type, S3.Project)
            row.add(project, RDFS.label, text("GoSmart BSR", "en"))
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO

from rdflib import XSD, Graph, URIRef


def canonical_decimal(value: Decimal) -> str:
    """The XSD 1.1 canonical xsd:decimal form (2500000.00 → "2500000", 0.50 → "0.5"), which
    is also how Oxigraph stores decimals: what is validated is what is published."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Lit(str):
    """A literal already written in N-Triples syntax."""

    __slots__ = ()


Term = URIRef | Lit
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_SAFE_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*$")
_LANGUAGE = re.compile(r"^[a-zA-Z]+(-[a-zA-Z0-9]+)*$")


def text(value: str, language: str) -> Lit:
    """A language-tagged string."""
    if not _LANGUAGE.match(language):
        raise ValueError(f"not a language tag: {language!r}")
    return Lit(f'"{value.translate(_ESCAPES)}"@{language}')


def plain(value: str) -> Lit:
    """An xsd:string."""
    return Lit(f'"{value.translate(_ESCAPES)}"')


def typed(lexical: str, datatype: URIRef) -> Lit:
    """A literal of a datatype, given in its canonical lexical form."""
    return Lit(f'"{lexical.translate(_ESCAPES)}"^^<{datatype}>')


def day(value: date) -> Lit:
    return typed(value.isoformat(), XSD.date)


def decimal(value: Decimal) -> Lit:
    return typed(canonical_decimal(value), XSD.decimal)


def integer(value: int) -> Lit:
    return typed(str(value), XSD.integer)


def boolean(value: bool) -> Lit:
    return typed("true" if value else "false", XSD.boolean)


def is_safe_iri(value: str) -> bool:
    """An absolute IRI that N-Triples can carry as it is (no spaces, quotes, angle brackets…)."""
    return bool(_SAFE_IRI.match(value))


def _line(s: URIRef, p: URIRef, o: Term) -> str:
    obj = o if isinstance(o, Lit) else f"<{o}>"
    return f"<{s}> <{p}> {obj} .\n"


class Row:
    """The triples of one input row, written only if the row is accepted."""

    __slots__ = ("_described", "_lines", "_sink")

    def __init__(self, sink: TripleSink):
        self._sink = sink
        self._lines: list[str] = []
        self._described: set[str] = set()

    def add(self, s: URIRef, p: URIRef, o: Term) -> None:
        self._lines.append(_line(s, p, o))

    def first(self, entity: URIRef) -> bool:
        """True the first time `entity` is met in the file (it then needs describing)."""
        if entity in self._described or entity in self._sink.described:
            return False
        self._described.add(entity)
        return True


class TripleSink:
    """An N-Triples file being written, row by row; `lines` counts the triples written."""

    def __init__(self, path: Path):
        self.path = path
        self.lines = 0
        self.described: set[str] = set()
        self._handle: IO[str] | None = None

    def __enter__(self) -> TripleSink:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("w", encoding="utf-8", newline="\n")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    @contextmanager
    def row(self) -> Iterator[Row]:
        """A row's triples: written when the block ends normally, dropped if it raises."""
        if self._handle is None:
            raise RuntimeError(f"{self.path} is not open for writing; use `with TripleSink(path) as sink`.")
        row = Row(self)
        yield row
        self._handle.writelines(row._lines)
        self.lines += len(row._lines)
        self.described |= row._described

    def graph(self) -> Graph:
        """The file read back as an rdflib graph (for tests and small files)."""
        if self._handle is not None:
            self._handle.flush()
        return Graph().parse(self.path, format="nt")
