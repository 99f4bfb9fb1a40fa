"""Shared pieces of the loaders for real exports (CSV/TSV): reading columns by name, row
rejects that name file, row, column and reason, and a summary that accounts for every row.

A bad row is rejected and the others still load (unless the build is strict); a file that is
not UTF-8, is empty or lacks a column the mapping needs is refused as a whole, naming the column.
Trailing delimiters, BOMs, CRLF, header case and spacing, column order and extra columns are
accepted (the summary names the columns not read).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, XSD, URIRef
from rdflib.namespace import DCTERMS, SDO, SKOS

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, slug
from loaders.core.progress import Advance, Progress
from loaders.core.provenance import sha256_of
from loaders.core.terms import Row, TripleSink, boolean, decimal, plain, text, typed
from loaders.core.vocab import CURRENCY, LANGUAGE, S3
from loaders.map.delimited import Broken, NotText, Records, detect


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
    ignored_columns: list[str] = field(default_factory=list)  # in the file, not read by the mapping
    dialect: str = ""  # how a delimited file was read: separator, quoting, encoding
    notes: list[str] = field(default_factory=list)  # what else a reader of the account should know

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
        loaded. The columns a CSV has and the mapping does not read are noted. A RowRejected from a row,
        or a record the reader cannot parse (`Broken`), rejects that row alone. `progress` hears how far the file is
        every `every` rows, and once at the end."""
        if isinstance(rows, CsvRows):
            self.ignored_columns, self.dialect = rows.header.ignored, rows.dialect
        for line, row in rows:
            self.read += 1
            if progress is not None and self.read % every == 0:
                progress(self._advance(rows, done=False))
            if isinstance(row, Broken):
                self.rejects.append(Reject(self.file, line, "(row)", "", row.reason))
                continue
            try:
                merged = handle(line, row)
            except RowRejected as rejected:
                self.rejects.append(Reject(self.file, line, rejected.column, rejected.value, rejected.reason))
                continue
            if merged:
                self.merged += 1
            else:
                self.loaded += 1
        if progress is not None:
            progress(self._advance(rows, done=True))

    def _advance(self, rows: object, done: bool) -> Advance:
        if isinstance(rows, CsvRows | SheetRows):
            total = rows.total
            position = total if done and total is not None else rows.position()
            return Advance(self.file, position, total, rows.unit, self.read, len(self.rejects))
        return Advance(self.file, self.read, self.read if done else None, "rows", self.read, len(self.rejects))

    def __str__(self) -> str:
        text = f"{self.file}: {self.read} rows read, {self.loaded} loaded, {self.merged} merged, {self.rejected} rejected"
        text += f" (read as {self.dialect})" if self.dialect else ""
        text += f"; columns not read: {', '.join(self.ignored_columns)}" if self.ignored_columns else ""
        return "".join([text, *(f"\n  {note}" for note in self.notes)])


class RowRejected(Exception):
    def __init__(self, column: str, value: str, reason: str):
        self.column, self.value, self.reason = column, value, reason
        super().__init__(reason)


class CsvRows:
    """The records of a delimited file after its header, as (line, row by column name), or (line,
    Broken) for a record the reader cannot parse. Columns are found by name (see `Header`); a
    record whose non-empty cells do not fit the header comes as {"__width__": n}. Knows how many
    bytes of the file it has read, for progress bars."""

    unit = "bytes"

    def __init__(self, records: Records, header: Header, total: int):
        self.records, self.header, self.total = records, header, total
        self.dialect = records.dialect.describe()

    def position(self) -> int:
        return self.records.position()

    def __iter__(self) -> Iterator[tuple[int, dict[str, str] | Broken]]:
        try:
            for line, record in self.records:
                yield line, record if isinstance(record, Broken) else self.header.row(record)
        finally:
            self.records.close()


def check_fields(row: dict[str, str]) -> None:
    """Reject a record whose cells do not fit the header (see `Header.row`)."""
    if "__width__" in row:
        raise RowRejected("(row)", row["__width__"], f"has {row['__width__']} fields, which do not fit the header's columns.")


