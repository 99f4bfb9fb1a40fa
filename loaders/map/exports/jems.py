"""Loader for Interreg 2021-2027 partner lists as Jems-based monitoring systems publish them:
one row per partner and project (programme, project, partner, role LP/PP/AP, partner budget,
start and end dates, NUTS region name, policy objective PO1-PO5 and specific objective such as
RSO1.1 or ISO6.2, country in the publisher's language), as JSON (a list of row objects), CSV or
XLSX with the same columns.

Column names come from a declared table per publisher (data/reference/jems-publishers.yaml);
the table whose columns a file has is used. Specific objective codes become SKOS concepts of the
2021-2027 objective scheme (data/reference/specific-objectives-2021-2027.csv), each under its
policy objective. Programmes named like a known programme are that programme, so projects meet
their keep.eu and Kohesio rows (reconciliation: same programme and name).
"""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter
from loaders.core.iris import slug as _slug
from loaders.core.origins import Origin
from loaders.core.paths import REFERENCE_DIR
from loaders.core.progress import Progress
from loaders.core.terms import Row, TripleSink, day, plain, text
from loaders.core.vocab import COUNTRY, NUTS, S3
from loaders.map.delimited import NotText
from loaders.map.publishers import header_and_rows, parse_day, pick_table, read_tables, table_records, value_maps
from loaders.map.reference.countries import CountryTable
from loaders.map.reference.nuts import NutsTable, UnknownRegion
from loaders.map.reference.objectives import ObjectiveConcepts, objective_code
from loaders.map.tabular import (
    ProgrammeNames,
    RowRejected,
    Summary,
    check_order,
    money,
    parse_amount,
    programme_by_name,
    source_document,
)

REFERENCE = REFERENCE_DIR
PUBLISHERS_FILE = REFERENCE / "jems-publishers.yaml"
REQUIRED = ["programme", "project", "partner", "role", "budget", "start", "end", "region", "policy_objective",
            "specific_objective", "country"]  # fmt: skip
ROLE_CONCEPTS = {"LP": "lead-partner", "PP": "partner", "AP": "associated-partner"}


@dataclass
class JemsLoad:
    summary: Summary = field(default_factory=lambda: Summary(""))
    origins: dict[URIRef, Origin] = field(default_factory=dict)


@lru_cache(maxsize=65_536)
def slug(text: str) -> str:
    """iris.slug, remembered: programme, project and partner names repeat row after row."""
    return _slug(text)


