"""Loader for keep.eu's Excel export (Interreg projects and partners, all periods).

The workbook's data sheets are `Search results, projects` and `Search results, partners`.
keep.eu names programmes without CCI codes: a name is matched, letters and digits only, to the
titles of the CCI table and the curated programme labels; an unmatched programme gets its own
entity. Projects are identified by their 2021-2027 id, or by programme + period + acronym.
Organisations keep a keep.eu IRI; their PIC is recorded so reconciliation can link them.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from openpyxl import load_workbook
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, slug
from loaders.core.origins import Origin
from loaders.core.progress import Progress
from loaders.core.terms import Row, TripleSink, day, is_safe_iri, plain, text
from loaders.core.vocab import COUNTRY, NUTS, S3
from loaders.map.delimited import Broken
from loaders.map.reference.countries import CountryTable
from loaders.map.tabular import (
    NUTS_CODE,
    Header,
    ProgrammeNames,
    RowRejected,
    SheetRows,
    Summary,
    check_order,
    check_within_total,
    money,
    parse_amount,
    programme_by_name,
    source_document,
    source_iri,
    theme,
)

PROJECTS_SHEET, PARTNERS_SHEET = "Search results, projects", "Search results, partners"
PROJECT_COLUMNS = [
    "Programme", "Period", "Project ID (2021-2027 only)", "Project acronym", "Project name in English",
    "Project name in language 2", "Project name in language 3", "Project name in language 4", "Description in English",
    "Description in language 2", "Expected Achievements in English", "Actual Achievements in English", "Project start",
    "Project end", "Project's total budget / expenditure", "Project's EU funding", "Union co-financing rate", "Website",
    "Theme 1", "Theme 2", "Theme 3",
]  # fmt: skip
PARTNER_COLUMNS = [
    "Programme", "Project ID (2021-2027 only)", "Project acronym", "Organisation in English", "Organisation in language 2",
    "Organisation in language 3", "Organisation in language 4", "Lead partner", "Country code", "Participant Identification Code",
    "Partner’s ID if not PIC", "Type of Organisation", "NUTS2 code (or equivalent)", "NUTS3 code (or equivalent)", "Town",
    "Website", "Partner's total eligible budget / expenditure", "Partner's programme co-financing (EUR) (2021-2027 only)",
    "ERDF contribution (2014-2020 only)",
]  # fmt: skip
PERIODS = {"2014-2020", "2021-2027"}
KEEP_THEMES = ("keep-eu-themes", "keep.eu themes")


@dataclass
class KeepLoad:
    summaries: list[Summary] = field(default_factory=list)
    origins: dict[URIRef, Origin] = field(default_factory=dict)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _date(column: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    text = _text(value)
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RowRejected(column, text, "not a date (an Excel date, DD/MM/YYYY or YYYY-MM-DD).")


def _amount(column: str, value: object) -> Decimal | None:
    if value is None or _text(value) == "":
        return None
    return Decimal(str(value)) if isinstance(value, int | float) else parse_amount(column, _text(value))


Rows = Iterator[tuple[int, dict[str, object] | Broken]]


class _Workbook:
    def __init__(
        self,
        path: Path,
        display: str,
        minter: IriMinter,
        programmes: ProgrammeNames,
        countries: CountryTable,
        sink: TripleSink,
    ):
        self.path, self.display, self.minter, self.programmes, self.countries = path, display, minter, programmes, countries
        self.sink = sink
        self.result = KeepLoad()
        self.projects: dict[tuple[str, str], URIRef] = {}  # (programme name, project id or period-acronym) → IRI
        self.by_acronym: dict[tuple[str, str], URIRef] = {}  # (programme name, acronym) → IRI
        self.source = source_iri(minter, "keep-eu", path)

    def describe_source(self) -> None:
        source_document(self.sink, self.minter, "keep-eu", "keep.eu", self.path, self.display)

    def sheet(self, book: object, name: str, columns: list[str]) -> tuple[SheetRows, Summary]:
        """The header is checked now; the rows are read as they are loaded."""
        summary = Summary(f"{self.display} [{name}]")
        sheet = book[name]  # type: ignore[index]
        rows_in_sheet = sheet.max_row  # as the workbook records it: for progress only, it may be stale
        sheet.reset_dimensions()  # read to the sheet's last row, whatever its <dimension> says
        rows = sheet.iter_rows(values_only=True)
        header = Header.match([_text(c) for c in next(rows, ())], columns, columns)
        if isinstance(header, list):
            raise ValueError(f"the sheet '{name}' lacks the column{'s' if len(header) > 1 else ''} {', '.join(header)}")
        summary.ignored_columns = header.ignored

        def records() -> Rows:
            n = 1
            try:
                for n, row in enumerate(rows, start=2):
                    if any(row):
                        cells = list(row) + [None] * (header.width - len(row))  # short rows: empty cells
                        yield n, {column: cells[at] for column, at in header.positions.items()}
            except (zipfile.BadZipFile, OSError, ValueError, ElementTree.ParseError) as error:
                yield n + 1, Broken(f"the sheet '{name}' cannot be read from here on: {error}")

        return SheetRows(records(), rows_in_sheet - 1 if rows_in_sheet else None), summary

    def programme(self, name: str, period: str, out: Row) -> URIRef:
        return programme_by_name(out, self.minter, self.programmes, name, period, self.source)

    def project(self, out: Row, row: dict[str, object], summary: Summary, line: int) -> bool:
        """Add one project row (never merged: a repeat is rejected as a duplicate)."""
        programme_name, period = _text(row["Programme"]), _text(row["Period"])
        acronym, ident = _text(row["Project acronym"]), _text(row["Project ID (2021-2027 only)"])
        if not acronym:
            raise RowRejected("Project acronym", "", "a project needs an acronym.")
        if period not in PERIODS:
            raise RowRejected("Period", period, f"only the periods {', '.join(sorted(PERIODS))} are covered so far.")
        key = ident or f"{period}-{acronym}"
        if (programme_name, key) in self.projects:
            raise RowRejected(
                "Project acronym", acronym, "duplicate project in this programme and period; the first row was loaded."
            )
        start, end = _date("Project start", row["Project start"]), _date("Project end", row["Project end"])
        check_order("Project end", start, end)
        total_column, eu_column = "Project's total budget / expenditure", "Project's EU funding"
        total, eu = _amount(total_column, row[total_column]), _amount(eu_column, row[eu_column])
        check_within_total(eu_column, eu, total)
        iri = self.minter.entity(
            "project", "keep-" + slug(ident) if ident else f"keep-{slug(programme_name)}-{period}-{slug(acronym)}"
        )
        out.add(iri, RDF.type, S3.Project)
        out.add(iri, RDFS.label, text(acronym, "en"))
        out.add(iri, S3.acronym, plain(acronym))
        if _text(row["Project name in English"]):
            out.add(iri, DCTERMS.title, text(_text(row["Project name in English"]), "en"))
        if _text(row["Description in English"]):
            out.add(iri, DCTERMS.description, text(_text(row["Description in English"]), "en"))
        out.add(iri, SDO.startDate, day(start))
        out.add(iri, SDO.endDate, day(end))
        if re.match(r"^https?://", _text(row["Website"])) and is_safe_iri(_text(row["Website"])):
            out.add(iri, SDO.url, URIRef(_text(row["Website"])))
        if total is not None:
            money(out, iri, "total-budget", S3.totalBudget, total)
        if eu is not None:
            money(out, iri, "eu-contribution", S3.euContribution, eu)
        out.add(iri, S3.programme, self.programme(programme_name, period, out))
        for column in ("Theme 1", "Theme 2", "Theme 3"):
            if _text(row[column]):
                out.add(iri, S3.theme, theme(out, self.minter, KEEP_THEMES, _text(row[column]), _text(row[column]), self.source))
        out.add(iri, DCTERMS.source, self.source)
        self.projects[(programme_name, key)] = iri
        self.by_acronym.setdefault((programme_name, acronym), iri)
        self.result.origins[iri] = Origin(summary.file, line, acronym)
        return False

    def partner(self, out: Row, row: dict[str, object]) -> bool:
        programme_name, acronym, ident = (
            _text(row["Programme"]),
            _text(row["Project acronym"]),
            _text(row["Project ID (2021-2027 only)"]),
        )
        project = self.projects.get((programme_name, ident)) or self.by_acronym.get((programme_name, acronym))
        if project is None:
            raise RowRejected("Project acronym", acronym, "no loaded project of this programme has this acronym or id.")
        alpha3 = self.countries.from_alpha2(_text(row["Country code"]))
        if alpha3 is None:
            raise RowRejected("Country code", _text(row["Country code"]), "not a country code of the EU country table.")
        budget_column = "Partner's total eligible budget / expenditure"
        budget = _amount(budget_column, row[budget_column])
        pic, other = _text(row["Participant Identification Code"]), _text(row["Partner’s ID if not PIC"])
        key = f"pic-{pic}" if pic else f"id-{slug(other or _text(row['Organisation in English']) + '-' + alpha3)}"
        organisation = self.minter.entity("organisation", "keep-" + key)
        participation = URIRef(f"{project}/participation/keep-{key}")
        role = "lead-partner" if _text(row["Lead partner"]).lower() == "yes" else "partner"
        if role == "lead-partner" and not out.first(URIRef(f"{project}#lead-partner")):
            raise RowRejected("Lead partner", "Yes", "this project already has a lead partner; a project has at most one.")
        if not out.first(participation):
            raise RowRejected(
                "Participant Identification Code" if pic else "Organisation in English",
                pic or _text(row["Organisation in English"]),
                "this organisation is already a partner of this project; the first row was loaded.",
            )
        first = out.first(organisation)
        if first:
            out.add(organisation, RDF.type, S3.Organisation)
            out.add(organisation, RDFS.label, text(_text(row["Organisation in English"]), "en"))
            out.add(organisation, S3.country, COUNTRY[alpha3])
            if pic:
                out.add(organisation, DCTERMS.identifier, plain(pic))
            nuts = _text(row["NUTS3 code (or equivalent)"]) or _text(row["NUTS2 code (or equivalent)"])
            if NUTS_CODE.match(nuts):
                out.add(organisation, S3.region, NUTS[nuts])
            out.add(organisation, DCTERMS.source, self.source)
        out.add(project, S3.hasParticipation, participation)
        out.add(participation, RDF.type, S3.Participation)
        out.add(participation, S3.participant, organisation)
        out.add(participation, S3.partnerRole, self.minter.entity("concept", "partner-roles", role))
        out.add(participation, DCTERMS.source, self.source)
        if budget is not None:
            money(out, participation, "budget", S3.partnerBudget, budget)
        return not first


def load_keep_eu(
    path: Path,
    display: str,
    minter: IriMinter,
    programmes: ProgrammeNames,
    countries: CountryTable,
    sink: TripleSink,
    progress: Progress | None = None,
) -> tuple[KeepLoad, list[SourceProblem]]:
    reader = _Workbook(path, display, minter, programmes, countries, sink)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        projects, project_summary = reader.sheet(book, PROJECTS_SHEET, PROJECT_COLUMNS)
        partners, partner_summary = reader.sheet(book, PARTNERS_SHEET, PARTNER_COLUMNS)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        fix = f"use keep.eu's Excel export with the sheets '{PROJECTS_SHEET}' and '{PARTNERS_SHEET}', complete."
        return reader.result, [SourceProblem(display, f"cannot be read as a keep.eu workbook: {error}.", fix=fix)]
    reader.describe_source()

    def project_row(line: int, row: dict[str, object]) -> bool:
        with sink.row() as out:
            return reader.project(out, row, project_summary, line)

    def partner_row(line: int, row: dict[str, object]) -> bool:
        with sink.row() as out:
            return reader.partner(out, row)

    project_summary.account(projects, project_row, progress)
    partner_summary.account(partners, partner_row, progress)
    reader.result.summaries.extend([project_summary, partner_summary])
    return reader.result, []