def _column_key(name: str) -> str:
    """Header cells match whatever their case, spacing or BOM: ' Beneficiary  name' is 'Beneficiary Name'."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True)
class Header:
    """Where each column the mapping knows is in a file's header, and what else the header has.
    Real exports carry trailing delimiters (empty last columns), other case and spacing, other
    orders and extra columns: all are accepted; only a column the mapping needs may not be missing."""

    positions: dict[str, int]  # the mapping's column name → its position in the file
    width: int  # cells in the header, empty trailing ones included
    ignored: list[str]  # columns the file has and the mapping does not read

    @classmethod
    def match(cls, cells: list[str], columns: list[str], required: list[str]) -> Header | list[str]:
        """The header, or the required columns it lacks."""
        found: dict[str, int] = {}
        for position, cell in enumerate(cells):
            found.setdefault(_column_key(cell), position)
        positions = {c: found[_column_key(c)] for c in columns if _column_key(c) in found}
        missing = [c for c in required if c not in positions]
        if missing:
            return missing
        known = {_column_key(c) for c in columns}
        ignored = [cell.strip() for cell in cells if cell.strip() and _column_key(cell) not in known]
        return cls(positions, len(cells), ignored)

    def row(self, record: list[str]) -> dict[str, str]:
        """A record by column name ("" for a column the file lacks), or {"__width__": n} when it
        has more non-empty cells than the header has columns, or too few to hold a known column."""
        if len(record) > self.width and any(cell.strip() for cell in record[self.width :]):
            return {"__width__": str(len(record))}
        if len(record) < self.width and any(p >= len(record) for p in self.positions.values()):
            return {"__width__": str(len(record))}
        return {name: record[position] for name, position in self.positions.items()}


class SheetRows:
    """The rows of a workbook sheet after its header, as (row number, row by column name).
    Knows its row number and, when the workbook records it, the sheet's size."""

    unit = "rows"

    def __init__(self, rows: Iterator[tuple[int, dict[str, object] | Broken]], total: int | None):
        self.rows, self.total, self.at = rows, total, 0

    def position(self) -> int:
        return self.at

    def __iter__(self) -> Iterator[tuple[int, dict[str, object] | Broken]]:
        for number, row in self.rows:
            self.at = number
            yield number, row


def read_rows(
    path: Path, display: str, columns: list[str], delimiter: str, required: list[str] | None = None
) -> CsvRows | SourceProblem:
    """Find the columns by name, then give the records, or the problem that refuses the whole
    file: not text, empty, or lacking a column of `required` (all of `columns` by default). The
    encoding and quoting are the file's own (`delimited.detect`); a record the reader cannot
    parse is rejected alone and reading goes on."""
    try:
        records = Records(path, detect(path, delimiter))
    except NotText as error:
        return SourceProblem(display, f"{error}; is it the right file?", fix="export the file as UTF-8 CSV.")
    except UnicodeDecodeError as error:
        return SourceProblem(
            display, f"is not text in the encoding its start suggests: {error}.", fix="export the file as UTF-8."
        )
    first = next(iter(records), None)
    if first is None:
        records.close()
        return SourceProblem(display, "is empty.", fix="export the file again; it has no header and no rows.")
    line, cells = first
    if isinstance(cells, Broken):
        records.close()
        return SourceProblem(
            display, f"has a header that cannot be read: {cells.reason}.", line=line, fix="export the file again."
        )
    header = Header.match(cells, columns, columns if required is None else required)
    if isinstance(header, list):
        records.close()
        names, plural = ", ".join(header), "s" if len(header) > 1 else ""
        found = ", ".join(c.strip() for c in cells if c.strip())
        fix = f"use an export that has the column{plural} {names} (this file has: {found})."
        return SourceProblem(display, f"lacks the column{plural} {names}.", line=line, fix=fix)
    return CsvRows(records, header, path.stat().st_size)


NUTS_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")  # a country's NUTS code at level 0 to 3
_AMOUNT = re.compile(r"^-?\d+([.,]\d+)?$")


_EURO = re.compile(r"^(?:€|EUR)?\s*(.*?)\s*(?:€|EUR)?$", re.IGNORECASE)
_GROUPED = re.compile(r"^-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$")  # "475 000", "1 234 567,50"


