"""Loader for Kohesio's project exports (one CSV per country and period; both periods' column
sets): UTF-8 with or without BOM, commas, quoted fields with newlines, dates DD/MM/YYYY,
several values in one cell joined with '|'.

Each operation becomes an s3:Project linked (owl:sameAs) to its Kohesio item, under its
programme (by CCI code), with its fund, NUTS region, country, budget and beneficiaries. The
EU's own validation rules reject a row: start ≤ end, at least one location, EUR amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, slug
from loaders.core.origins import Origin
from loaders.core.progress import Progress
from loaders.core.terms import Row, TripleSink, day, plain, text
from loaders.core.vocab import COUNTRY, NUTS, S3
from loaders.map.reference.countries import CountryTable
from loaders.map.tabular import (
    NUTS_CODE,
    RowRejected,
    Summary,
    check_fields,
    check_order,
    check_within_total,
    fund_concept,
    money,
    parse_amount,
    read_rows,
    source_document,
    theme,
)

REQUIRED = [
    "Operation_Unique_Identifier", "Operation_Name_English", "Operation_Start_Date", "Operation_End_Date",
    "Total_Eligible_Expenditure_amount", "Total_Eligible_Expenditure_Currency", "Project_EU_Budget", "Beneficiary_Name",
    "Fund_Code", "Fund_Name", "Programme_Code", "Programme_Name", "CountryCode", "Postal_Code", "NUTS2_Code", "NUTS3_Code",
    "Programming_Period",
]  # fmt: skip
OPTIONAL = [  # read where the layout has them (2014-2020 and 2021-2027 differ)
    "Category_Label", "Category_Of_Intervention", "Coordinates", "Location_Indicator_latitude_longitude",
    "Operation_Local_Identifier", "Thematic_Objective_ID", "Thematic_Objective_Label",
]  # fmt: skip
CATEGORIES = ("kohesio-categories", "Kohesio categories of intervention")
THEMATIC_OBJECTIVES = ("kohesio-thematic-objectives", "Cohesion policy thematic objectives (Kohesio)")
KOHESIO_ITEM = re.compile(r"^https://linkedopendata\.eu/entity/(Q\d+)$")


@dataclass
class KohesioLoad:
    summary: Summary = field(default_factory=lambda: Summary(""))
    origins: dict[URIRef, Origin] = field(default_factory=dict)


@lru_cache(maxsize=16384)  # the same dates recur on many rows
def _parsed_date(text: str) -> date:
    return datetime.strptime(text.strip(), "%d/%m/%Y").date()


def _date(column: str, text: str) -> date:
    try:
        return _parsed_date(text)
    except ValueError as error:
        raise RowRejected(column, text, "not a date (DD/MM/YYYY).") from error


class _Mapper:
    def __init__(self, minter: IriMinter, countries: CountryTable, cci_codes: frozenset[str], source: URIRef):
        self.minter, self.countries, self.cci_codes, self.source = minter, countries, cci_codes, source
        self.seen: set[str] = set()

    def row(self, out: Row, row: dict[str, str]) -> URIRef:
        check_fields(row)
        item = KOHESIO_ITEM.match(row["Operation_Unique_Identifier"].strip())
        if item is None:
            raise RowRejected("Operation_Unique_Identifier", row["Operation_Unique_Identifier"], "not a Kohesio item IRI.")
        if item.group(1) in self.seen:
            raise RowRejected("Operation_Unique_Identifier", item.group(1), "duplicate operation; the first row was loaded.")
        start, end = (
            _date("Operation_Start_Date", row["Operation_Start_Date"]),
            _date("Operation_End_Date", row["Operation_End_Date"]),
        )
        check_order("Operation_End_Date", start, end)
        nuts = (row.get("NUTS3_Code") or row.get("NUTS2_Code") or "").strip()
        location = row.get("Coordinates") or row.get("Location_Indicator_latitude_longitude") or ""
        if not (nuts or row["Postal_Code"].strip() or location.strip()):
            raise RowRejected("NUTS2_Code", "", "no location: a postcode, NUTS code or coordinates is required.")
        currency = row["Total_Eligible_Expenditure_Currency"].strip() or "EUR"
        if currency != "EUR":
            raise RowRejected("Total_Eligible_Expenditure_Currency", currency, "not EUR, and the export has no exchange rate.")
        alpha3 = self.countries.from_alpha2(row["CountryCode"].strip())
        if alpha3 is None:
            raise RowRejected("CountryCode", row["CountryCode"], "not a country code of the EU country table.")
        period = row["Programming_Period"].strip()
        if period not in ("2014-2020", "2021-2027"):
            raise RowRejected("Programming_Period", period, "only 2014-2020 and 2021-2027 are covered.")
        total = parse_amount("Total_Eligible_Expenditure_amount", row["Total_Eligible_Expenditure_amount"])
        eu = parse_amount("Project_EU_Budget", row["Project_EU_Budget"]) if row["Project_EU_Budget"].strip() else None
        check_within_total("Project_EU_Budget", eu, total)
        project = self.minter.entity("project", "kohesio-" + item.group(1))
        out.add(project, RDF.type, S3.Project)
        name = row["Operation_Name_English"].strip() or item.group(1)
        out.add(project, RDFS.label, text(name, "en"))
        out.add(project, DCTERMS.title, text(name, "en"))
        out.add(project, DCTERMS.identifier, plain(row.get("Operation_Local_Identifier", "").strip() or item.group(1)))
        out.add(project, OWL.sameAs, URIRef(item.group(0)))
        out.add(project, SDO.startDate, day(start))
        out.add(project, SDO.endDate, day(end))
        out.add(project, S3.country, COUNTRY[alpha3])
        if NUTS_CODE.match(nuts):
            out.add(project, S3.region, NUTS[nuts])
        money(out, project, "total-budget", S3.totalBudget, total, currency)
        if eu is not None:
            money(out, project, "eu-contribution", S3.euContribution, eu, currency)
        out.add(project, S3.programme, self.programme(out, row, period))
        for code, fund_name in zip(row["Fund_Code"].split("|"), row["Fund_Name"].split("|"), strict=False):
            if code.strip():
                out.add(project, S3.fund, fund_concept(out, self.minter, code.strip(), fund_name.strip(), self.source))
        categories = zip(
            row.get("Category_Of_Intervention", "").split("|"), row.get("Category_Label", "").split("|"), strict=False
        )
        objectives = zip(
            row.get("Thematic_Objective_ID", "").split("|"), row.get("Thematic_Objective_Label", "").split("|"), strict=False
        )
        for scheme, pairs in ((CATEGORIES, categories), (THEMATIC_OBJECTIVES, objectives)):
            for code, label in pairs:
                if code.strip():
                    out.add(project, S3.theme, theme(out, self.minter, scheme, code.strip(), label.strip(), self.source))
        for beneficiary in (b.strip() for b in row["Beneficiary_Name"].split("|") if b.strip()):
            self.beneficiary(out, project, beneficiary, alpha3)
        out.add(project, DCTERMS.source, self.source)
        self.seen.add(item.group(1))
        return project

    def programme(self, out: Row, row: dict[str, str], period: str) -> URIRef:
        cci = row["Programme_Code"].strip()
        programme = self.minter.entity(
            "programme",
            cci if re.match(r"^20\d\d[A-Z]{2}\d\d[A-Z0-9]{4}\d{3}$", cci) else "kohesio-" + slug(cci or row["Programme_Name"]),
        )
        if cci not in self.cci_codes and out.first(programme):  # a programme the CCI table does not know (2021-2027)
            out.add(programme, RDF.type, S3.Programme)
            out.add(programme, RDFS.label, text(row["Programme_Name"].strip() or cci, "en"))
            out.add(programme, S3.cciCode, plain(cci))
            out.add(programme, S3.programmingPeriod, self.minter.entity("concept", "programming-periods", period))
            out.add(programme, DCTERMS.source, self.source)
        return programme

    def beneficiary(self, out: Row, project: URIRef, name: str, alpha3: str) -> None:
        key = slug(f"{name}-{alpha3}")
        organisation = self.minter.entity("organisation", "kohesio-" + key)
        participation = URIRef(f"{project}/participation/kohesio-{key}")
        if out.first(organisation):
            out.add(organisation, RDF.type, S3.Organisation)
            out.add(organisation, RDFS.label, text(name, "und"))  # a legal name; the export states no language
            out.add(organisation, S3.country, COUNTRY[alpha3])
            out.add(organisation, DCTERMS.source, self.source)
        out.add(project, S3.hasParticipation, participation)
        out.add(participation, RDF.type, S3.Participation)
        out.add(participation, S3.participant, organisation)
        out.add(participation, S3.partnerRole, self.minter.entity("concept", "partner-roles", "participant"))
        out.add(participation, DCTERMS.source, self.source)


def load_kohesio_projects(
    path: Path,
    display: str,
    minter: IriMinter,
    countries: CountryTable,
    cci_codes: frozenset[str],
    sink: TripleSink,
    progress: Progress | None = None,
) -> tuple[KohesioLoad, list[SourceProblem]]:
    result = KohesioLoad(summary=Summary(display))
    rows = read_rows(path, display, REQUIRED + OPTIONAL, ",", required=REQUIRED)
    if isinstance(rows, SourceProblem):
        return result, [rows]
    source = source_document(sink, minter, "kohesio", "Kohesio", path, display)
    mapper = _Mapper(minter, countries, cci_codes, source)

    def handle(line: int, row: dict[str, str]) -> bool:
        with sink.row() as out:
            project = mapper.row(out, row)
        result.origins[project] = Origin(display, line, project.rsplit("-", 1)[-1])
        return False

    result.summary.account(rows, handle, progress)
    return result, []