class _Mapper:
    def __init__(self, minter: IriMinter, countries: CountryTable, programmes: ProgrammeNames, source: URIRef):
        self.minter, self.countries, self.programmes, self.source = minter, countries, programmes, source
        self.objectives = ObjectiveConcepts(minter, source)
        self.regions = NutsTable.read()
        self.leads: set[URIRef] = set()

    def region(self, name: str, alpha3: str) -> str | None:
        """The NUTS code of a region name as the row gives it (in the row's country), None if blank."""
        if not name.strip():
            return None
        try:
            return self.regions.resolve(name, self.countries.nuts_prefix(alpha3))
        except UnknownRegion as error:
            raise RowRejected("region", name, str(error)) from None

    def role(self, out: Row, code: str) -> URIRef:
        concept = self.minter.entity("concept", "partner-roles", ROLE_CONCEPTS[code])
        if code == "AP" and out.first(concept):  # the seeds name lead partners and partners, not this one
            out.add(concept, RDF.type, SKOS.Concept)
            out.add(concept, RDF.type, S3.PartnerRole)
            out.add(concept, RDFS.label, text("Associated partner", "en"))
            out.add(concept, SKOS.prefLabel, text("Associated partner", "en"))
            out.add(concept, SKOS.notation, plain("AP"))
            out.add(concept, SKOS.inScheme, self.minter.entity("scheme", "partner-roles"))
            out.add(concept, DCTERMS.source, self.source)
        return concept

    def row(self, out: Row, fields: dict[str, str], roles: dict[str, str]) -> URIRef:
        for name in ("programme", "project", "partner"):
            if not fields[name].strip():
                raise RowRejected(name, "", f"a partner row needs its {name}.")
        role = roles.get(fields["role"].strip().casefold())
        if role is None:
            raise RowRejected("role", fields["role"], "not a partner role: use LP (lead), PP (partner) or AP (associated).")
        budget = parse_amount("budget", fields["budget"]) if fields["budget"].strip() else None
        if role == "AP" and budget:
            raise RowRejected("budget", fields["budget"], "an associated partner (AP) has no share of the budget.")
        start, end = parse_day("start", fields["start"]), parse_day("end", fields["end"])
        check_order("end", start, end)
        code = objective_code(fields["specific_objective"])  # "" when the row gives none: unknown, not wrong
        if code and (code not in self.objectives.objectives.codes or not self.objectives.objectives.codes[code][0]):
            raise RowRejected(
                "specific_objective", fields["specific_objective"],
                "not a 2021-2027 specific objective code (RSO1.1-RSO5.2, ISO4.1-ISO4.9, ISO6.1-ISO6.6, ISO7.1-ISO7.4).",
            )  # fmt: skip
        policy = objective_code(fields["policy_objective"])
        if code and policy and policy != self.objectives.objectives.codes[code][0]:
            raise RowRejected(
                "policy_objective", fields["policy_objective"], f"{code} belongs to {self.objectives.objectives.codes[code][0]}."
            )
        alpha3 = self.countries.from_name(fields["country"])
        if alpha3 is None:
            raise RowRejected("country", fields["country"], "not a country name of the EU country table (in any EU language).")
        region = self.region(fields["region"], alpha3)
        programme_name, project_name, partner = fields["programme"].strip(), fields["project"].strip(), fields["partner"].strip()
        project = self.minter.entity("project", "jems-" + slug(programme_name), slug(project_name))
        organisation = self.minter.entity("organisation", "jems-" + slug(f"{partner}-{alpha3}"))
        participation = URIRef(f"{project}/participation/jems-{slug(partner + '-' + alpha3)}")
        if not out.first(participation):
            raise RowRejected("partner", partner, "this partner is already in this project; the first row was loaded.")
        if role == "LP":
            if project in self.leads:
                raise RowRejected("role", fields["role"], "this project already has a lead partner; a project has at most one.")
            self.leads.add(project)
        if out.first(project):
            acronym = fields.get("acronym", "").strip()
            out.add(project, RDF.type, S3.Project)
            out.add(project, RDFS.label, text(acronym or project_name, "en"))
            out.add(project, DCTERMS.title, text(project_name, "en"))
            if acronym:
                out.add(project, S3.acronym, plain(acronym))
            out.add(project, SDO.startDate, day(start))
            out.add(project, SDO.endDate, day(end))
            out.add(
                project,
                S3.programme,
                programme_by_name(out, self.minter, self.programmes, programme_name, "2021-2027", self.source),
            )
            if code:
                out.add(project, S3.specificObjective, self.objectives.concept(out, code))
            out.add(project, DCTERMS.source, self.source)
        if out.first(organisation):
            out.add(organisation, RDF.type, S3.Organisation)
            out.add(organisation, RDFS.label, text(partner, "und"))
            out.add(organisation, S3.country, COUNTRY[alpha3])
            out.add(organisation, DCTERMS.source, self.source)
        if region is not None:  # per participation: one organisation may take part from several regions
            out.add(participation, S3.region, NUTS[region])
            out.add(organisation, S3.region, NUTS[region])
        out.add(project, S3.hasParticipation, participation)
        out.add(participation, RDF.type, S3.Participation)
        out.add(participation, S3.participant, organisation)
        out.add(participation, S3.partnerRole, self.role(out, role))
        out.add(participation, DCTERMS.source, self.source)
        if budget is not None:
            money(out, participation, "budget", S3.partnerBudget, budget)
        return project


def load_jems_partners(
    path: Path,
    display: str,
    minter: IriMinter,
    countries: CountryTable,
    programmes: ProgrammeNames,
    sink: TripleSink,
    progress: Progress | None = None,
) -> tuple[JemsLoad, list[SourceProblem]]:
    result = JemsLoad(summary=Summary(display))
    tables = read_tables(PUBLISHERS_FILE)
    try:
        header, rows, dialect = header_and_rows(path)
        chosen = pick_table(header, tables, REQUIRED, "a Jems partner list", PUBLISHERS_FILE)
    except (UnicodeDecodeError, ValueError, OSError, zipfile.BadZipFile, csv.Error, NotText) as error:
        fix = "give the partner list as JSON (a list of row objects), CSV or XLSX, as the monitoring system exports it."
        return result, [SourceProblem(display, f"cannot be read as a Jems partner list: {error}.", fix=fix)]
    if isinstance(chosen, SourceProblem):
        return result, [SourceProblem(display, chosen.message, line=1, fix=chosen.fix)]
    _, table, found = chosen
    result.summary.ignored_columns, result.summary.dialect = found.ignored, dialect
    roles = {str(k).strip().casefold(): str(v) for k, v in table.get("roles", {}).items()} | value_maps(table).get("role", {})
    roles |= {code.casefold(): code for code in ROLE_CONCEPTS}  # a role `values:` already spelled as a code
    source = source_document(sink, minter, "jems", "Jems partner list", path, display)
    mapper = _Mapper(minter, countries, programmes, source)

    def handle(line: int, fields: dict[str, str]) -> bool:
        with sink.row() as out:
            project = mapper.row(out, fields, roles)
        result.origins.setdefault(project, Origin(display, line, fields["project"]))
        return False

    result.summary.account(table_records(rows, table, found), handle, progress)
    return result, []
