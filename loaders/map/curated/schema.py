"""The record types of the curated sources and how each field maps to RDF.

This table is the whole mapping: `mapper.py` interprets it generically. A domain editor
reading `data/curated/*.yaml` can look up here which property a field becomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from rdflib import OWL, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.vocab import S3


class Kind(Enum):
    TEXT = "text"  # a plain string
    LANGTEXT = "langtext"  # {lang: text, ...}
    LANGTEXT_LIST = "langtext-list"  # [{lang: text}, ...]
    INT = "int"  # non-negative integer
    BOOL = "bool"
    DATE = "date"  # YYYY-MM-DD
    IRI = "iri"  # http(s) IRI
    REF = "ref"  # id of another record
    COUNTRY = "country"  # EU authority country code (alpha-3)
    REGION = "region"  # NUTS 2021 code (level 0 for a whole country)
    LANGUAGE = "language"  # EU authority language code (alpha-3)
    AMOUNT = "amount"  # {amount, currency, approximate}
    FILE = "file"  # path under data/, checksummed
    CLASS = "class"  # chooses the record's classes
    MEMBER_CLASS = "member-class"  # a concept scheme's member class
    SCHEME = "scheme"  # a concept's scheme (inScheme + member class)
    PERSONS = "persons"  # list of person names
    SUB = "sub"  # nested records
    PASSAGES = "passages"  # the passages of the cited documents that state the record's values


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    predicate: URIRef | None = None
    required: bool = False
    many: bool = False
    target: str | None = None  # record type a REF points to
    must_be: URIRef | None = None  # class the referenced record must have
    inverse: bool = False  # emit <target> predicate <this> instead
    choices: Mapping[str, tuple[URIRef, ...]] = field(default_factory=dict)
    sub: RecordType | None = None
    key: str | None = None  # SUB: field whose value names the sub-record; else its position


@dataclass(frozen=True)
class RecordType:
    name: str
    collection: str  # IRI path segment
    classes: tuple[URIRef, ...]
    fields: tuple[Field, ...]
    label_predicates: tuple[URIRef, ...] = (RDFS.label,)
    needs_source: bool = True
    shorthand: str | None = None  # SUB items may be written as this field's bare value

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def ref(name: str, predicate: URIRef, target: str, must_be: URIRef | None = None, **kw: object) -> Field:
    return Field(name, Kind.REF, predicate, target=target, must_be=must_be, **kw)  # type: ignore[arg-type]


def concept_refs(name: str, predicate: URIRef, must_be: URIRef) -> Field:
    return ref(name, predicate, "concept", must_be, many=True)


COMMON = (
    Field("id", Kind.TEXT, required=True),
    Field("type", Kind.TEXT, required=True),
    Field("label", Kind.LANGTEXT, required=True),
    Field("alt_label", Kind.LANGTEXT, SKOS.altLabel),
    Field("description", Kind.LANGTEXT, DCTERMS.description),
    Field("note", Kind.LANGTEXT, SKOS.note),
    Field("same_as", Kind.IRI, OWL.sameAs, many=True),
    Field("source", Kind.REF, DCTERMS.source, required=True, many=True, target="source-document"),
    Field("passages", Kind.PASSAGES),
)

AMOUNT_CLASS = S3.MonetaryAmount
CONCEPT_CLASSES = {
    name: (getattr(S3, name),)
    for name in [
        "S3Domain",
        "Sector",
        "TargetGroup",
        "OrganisationType",
        "ActivityType",
        "PartnerRole",
        "ProgrammingPeriod",
        "CooperationStrand",
        "Fund",
        "GlossaryTerm",
    ]
}

EXAMPLE = RecordType(
    "example", "example", (S3.ActionExample,), (Field("label", Kind.LANGTEXT, required=True),), shorthand="label"
)
PARTICIPATION = RecordType(
    "participation",
    "participation",
    (S3.Participation,),
    (
        ref("organisation", S3.participant, "organisation", required=True),
        ref("role", S3.partnerRole, "concept", S3.PartnerRole, required=True),
        Field("budget", Kind.AMOUNT, S3.partnerBudget),
    ),
)
AXIS_CONTRIBUTION = RecordType(
    "axis-contribution",
    "axis-contribution",
    (S3.AxisContribution,),
    (
        ref("axis", S3.priorityAxis, "objective", S3.PriorityAxis, required=True),
        Field("projects", Kind.INT, S3.projectCount, required=True),
    ),
)
ELEMENT = RecordType(
    "element",
    "element",
    (S3.MethodElement,),
    (Field("label", Kind.LANGTEXT, required=True), Field("description", Kind.LANGTEXT, DCTERMS.description)),
)
PUBLICATION = RecordType(
    "publication",
    "publication",
    (S3.Publication,),
    (
        Field("title", Kind.LANGTEXT, DCTERMS.title, required=True),
        Field("media_type", Kind.TEXT, DCTERMS["format"]),
        Field("extent", Kind.TEXT, DCTERMS.extent),
    ),
)

RECORD_TYPES: dict[str, RecordType] = {
    t.name: t
    for t in (
        RecordType(
            "source-document",
            "source",
            (S3.SourceDocument,),
            (
                *[f for f in COMMON if f.name not in ("source", "passages")],
                Field("file", Kind.FILE, required=True),
                Field("language", Kind.LANGUAGE, DCTERMS.language, required=True),
                Field("machine_translated", Kind.BOOL, S3.machineTranslated),
                Field("url", Kind.IRI, SDO.url),
            ),
            needs_source=False,
        ),
        RecordType(
            "concept-scheme",
            "scheme",
            (SKOS.ConceptScheme,),
            (*COMMON, Field("member_class", Kind.MEMBER_CLASS, required=True, choices=CONCEPT_CLASSES)),
            label_predicates=(RDFS.label, SKOS.prefLabel),
        ),
        RecordType(
            "concept",
            "concept",
            (SKOS.Concept,),
            (
                *COMMON,
                Field("scheme", Kind.SCHEME, SKOS.inScheme, required=True, target="concept-scheme"),
                Field("definition", Kind.LANGTEXT, SKOS.definition),
                Field("notation", Kind.TEXT, SKOS.notation),
                Field("exact_match", Kind.IRI, SKOS.exactMatch, many=True),
            ),
            label_predicates=(RDFS.label, SKOS.prefLabel),
        ),
        RecordType(
            "programme",
            "programme",
            (S3.Programme,),
            (
                *COMMON,
                Field("cci", Kind.TEXT, S3.cciCode),
                Field("generation", Kind.TEXT, S3.interregGeneration),
                ref("strand", S3.cooperationStrand, "concept", S3.CooperationStrand),
                ref("period", S3.programmingPeriod, "concept", S3.ProgrammingPeriod, required=True),
                concept_refs("fund", S3.fund, S3.Fund),
                Field("territory", Kind.REGION, S3.territory, many=True),
            ),
        ),
        RecordType(
            "objective",
            "objective",
            (S3.Objective,),
            (
                *COMMON,
                Field(
                    "objective_type",
                    Kind.CLASS,
                    required=True,
                    choices={
                        "priority-axis": (S3.PriorityAxis,),
                        "policy-objective": (S3.PolicyObjective,),
                        "specific-objective": (S3.SpecificObjective,),
                    },
                ),
                ref("programme", S3.hasObjective, "programme", required=True, inverse=True),
                ref("broader", S3.broaderObjective, "objective"),
                Field("notation", Kind.TEXT, SKOS.notation),
                concept_refs("sectors", S3.prioritySector, S3.Sector),
                concept_refs("target_groups", S3.targetGroup, S3.TargetGroup),
                Field("examples", Kind.SUB, S3.exampleAction, many=True, sub=EXAMPLE),
            ),
        ),
        RecordType(
            "organisation",
            "organisation",
            (S3.Organisation,),
            (
                *COMMON,
                ref("org_type", S3.organisationType, "concept", S3.OrganisationType),
                Field("country", Kind.COUNTRY, S3.country),
                Field("region", Kind.REGION, S3.region),
            ),
        ),
        RecordType("place", "place", (S3.Place,), (*COMMON, Field("country", Kind.COUNTRY, S3.country))),
        RecordType(
            "project",
            "project",
            (S3.Project,),
            (
                *COMMON,
                Field(
                    "project_type",
                    Kind.CLASS,
                    required=True,
                    choices={"project": (), "portfolio": (S3.Portfolio,)},
                ),
                Field("acronym", Kind.TEXT, S3.acronym, required=True),
                Field("title", Kind.LANGTEXT, DCTERMS.title),
                Field("aim", Kind.LANGTEXT, S3.aim),
                Field("expected_results", Kind.LANGTEXT_LIST, S3.expectedResult),
                ref("programme", S3.programme, "programme", required=True),
                ref("priority_axes", S3.priorityAxis, "objective", S3.PriorityAxis, many=True),
                ref("specific_objectives", S3.specificObjective, "objective", S3.SpecificObjective, many=True),
                concept_refs("fund", S3.fund, S3.Fund),
                Field("start", Kind.DATE, SDO.startDate),
                Field("end", Kind.DATE, SDO.endDate),
                Field("total_budget", Kind.AMOUNT, S3.totalBudget),
                Field("eu_contribution", Kind.AMOUNT, S3.euContribution),
                ref("follows_up", S3.followsUp, "project"),
                Field("project_count", Kind.INT, S3.projectCount),
                Field("partner_count", Kind.INT, S3.partnerCount),
                Field("country_count", Kind.INT, S3.countryCount),
                Field("partner_countries", Kind.COUNTRY, S3.partnerCountry, many=True),
                concept_refs("partner_org_types", S3.partnerOrganisationType, S3.OrganisationType),
                concept_refs("domains", S3.s3Domain, S3.S3Domain),
                concept_refs("activity_types", S3.activityType, S3.ActivityType),
                concept_refs("target_groups", S3.targetGroup, S3.TargetGroup),
                concept_refs("subject", S3.subject, S3.GlossaryTerm),
                ref("develops", S3.develops, "method", many=True),
                ref("implements", S3.implements, "method", many=True),
                Field("axis_contributions", Kind.SUB, S3.hasAxisContribution, many=True, sub=AXIS_CONTRIBUTION, key="axis"),
                Field("participations", Kind.SUB, S3.hasParticipation, many=True, sub=PARTICIPATION, key="organisation"),
            ),
        ),
        RecordType(
            "event",
            "event",
            (S3.Event,),
            (
                *COMMON,
                ref("project", S3.hasEvent, "project", required=True, inverse=True),
                Field("start", Kind.DATE, SDO.startDate, required=True),
                Field("end", Kind.DATE, SDO.endDate),
                ref("location", SDO.location, "place"),
                Field("featured_people", Kind.PERSONS, S3.featuredPerson, many=True),
                ref("attending_organisations", S3.attendingOrganisation, "organisation", many=True),
            ),
        ),
        RecordType(
            "method",
            "method",
            (S3.Method,),
            (
                *COMMON,
                Field("step_count", Kind.INT, S3.stepCount),
                Field("elements", Kind.SUB, S3.hasElement, many=True, sub=ELEMENT),
                Field("publications", Kind.SUB, S3.publication, many=True, sub=PUBLICATION),
            ),
        ),
    )
}
