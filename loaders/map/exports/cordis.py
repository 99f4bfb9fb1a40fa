"""Loader for the CORDIS bulk export (EU research projects): `project.csv` and `organization.csv`,
semicolon-separated and fully quoted, amounts with a dot or a decimal comma, EU country codes.

Projects become s3:Project under a programme per framework programme; organisations become
s3:Organisation with a participation (coordinator, participant, partner, third party) in each
project. Bad rows are rejected with file, row, column and reason; the rest load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.progress import Progress
from loaders.core.terms import Row, TripleSink, day, plain, text
from loaders.core.vocab import COUNTRY, S3
from loaders.map.reference.countries import CountryTable
from loaders.map.tabular import (
    RowRejected,
    Summary,
    check_fields,
    check_order,
    check_within_total,
    money,
    parse_amount,
    parse_date,
    read_rows,
    source_document,
    theme,
)

PROJECT_COLUMNS = [
    "id",
    "acronym",
    "status",
    "title",
    "startDate",
    "endDate",
    "totalCost",
    "ecMaxContribution",
    "legalBasis",
    "topics",
    "ecSignatureDate",
    "frameworkProgramme",
    "masterCall",
    "subCall",
    "fundingScheme",
    "objective",
    "contentUpdateDate",
    "rcn",
    "grantDoi",
    "keywords",
]
PROJECT_REQUIRED = [  # the columns the mapping reads; the others may be missing
    "id", "acronym", "title", "startDate", "endDate", "totalCost", "ecMaxContribution", "frameworkProgramme", "topics",
]  # fmt: skip
ORGANISATION_COLUMNS = [
    "projectID",
    "projectAcronym",
    "organisationID",
    "vatNumber",
    "name",
    "shortName",
    "SME",
    "activityType",
    "street",
    "postCode",
    "city",
    "country",
    "nutsCode",
    "geolocation",
    "organizationURL",
    "contactForm",
    "contentUpdateDate",
    "rcn",
    "order",
    "role",
    "ecContribution",
    "netEcContribution",
    "totalCost",
    "endOfParticipation",
    "active",
]
ORGANISATION_REQUIRED = ["projectID", "organisationID", "name", "country", "role"]
# framework programme → (label, programming period concept id)
FRAMEWORKS = {"H2020": ("Horizon 2020", "2014-2020"), "HORIZON": ("Horizon Europe", "2021-2027")}
TOPICS = ("cordis-topics", "CORDIS topics")
ROLES = {"coordinator": "coordinator", "participant": "participant", "partner": "partner", "thirdParty": "third-party"}


@dataclass
class CordisLoad:
    summary: Summary = field(default_factory=lambda: Summary(""))
    origins: dict[URIRef, Origin] = field(default_factory=dict)
    projects: set[str] = field(default_factory=set)


def load_projects(
    path: Path, display: str, minter: IriMinter, sink: TripleSink, progress: Progress | None = None
) -> tuple[CordisLoad, list[SourceProblem]]:
    result = CordisLoad(summary=Summary(display))
    rows = read_rows(path, display, PROJECT_COLUMNS, ";", required=PROJECT_REQUIRED)
    if isinstance(rows, SourceProblem):
        return result, [rows]
    source = source_document(sink, minter, "cordis-projects", "CORDIS", path, display)

    def handle(line: int, row: dict[str, str]) -> bool:
        with sink.row() as out:
            _project(out, minter, source, row, result)
        result.origins[minter.entity("project", "cordis-" + row["id"])] = Origin(display, line, row["id"])
        return False

    result.summary.account(rows, handle, progress)
    return result, []


def _project(out: Row, minter: IriMinter, source: URIRef, row: dict[str, str], result: CordisLoad) -> None:
    check_fields(row)
    ident = row["id"].strip()
    if not ident.isdigit():
        raise RowRejected("id", ident, "a CORDIS project id is a number.")
    if ident in result.projects:
        raise RowRejected("id", ident, "duplicate project id; the first row with it was loaded.")
    if not row["acronym"].strip():
        raise RowRejected("acronym", "", "a project needs an acronym.")
    framework = FRAMEWORKS.get(row["frameworkProgramme"])
    if framework is None:
        raise RowRejected("frameworkProgramme", row["frameworkProgramme"], f"not one of {', '.join(FRAMEWORKS)}.")
    start, end = parse_date("startDate", row["startDate"]), parse_date("endDate", row["endDate"])
    check_order("endDate", start, end)
    total = parse_amount("totalCost", row["totalCost"])
    contribution = parse_amount("ecMaxContribution", row["ecMaxContribution"])
    check_within_total("ecMaxContribution", contribution, total)
    project = minter.entity("project", "cordis-" + ident)
    out.add(project, RDF.type, S3.Project)
    out.add(project, RDFS.label, text(row["acronym"].strip(), "en"))
    out.add(project, S3.acronym, plain(row["acronym"].strip()))
    out.add(project, DCTERMS.title, text(row["title"].strip(), "en"))
    out.add(project, DCTERMS.identifier, plain(ident))
    out.add(project, SDO.startDate, day(start))
    out.add(project, SDO.endDate, day(end))
    money(out, project, "total-budget", S3.totalBudget, total)
    money(out, project, "eu-contribution", S3.euContribution, contribution)
    out.add(project, DCTERMS.source, source)
    for topic in (t.strip() for t in row["topics"].split(";") if t.strip()):
        out.add(project, S3.theme, theme(out, minter, TOPICS, topic, topic, source))
    programme = minter.entity("programme", "cordis-" + row["frameworkProgramme"])
    out.add(project, S3.programme, programme)
    if out.first(programme):
        out.add(programme, RDF.type, S3.Programme)
        out.add(programme, RDFS.label, text(framework[0], "en"))
        out.add(programme, S3.programmingPeriod, minter.entity("concept", "programming-periods", framework[1]))
        out.add(programme, DCTERMS.source, source)
    result.projects.add(ident)


def load_organisations(
    path: Path,
    display: str,
    minter: IriMinter,
    countries: CountryTable,
    projects: set[str],
    sink: TripleSink,
    progress: Progress | None = None,
) -> tuple[CordisLoad, list[SourceProblem]]:
    result = CordisLoad(summary=Summary(display))
    rows = read_rows(path, display, ORGANISATION_COLUMNS, ";", required=ORGANISATION_REQUIRED)
    if isinstance(rows, SourceProblem):
        return result, [rows]
    source = source_document(sink, minter, "cordis-organisations", "CORDIS", path, display)

    def handle(line: int, row: dict[str, str]) -> bool:
        with sink.row() as out:
            merged = _participation(out, minter, source, row, countries, projects)
        if not merged:
            organisation = minter.entity("organisation", "cordis-" + row["organisationID"])
            result.origins[organisation] = Origin(display, line, row["organisationID"])
        return merged

    result.summary.account(rows, handle, progress)
    return result, []


def _participation(
    out: Row,
    minter: IriMinter,
    source: URIRef,
    row: dict[str, str],
    countries: CountryTable,
    projects: set[str],
) -> bool:
    """Add one row; True when its organisation was already loaded from an earlier row (merged)."""
    check_fields(row)
    if row["projectID"] not in projects:
        raise RowRejected(
            "projectID", row["projectID"], "no loaded project has this id (is project.csv loaded, and was its row accepted?)."
        )
    org_id = row["organisationID"].strip()
    if not org_id.isdigit():
        raise RowRejected("organisationID", org_id, "a CORDIS organisation id is a number.")
    alpha3 = countries.from_alpha2(row["country"].strip())
    if alpha3 is None:
        raise RowRejected(
            "country", row["country"], "not a country code of the EU country table (EU codes such as EL and UK are understood)."
        )
    role = ROLES.get(row["role"])
    if role is None:
        raise RowRejected("role", row["role"], f"not one of {', '.join(ROLES)}.")
    budget = parse_amount("totalCost", row["totalCost"])
    organisation = minter.entity("organisation", "cordis-" + org_id)
    project = minter.entity("project", "cordis-" + row["projectID"])
    participation = URIRef(f"{project}/participation/cordis-{org_id}")
    if not out.first(participation):
        raise RowRejected(
            "organisationID", org_id, "this organisation already takes part in this project; the first row was loaded."
        )
    first = out.first(organisation)
    if first:  # the first row describes the organisation; later ones only add participations
        out.add(organisation, RDF.type, S3.Organisation)
        out.add(organisation, RDFS.label, text(row["name"].strip(), "und"))  # a legal name: no language stated
        out.add(organisation, S3.country, COUNTRY[alpha3])
        out.add(organisation, DCTERMS.identifier, plain(org_id))
        out.add(organisation, DCTERMS.source, source)
    out.add(project, S3.hasParticipation, participation)
    out.add(participation, RDF.type, S3.Participation)
    out.add(participation, S3.participant, organisation)
    out.add(participation, S3.partnerRole, minter.entity("concept", "partner-roles", role))
    money(out, participation, "budget", S3.partnerBudget, budget)
    out.add(participation, DCTERMS.source, source)
    return not first
