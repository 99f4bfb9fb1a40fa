"""Shared pieces of the loaders for real exports (CSV/TSV): reading with a header check, row
rejects that name file, row, column and reason, and a summary that accounts for every row.

A bad row is rejected and the others still load (unless the build is strict); a file of the
wrong kind, a wrong header or an empty file is refused as a whole.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from rdflib import RDF, RDFS, XSD, URIRef
from rdflib.namespace import DCTERMS, SDO, SKOS

from loaders.errors import SourceProblem
from loaders.iris import IriMinter, slug
from loaders.ntriples import Row, TripleSink, boolean, decimal, plain, text, typed
from loaders.progress import Advance, Progress
from loaders.provenance import sha256_of
from loaders.vocab import CURRENCY, LANGUAGE, S3


@dataclass(frozen=True)
class Reject:
    file: str
    row: int  # line where the record starts (the header is line 1)
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}, column '{self.column}' = {self.value!r}: {self.reason}"


@dataclass
class Summary:
    """Every input row ends up loaded, merged into an entity already loaded, or rejected."""

    file: str
    read: int = 0
    loaded: int = 0
    merged: int = 0
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return self.read - self.loaded - self.merged

    def account(
        self,
        rows: Iterable[tuple[int, Any]],
        handle: Callable[[int, Any], bool],
        progress: Progress | None = None,
        every: int = 2_000,
    ) -> None:
        """Run `handle` on every row; it returns True when the row merged into an entity already
        loaded. A RowRejected from a row rejects that row; one from reading ends the file there.
        `progress` hears how far the file is every `every` rows, and once at the end."""
        try:
            for line, row in rows:
                self.read += 1
                if progress is not None and self.read % every == 0:
                    progress(self._advance(rows, done=False))
                try:
                    merged = handle(line, row)
                except RowRejected as rejected:
                    self.rejects.append(Reject(self.file, line, rejected.column, rejected.value, rejected.reason))
                    continue
                if merged:
                    self.merged += 1
                else:
                    self.loaded += 1
        except RowRejected as broken:
            self.rejects.append(Reject(self.file, self.read + 1, broken.column, broken.value, broken.reason))
        if progress is not None:
            progress(self._advance(rows, done=True))

    def _advance(self, rows: object, done: bool) -> Advance:
        if isinstance(rows, CsvRows | SheetRows):
            total = rows.total
            position = total if done and total is not None else rows.position()
            return Advance(self.file, position, total, rows.unit, self.read, len(self.rejects))
        return Advance(self.file, self.read, self.read if done else None, "rows", self.read, len(self.rejects))

    def __str__(self) -> str:
        return f"{self.file}: {self.read} rows read, {self.loaded} loaded, {self.merged} merged, {self.rejected} rejected"


class RowRejected(Exception):
    def __init__(self, column: str, value: str, reason: str):
        self.column, self.value, self.reason = column, value, reason
        super().__init__(reason)


class CsvRows:
    """The records of a delimited file after its header, as (line, row by column name); a record
    with another number of fields than the header comes as {"__width__": n}. Knows how many
    bytes of the file it has read, for progress bars."""

    unit = "bytes"

    def __init__(self, handle: TextIO, reader: Any, columns: list[str], total: int):
        self.handle, self.reader, self.columns, self.total = handle, reader, columns, total

    def position(self) -> int:
        return self.handle.buffer.tell()

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        with self.handle:
            line = self.reader.line_num + 1
            while True:
                try:
                    record = next(self.reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    raise RowRejected("(row)", "", f"the CSV cannot be read from here on: {error}") from error
                if len(record) != len(self.columns):
                    yield line, {"__width__": str(len(record))}
                else:
                    yield line, dict(zip(self.columns, record, strict=True))
                line = self.reader.line_num + 1


class SheetRows:
    """The rows of a workbook sheet after its header, as (row number, row by column name).
    Knows its row number and, when the workbook records it, the sheet's size."""

    unit = "rows"

    def __init__(self, rows: Iterator[tuple[int, dict[str, object]]], total: int | None):
        self.rows, self.total, self.at = rows, total, 0

    def position(self) -> int:
        return self.at

    def __iter__(self) -> Iterator[tuple[int, dict[str, object]]]:
        for number, row in self.rows:
            self.at = number
            yield number, row


