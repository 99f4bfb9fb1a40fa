"""Loader for keep.eu's Excel exports (Interreg projects and partners, all periods).

keep.eu's workbooks come in two layouts (keep_eu_layouts.py): a search's results and the download
of all closed projects of a period; the layout is told by the workbook's sheets. Names and
descriptions in the programme's languages carry the language py3langid is sure of, else `und`.
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
from loaders.core.languages import guess
from loaders.core.origins import Origin
from loaders.core.progress import Progress
from loaders.core.terms import Row, TripleSink, day, is_safe_iri, plain, text
from loaders.core.vocab import COUNTRY, NUTS, S3
from loaders.map.delimited import Broken
from loaders.map.exports.keep_eu_layouts import LAYOUTS, PARTNER_FIELDS, PROJECT_FIELDS, Layout, as_fields, layout_of
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

PERIODS = {"2014-2020", "2021-2027"}
KEEP_THEMES = ("keep-eu-themes", "keep.eu themes")
OBJECTIVES = {  # field → the scheme of its codes ("(6c) conserving, protecting…" is 6c)
    "Thematic objective": ("keep-eu-thematic-objectives", "Thematic objectives 2014-2020 (keep.eu)"),
    "Investment priority": ("keep-eu-investment-priorities", "Investment priorities 2014-2020 (keep.eu)"),
}
_CODED = re.compile(r"^\(([^)]{1,12})\)\s*(.*)$", re.S)


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
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RowRejected(column, text, "not a date (an Excel date, DD/MM/YYYY, YYYY-MM-DD or YYYY/MM/DD).")


def _optional_date(column: str, value: object) -> date | None:
    return None if _text(value) == "" else _date(column, value)


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
        self.rows_of: dict[tuple[str, str], tuple[str, ...]] = {}  # the fields of each project's first row
        self.source = source_iri(minter, "keep-eu", display)
        self.layout: Layout = LAYOUTS[0]

    def describe_source(self) -> None:
        source_document(self.sink, self.minter, "keep-eu", "keep.eu", self.path, self.display)

    def sheet(self, book: object, name: str, fields: list[str], mapping: dict[str, str]) -> tuple[SheetRows, Summary]:
        """The header is checked now; the rows are read as they are loaded, as the loader's fields."""
        summary = Summary(f"{self.display} [{name}]")
        sheet = book[name]  # type: ignore[index]
        rows_in_sheet = sheet.max_row  # as the workbook records it: for progress only, it may be stale
        sheet.reset_dimensions()  # read to the sheet's last row, whatever its <dimension> says
        rows = sheet.iter_rows(values_only=True)
        columns = list(mapping.values())
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
                        by_column = {column: cells[at] for column, at in header.positions.items()}
                        yield n, as_fields(self.layout, fields, mapping, by_column)
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
        same = tuple(_text(row[f]) for f in PROJECT_FIELDS)  # every field; the closed-projects sheet repeats
        if (programme_name, key) in self.projects:  # a project once per lead partner, each field the same
            if self.rows_of.get((programme_name, key)) == same:
                return True
            raise RowRejected(
                "Project acronym", acronym, "duplicate project in this programme and period; the first row was loaded."
            )
        self.rows_of[(programme_name, key)] = same
        start, end = _optional_date("Project start", row["Project start"]), _optional_date("Project end", row["Project end"])
        if start is not None and end is not None:
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
        self.texts(out, iri, DCTERMS.title, row, "Project name in")
        self.texts(out, iri, DCTERMS.description, row, "Description in")
        if start is not None:
            out.add(iri, SDO.startDate, day(start))
        if end is not None:
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
        for column, scheme in OBJECTIVES.items():
            coded = _CODED.match(_text(row[column]))
            if coded:
                label = coded.group(2).rstrip(" :").removesuffix(" by") or coded.group(1)  # "(1) strengthening … by:"
                out.add(iri, S3.theme, theme(out, self.minter, scheme, coded.group(1).strip(), label, self.source))
        out.add(iri, DCTERMS.source, self.source)
        self.projects[(programme_name, key)] = iri
        self.by_acronym.setdefault((programme_name, acronym), iri)
        self.result.origins[iri] = Origin(summary.file, line, acronym)
        return False

    def texts(self, out: Row, iri: URIRef, predicate: URIRef, row: dict[str, object], prefix: str) -> None:
        """The English text and those in the programme's languages (tagged as py3langid tells, else
        `und`), each once: a language already written, or the same words again, are not repeated."""
        written: dict[str, str] = {}
        for suffix in (" English", " language 2", " language 3"):
            value = _text(row[prefix + suffix])
            if not value or value in written.values():
                continue
            language = "en" if suffix == " English" else guess(value)
            if language in written and language != "und":
                language = "und"
            written.setdefault(language, value)
            out.add(iri, predicate, text(value, language))

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
            out.add(organisation, RDFS.label, text(_text(row["Organisation in English"]), self.layout.partner_name_language))
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
        layout = layout_of(book.sheetnames)
        if layout is None:
            raise KeyError(f"it has the sheets {', '.join(repr(n) for n in book.sheetnames)}")
        reader.layout = layout
        projects, project_summary = reader.sheet(book, layout.projects_sheet, PROJECT_FIELDS, layout.projects)
        partners, partner_summary = reader.sheet(book, layout.partners_sheet, PARTNER_FIELDS, layout.partners)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        sheets = " or ".join(f"'{lay.projects_sheet}' and '{lay.partners_sheet}'" for lay in LAYOUTS)
        fix = f"use one of keep.eu's Excel exports, complete: a search's results or the closed projects ({sheets})."
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