def parse_amount(column: str, text: str) -> Decimal:
    """Amounts with a dot or a single decimal comma ("960619,95"), in euro as spreadsheets write
    them ("475 000€", "EUR 1 234,50": a euro sign or code, thousands grouped by spaces); anything
    else (a comma or dot between thousands, another currency) is rejected."""
    cleaned = text.strip()
    euro = _EURO.match(cleaned)
    if euro is not None and euro.group(1) != cleaned:
        cleaned = euro.group(1)
    if _GROUPED.match(cleaned):
        cleaned = re.sub(r"[ \u00a0\u202f]", "", cleaned)
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


def source_iri(minter: IriMinter, prefix: str, display: str) -> URIRef:
    """An export file's source document, named after the file as data/ names it."""
    return minter.entity("source", f"{prefix}-{hashlib.sha256(display.encode()).hexdigest()[:12]}")


def source_document(sink: TripleSink, minter: IriMinter, prefix: str, system: str, path: Path, display: str) -> URIRef:
    """An export file as the source document every entity mapped from it cites. Its IRI comes from
    the file's name under data/, so two files of one kind (CORDIS's H2020 and Horizon Europe
    project.csv) are two documents, while a new version of a file stays the same document with
    its new checksum (s3:sha256): an edited row changes that row's triples, not every entity's
    source (what an incremental build replaces, `loaders.publish.increment`)."""
    source = source_iri(minter, prefix, display)
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


def normalise(name: str) -> str:
    """A programme name as names are matched across sources: letters and digits only, case aside."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def programme_key(period: str, name: str) -> str:
    """How programmes are found by name: within one programming period, letters and digits only."""
    return f"{period}|{normalise(name)}"


# How an export's programme name was matched (s3:matchRule of its s3:ProgrammeNameMatch).
NAME_RULES = {
    "title": "The name is the programme's title in a programme table or curated record of the same period.",
    "other-name": "The name is one a programme table or curated record lists for the programme, same period.",
    "any-period": "The name is a label of a curated programme that states no programming period.",
    "new-programme": "No known programme of the period has this name: one is minted from the period and the name.",
}
ProgrammeNames = dict[str, tuple[URIRef, str]]  # `programme_key` → (programme, the rule of NAME_RULES)


def programme_by_name(out: Row, minter: IriMinter, programmes: ProgrammeNames, name: str, period: str, source: URIRef) -> URIRef:
    """The known programme of this name in this period (programme tables, curated; never one of
    another period: a 2021-2027 row does not land on the 2014-2020 programme of the same name), or
    one minted from the period and name, the same for every export that names it so. Each name a
    file gives is recorded once with the rule that matched it (an s3:ProgrammeNameMatch)."""
    iri, rule = programmes.get(programme_key(period, name)) or programmes.get(programme_key("", name)) or (None, "")
    if iri is None:
        iri, rule = minter.entity("programme", f"{period}-{slug(name)}"), "new-programme"
        if out.first(iri):
            out.add(iri, RDF.type, S3.Programme)
            out.add(iri, RDFS.label, text(name, "und"))
            out.add(iri, S3.programmingPeriod, minter.entity("concept", "programming-periods", period))
            out.add(iri, DCTERMS.source, source)
    match = URIRef(f"{source}/programme-names/{period}-{slug(name)}")
    if out.first(match):
        out.add(match, RDF.type, S3.ProgrammeNameMatch)
        out.add(match, S3.sourceName, plain(name))
        out.add(match, S3.matchedProgramme, iri)
        out.add(match, S3.matchRule, plain(rule))
        out.add(match, S3.programmingPeriod, minter.entity("concept", "programming-periods", period))
        out.add(match, DCTERMS.source, source)
    return iri


def fund_concept(out: Row, minter: IriMinter, code: str, name: str, source: URIRef) -> URIRef:
    """An EU fund by its code (ERDF, CF, ESF…); ERDF is curated, other funds are described from the export."""
    fund = minter.entity("concept", "funds", slug(code))
    if code != "ERDF" and out.first(fund):
        out.add(fund, RDF.type, SKOS.Concept)
        out.add(fund, RDF.type, S3.Fund)
        out.add(fund, RDFS.label, text(name or code, "en"))
        out.add(fund, SKOS.prefLabel, text(name or code, "en"))
        out.add(fund, SKOS.notation, plain(code))
        out.add(fund, SKOS.inScheme, minter.entity("scheme", "funds"))
        out.add(fund, DCTERMS.source, source)
    return fund


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
