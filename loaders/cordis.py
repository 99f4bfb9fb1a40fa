"""Loader for the CORDIS bulk export (EU research projects): `project.csv` and `organization.csv`,
semicolon-separated and fully quoted, amounts with a dot or a decimal comma, EU country codes.

Projects become s3:Project under a programme per framework programme; organisations become
s3:Organisation with a participation (coordinator, participant, partner, third party) in each
project. Bad rows are rejected with file, row, column and reason; the rest load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.country_table import CountryTable
from loaders.curated.mapper import canonical_decimal
from loaders.errors import SourceProblem
from loaders.iris import IriMinter
from loaders.tabular import RowRejected, Summary, describe_file, parse_amount, parse_date, read_rows, theme
from loaders.validation import Origin
from loaders.vocab import COUNTRY, CURRENCY, S3

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
# framework programme → (label, programming period concept id)
FRAMEWORKS = {"H2020": ("Horizon 2020", "2014-2020"), "HORIZON": ("Horizon Europe", "2021-2027")}
TOPICS = ("cordis-topics", "CORDIS topics")
ROLES = {"coordinator": "coordinator", "participant": "participant", "partner": "partner", "thirdParty": "third-party"}


@dataclass
class CordisLoad:
    graph: Graph = field(default_factory=Graph)
    summary: Summary = field(default_factory=lambda: Summary(""))
    origins: dict[URIRef, Origin] = field(default_factory=dict)
    projects: set[str] = field(default_factory=set)


def _source(graph: Graph, minter: IriMinter, kind: str, path: Path, display: str) -> URIRef:
    source = minter.entity("source", kind)
    describe_file(graph, source, f"CORDIS export {path.name}", path, display)
    return source


def _amount(graph: Graph, owner: URIRef, name: str, value: str, column: str) -> URIRef:
    node = URIRef(f"{owner}/{name}")
    graph.add((node, RDF.type, S3.MonetaryAmount))
    graph.add((node, SDO.value, Literal(canonical_decimal(parse_amount(column, value)), datatype=XSD.decimal)))
    graph.add((node, S3.currency, CURRENCY.EUR))
    graph.add((node, S3.isApproximate, Literal(False)))
    return node


def load_projects(
    path: Path, display: str, minter: IriMinter, progress: Callable[[str], None] | None = None
) -> tuple[CordisLoad, list[SourceProblem]]:
    result = CordisLoad(summary=Summary(display))
    rows, problem = read_rows(path, display, PROJECT_COLUMNS, ";")
    if problem is not None or rows is None:
        return result, [problem] if problem else []
    graph = result.graph
    source = _source(graph, minter, "cordis-projects", path, display)

    def handle(line: int, row: dict[str, str]) -> bool:
        _project(graph, minter, source, row, result)
        result.origins[minter.entity("project", "cordis-" + row["id"])] = Origin(display, line, row["id"])
        return False

    result.summary.account(rows, handle, progress)
    return result, []


def _project(graph: Graph, minter: IriMinter, source: URIRef, row: dict[str, str], result: CordisLoad) -> None:
    if "__width__" in row:
        raise RowRejected("(row)", row["__width__"], f"has {row['__width__']} fields instead of {len(PROJECT_COLUMNS)}.")
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
    project = minter.entity("project", "cordis-" + ident)
    scratch = Graph()  # nothing of a rejected row reaches the graph
    scratch.add((project, RDF.type, S3.Project))
    scratch.add((project, RDFS.label, Literal(row["acronym"].strip(), lang="en")))
    scratch.add((project, S3.acronym, Literal(row["acronym"].strip())))
    scratch.add((project, DCTERMS.title, Literal(row["title"].strip(), lang="en")))
    scratch.add((project, DCTERMS.identifier, Literal(ident)))
    scratch.add((project, SDO.startDate, Literal(start, datatype=XSD.date)))
    scratch.add((project, SDO.endDate, Literal(end, datatype=XSD.date)))
    scratch.add((project, S3.totalBudget, _amount(scratch, project, "total-budget", row["totalCost"], "totalCost")))
    scratch.add(
        (project, S3.euContribution, _amount(scratch, project, "eu-contribution", row["ecMaxContribution"], "ecMaxContribution"))
    )
    scratch.add((project, DCTERMS.source, source))
    for topic in (t.strip() for t in row["topics"].split(";") if t.strip()):
        scratch.add((project, S3.theme, theme(scratch, minter, TOPICS, topic, topic, source)))
    programme = minter.entity("programme", "cordis-" + row["frameworkProgramme"])
    scratch.add((project, S3.programme, programme))
    scratch.add((programme, RDF.type, S3.Programme))
    scratch.add((programme, RDFS.label, Literal(framework[0], lang="en")))
    scratch.add((programme, S3.programmingPeriod, minter.entity("concept", "programming-periods", framework[1])))
    scratch.add((programme, DCTERMS.source, source))
    graph += scratch
    result.projects.add(ident)


def load_organisations(
    path: Path,
    display: str,
    minter: IriMinter,
    countries: CountryTable,
    projects: set[str],
    progress: Callable[[str], None] | None = None,
) -> tuple[CordisLoad, list[SourceProblem]]:
    result = CordisLoad(summary=Summary(display))
    rows, problem = read_rows(path, display, ORGANISATION_COLUMNS, ";")
    if problem is not None or rows is None:
        return result, [problem] if problem else []
    source = _source(result.graph, minter, "cordis-organisations", path, display)
    seen: set[str] = set()

    def handle(line: int, row: dict[str, str]) -> bool:
        merged = _participation(result.graph, minter, source, row, countries, projects, seen)
        if not merged:
            organisation = minter.entity("organisation", "cordis-" + row["organisationID"])
            result.origins[organisation] = Origin(display, line, row["organisationID"])
        return merged

    result.summary.account(rows, handle, progress)
    return result, []


def _participation(
    graph: Graph,
    minter: IriMinter,
    source: URIRef,
    row: dict[str, str],
    countries: CountryTable,
    projects: set[str],
    seen: set[str],
) -> bool:
    """Add one row; True when its organisation was already loaded from an earlier row (merged)."""
    if "__width__" in row:
        raise RowRejected("(row)", row["__width__"], f"has {row['__width__']} fields instead of {len(ORGANISATION_COLUMNS)}.")
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
    organisation = minter.entity("organisation", "cordis-" + org_id)
    project = minter.entity("project", "cordis-" + row["projectID"])
    participation = URIRef(f"{project}/participation/cordis-{org_id}")
    scratch = Graph()
    if org_id not in seen:  # the first row describes the organisation; later ones only add participations
        scratch.add((organisation, RDF.type, S3.Organisation))
        scratch.add((organisation, RDFS.label, Literal(row["name"].strip(), lang="en")))
        scratch.add((organisation, S3.country, COUNTRY[alpha3]))
        scratch.add((organisation, DCTERMS.identifier, Literal(org_id)))
        scratch.add((organisation, DCTERMS.source, source))
    scratch.add((project, S3.hasParticipation, participation))
    scratch.add((participation, RDF.type, S3.Participation))
    scratch.add((participation, S3.participant, organisation))
    scratch.add((participation, S3.partnerRole, minter.entity("concept", "partner-roles", role)))
    scratch.add((participation, S3.partnerBudget, _amount(scratch, participation, "budget", row["totalCost"], "totalCost")))
    scratch.add((participation, DCTERMS.source, source))
    graph += scratch
    merged = org_id in seen
    seen.add(org_id)
    return merged