def read_rows(path: Path, display: str, columns: list[str], delimiter: str) -> CsvRows | SourceProblem:
    """Check the header, then give the records, or the problem that refuses the whole file. Rows
    broken beyond what the CSV reader can parse end the file with a reject at that line."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        header = next(reader, None)
    except UnicodeDecodeError:
        return SourceProblem(display, "is not UTF-8 text; is it the right file?", fix="export the file as UTF-8 CSV.")
    if header is None:
        return SourceProblem(display, "is empty.", fix="export the file again; it has no header and no rows.")
    if header != columns:
        missing = [c for c in columns if c not in header]
        fix = f"use the export with the columns {';'.join(columns)}."
        what = f"lacks the columns {', '.join(missing)}" if missing else "has its columns in another order or extra ones"
        return SourceProblem(display, f"does not have the expected header: it {what}.", line=1, fix=fix)
    return CsvRows(handle, reader, columns, path.stat().st_size)


NUTS_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")  # a country's NUTS code at level 0 to 3
_AMOUNT = re.compile(r"^-?\d+([.,]\d+)?$")


def parse_amount(column: str, text: str) -> Decimal:
    """Amounts with a dot or a single decimal comma ("960619,95"); anything else is rejected."""
    cleaned = text.strip()
    if not _AMOUNT.match(cleaned):
        raise RowRejected(column, text, "not an amount: use digits with at most one decimal separator (no thousands separators).")
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation as error:
        raise RowRejected(column, text, "not an amount.") from error


def check_within_total(column: str, part: Decimal | None, total: Decimal | None) -> None:
    """The EU's share of a budget cannot be more than the budget (the shapes' rule, checked per row)."""
    if part is not None and total is not None and part > total:
        raise RowRejected(column, str(part), f"the EU contribution is more than the total budget ({total}).")


def check_order(column: str, start: date, end: date) -> None:
    """A project ends on or after its start (the EU's rule, and the shapes')."""
    if start > end:
        raise RowRejected(column, end.isoformat(), f"ends before it starts ({start.isoformat()}); the EU rule is start ≤ end.")


def parse_date(column: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as error:
        raise RowRejected(column, text, "not a date (YYYY-MM-DD).") from error


def source_iri(minter: IriMinter, prefix: str, path: Path) -> URIRef:
    return minter.entity("source", f"{prefix}-{sha256_of(path)[:12]}")


def source_document(sink: TripleSink, minter: IriMinter, prefix: str, system: str, path: Path, display: str) -> URIRef:
    """An export file as the source document every entity mapped from it cites. Its IRI carries
    the file's checksum, so two files of one kind (CORDIS's H2020 and Horizon Europe
    project.csv) or two versions of a file are two documents."""
    source = source_iri(minter, prefix, path)
    label = f"{system} export {path.name}"
    with sink.row() as row:
        row.add(source, RDF.type, S3.SourceDocument)
        row.add(source, RDFS.label, text(label, "en"))
        row.add(source, S3.fileName, plain(display))
        row.add(source, S3.sha256, typed(sha256_of(path), XSD.hexBinary))
        row.add(source, DCTERMS.language, LANGUAGE.ENG)
    return source


def theme(row: Row, minter: IriMinter, scheme: tuple[str, str], code: str, label: str, source: URIRef) -> URIRef:
    """A source system's category as an s3:Theme concept in that system's scheme (id, English title)."""
    scheme_iri = minter.entity("scheme", scheme[0])
    concept = minter.entity("concept", scheme[0], slug(code))
    if row.first(scheme_iri):
        row.add(scheme_iri, RDF.type, SKOS.ConceptScheme)
        row.add(scheme_iri, RDFS.label, text(scheme[1], "en"))
        row.add(scheme_iri, SKOS.prefLabel, text(scheme[1], "en"))
        row.add(scheme_iri, DCTERMS.source, source)
    if row.first(concept):
        row.add(concept, RDF.type, SKOS.Concept)
        row.add(concept, RDF.type, S3.Theme)
        row.add(concept, RDFS.label, text(label or code, "en"))
        row.add(concept, SKOS.prefLabel, text(label or code, "en"))
        row.add(concept, SKOS.notation, plain(code))
        row.add(concept, SKOS.inScheme, scheme_iri)
        row.add(scheme_iri, SKOS.hasTopConcept, concept)
        row.add(concept, DCTERMS.source, source)
    return concept


def money(row: Row, owner: URIRef, name: str, predicate: URIRef, amount: Decimal, currency: str = "EUR") -> None:
    """An exact amount in a currency, as a node below its owner (`<owner>/<name>`)."""
    node = URIRef(f"{owner}/{name}")
    row.add(node, RDF.type, S3.MonetaryAmount)
    row.add(node, SDO.value, decimal(amount))
    row.add(node, S3.currency, CURRENCY[currency])
    row.add(node, S3.isApproximate, boolean(False))
    row.add(owner, predicate, node)


def write_rejects(summaries: list[Summary], path: Path) -> None:
    """All rejected rows as CSV: file, row, column, value, reason."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "column", "value", "reason"])
        for summary in summaries:
            for reject in summary.rejects:
                writer.writerow([reject.file, reject.row, reject.column, reject.value, reject.reason])
