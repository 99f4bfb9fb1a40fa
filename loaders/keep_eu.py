"""Loader for keep.eu's Excel export (Interreg projects and partners, all periods).

The workbook's data sheets are `Search results, projects` and `Search results, partners`.
keep.eu names programmes without CCI codes: a name is matched, letters and digits only, to the
titles of the CCI table and the curated programme labels; an unmatched programme gets its own
entity. Projects are identified by their 2021-2027 id, or by programme + period + acronym.
Organisations keep a keep.eu IRI; their PIC is recorded so reconciliation can link them.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.country_table import CountryTable
from loaders.curated.mapper import canonical_decimal
from loaders.errors import SourceProblem
from loaders.iris import IriMinter, slug
from loaders.tabular import RowRejected, Summary, describe_file, parse_amount, theme
from loaders.validation import Origin
from loaders.vocab import COUNTRY, CURRENCY, NUTS, S3

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


def normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


@dataclass
class KeepLoad:
    graph: Graph = field(default_factory=Graph)
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


def _money(graph: Graph, owner: URIRef, name: str, column: str, value: object) -> None:
    if value is None or _text(value) == "":
        return
    amount = Decimal(str(value)) if isinstance(value, int | float) else parse_amount(column, _text(value))
    node = URIRef(f"{owner}/{name}")
    graph.add((node, RDF.type, S3.MonetaryAmount))
    graph.add((node, SDO.value, Literal(canonical_decimal(amount), datatype=XSD.decimal)))
    graph.add((node, S3.currency, CURRENCY.EUR))
    graph.add((node, S3.isApproximate, Literal(False)))
    predicate = {"total-budget": S3.totalBudget, "eu-contribution": S3.euContribution, "budget": S3.partnerBudget}[name]
    graph.add((owner, predicate, node))


class _Workbook:
    def __init__(self, path: Path, display: str, minter: IriMinter, programmes: dict[str, URIRef], countries: CountryTable):
        self.path, self.display, self.minter, self.programmes, self.countries = path, display, minter, programmes, countries
        self.result = KeepLoad()
        self.projects: dict[tuple[str, str], URIRef] = {}  # (programme name, project key) → IRI
        self.source = minter.entity("source", "keep-eu-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12])

    def describe_source(self) -> None:
        describe_file(self.result.graph, self.source, f"keep.eu export {self.path.name}", self.path, self.display)

    def sheet(self, book: object, name: str, columns: list[str]) -> tuple[list[tuple[int, dict[str, object]]], Summary]:
        summary = Summary(f"{self.display} [{name}]")
        rows = book[name].iter_rows(values_only=True)  # type: ignore[index]
        header = [_text(c) for c in next(rows, ())]
        if header != columns:
            raise ValueError(f"the sheet '{name}' does not have keep.eu's columns")
        return [(n, dict(zip(columns, row, strict=False))) for n, row in enumerate(rows, start=2) if any(row)], summary

    def programme(self, name: str, period: str, graph: Graph) -> URIRef:
        known = self.programmes.get(normalise(name))
        if known is not None:
            return known
        iri = self.minter.entity("programme", "keep-" + slug(name))
        graph.add((iri, RDF.type, S3.Programme))
        graph.add((iri, RDFS.label, Literal(name, lang="en")))
        graph.add((iri, S3.programmingPeriod, self.minter.entity("concept", "programming-periods", period)))
        graph.add((iri, DCTERMS.source, self.source))
        return iri

    def project(self, row: dict[str, object], summary: Summary, line: int) -> bool:
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
        iri = self.minter.entity(
            "project", "keep-" + slug(ident) if ident else f"keep-{slug(programme_name)}-{period}-{slug(acronym)}"
        )
        g = Graph()
        g.add((iri, RDF.type, S3.Project))
        g.add((iri, RDFS.label, Literal(acronym, lang="en")))
        g.add((iri, S3.acronym, Literal(acronym)))
        if _text(row["Project name in English"]):
            g.add((iri, DCTERMS.title, Literal(_text(row["Project name in English"]), lang="en")))
        if _text(row["Description in English"]):
            g.add((iri, DCTERMS.description, Literal(_text(row["Description in English"]), lang="en")))
        g.add((iri, SDO.startDate, Literal(start, datatype=XSD.date)))
        g.add((iri, SDO.endDate, Literal(end, datatype=XSD.date)))
        if re.match(r"^https?://\S+$", _text(row["Website"])):
            g.add((iri, SDO.url, URIRef(_text(row["Website"]))))
        _money(g, iri, "total-budget", "Project's total budget / expenditure", row["Project's total budget / expenditure"])
        _money(g, iri, "eu-contribution", "Project's EU funding", row["Project's EU funding"])
        g.add((iri, S3.programme, self.programme(programme_name, period, g)))
        for column in ("Theme 1", "Theme 2", "Theme 3"):
            if _text(row[column]):
                g.add((iri, S3.theme, theme(g, self.minter, KEEP_THEMES, _text(row[column]), _text(row[column]), self.source)))
        g.add((iri, DCTERMS.source, self.source))
        self.result.graph += g
        self.projects[(programme_name, key)] = iri
        self.result.origins[iri] = Origin(summary.file, line, acronym)
        return False

    def partner(self, row: dict[str, object], seen: set[str]) -> bool:
        programme_name, acronym, ident = (
            _text(row["Programme"]),
            _text(row["Project acronym"]),
            _text(row["Project ID (2021-2027 only)"]),
        )
        project = self.projects.get((programme_name, ident)) or next(
            (iri for (name, key), iri in self.projects.items() if name == programme_name and key.endswith("-" + acronym)), None
        )
        if project is None:
            raise RowRejected("Project acronym", acronym, "no loaded project of this programme has this acronym or id.")
        alpha3 = self.countries.from_alpha2(_text(row["Country code"]))
        if alpha3 is None:
            raise RowRejected("Country code", _text(row["Country code"]), "not a country code of the EU country table.")
        pic, other = _text(row["Participant Identification Code"]), _text(row["Partner’s ID if not PIC"])
        key = f"pic-{pic}" if pic else f"id-{slug(other or _text(row['Organisation in English']) + '-' + alpha3)}"
        organisation = self.minter.entity("organisation", "keep-" + key)
        participation = URIRef(f"{project}/participation/keep-{key}")
        g = Graph()
        if key not in seen:
            g.add((organisation, RDF.type, S3.Organisation))
            g.add((organisation, RDFS.label, Literal(_text(row["Organisation in English"]), lang="en")))
            g.add((organisation, S3.country, COUNTRY[alpha3]))
            if pic:
                g.add((organisation, DCTERMS.identifier, Literal(pic)))
            nuts = _text(row["NUTS3 code (or equivalent)"]) or _text(row["NUTS2 code (or equivalent)"])
            if re.match(r"^[A-Z]{2}[A-Z0-9]{0,3}$", nuts):
                g.add((organisation, S3.region, NUTS[nuts]))
            g.add((organisation, DCTERMS.source, self.source))
        role = "lead-partner" if _text(row["Lead partner"]).lower() == "yes" else "partner"
        g.add((project, S3.hasParticipation, participation))
        g.add((participation, RDF.type, S3.Participation))
        g.add((participation, S3.participant, organisation))
        g.add((participation, S3.partnerRole, self.minter.entity("concept", "partner-roles", role)))
        g.add((participation, DCTERMS.source, self.source))
        _money(
            g,
            participation,
            "budget",
            "Partner's total eligible budget / expenditure",
            row["Partner's total eligible budget / expenditure"],
        )
        self.result.graph += g
        merged = key in seen
        seen.add(key)
        return merged


def load_keep_eu(
    path: Path,
    display: str,
    minter: IriMinter,
    programmes: dict[str, URIRef],
    countries: CountryTable,
    progress: Callable[[str], None] | None = None,
) -> tuple[KeepLoad, list[SourceProblem]]:
    reader = _Workbook(path, display, minter, programmes, countries)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        projects, project_summary = reader.sheet(book, PROJECTS_SHEET, PROJECT_COLUMNS)
        partners, partner_summary = reader.sheet(book, PARTNERS_SHEET, PARTNER_COLUMNS)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        fix = f"use keep.eu's Excel export with the sheets '{PROJECTS_SHEET}' and '{PARTNERS_SHEET}', complete."
        return reader.result, [SourceProblem(display, f"cannot be read as a keep.eu workbook: {error}.", fix=fix)]
    reader.describe_source()
    seen: set[str] = set()  # organisations already described

    def project_row(line: int, row: dict[str, object]) -> bool:
        return reader.project(row, project_summary, line)

    def partner_row(line: int, row: dict[str, object]) -> bool:
        return reader.partner(row, seen)

    project_summary.account(projects, project_row, progress)
    partner_summary.account(partners, partner_row, progress)
    reader.result.summaries.extend([project_summary, partner_summary])
    return reader.result, []
