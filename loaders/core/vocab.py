"""Vocabularies as closed namespaces: a misspelled term raises AttributeError.

`S3` mirrors ontology/s3kg.ttl (tests/test_ontology.py keeps the two in sync).
The EU Publications Office authority tables are open namespaces of codes.
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY_IRI = URIRef("https://w3id.org/s3kg/ontology")
SHAPES_IRI = URIRef("https://w3id.org/s3kg/shapes")


class S3(DefinedNamespace):
    """The s3kg ontology, https://w3id.org/s3kg/ontology#"""

    _NS = Namespace("https://w3id.org/s3kg/ontology#")
    _fail = True

    ActionExample: URIRef
    ActivityType: URIRef
    AxisContribution: URIRef
    CooperationStrand: URIRef
    EvidenceKind: URIRef
    EmergingTopic: URIRef
    Event: URIRef
    Fund: URIRef
    FundingRecord: URIRef
    GlossaryTerm: URIRef
    Inferred: URIRef
    Method: URIRef
    MethodElement: URIRef
    MonetaryAmount: URIRef
    Objective: URIRef
    Organisation: URIRef
    OrganisationType: URIRef
    Participation: URIRef
    PartnerRole: URIRef
    Person: URIRef
    Place: URIRef
    PolicyObjective: URIRef
    Portfolio: URIRef
    PriorityAxis: URIRef
    PriorityMatch: URIRef
    ProgrammeNameMatch: URIRef
    Programme: URIRef
    ProgrammingPeriod: URIRef
    Project: URIRef
    Publication: URIRef
    Region: URIRef
    S3Domain: URIRef
    Sector: URIRef
    SourceDocument: URIRef
    SpecificObjective: URIRef
    StatementGroup: URIRef
    Stated: URIRef
    Strategy: URIRef
    TargetGroup: URIRef
    Theme: URIRef
    Translated: URIRef
    acronym: URIRef
    activityType: URIRef
    aim: URIRef
    attendingOrganisation: URIRef
    broaderObjective: URIRef
    cciCode: URIRef
    cofinancingRate: URIRef
    cooperationStrand: URIRef
    country: URIRef
    evidence: URIRef
    countryCount: URIRef
    currency: URIRef
    develops: URIRef
    euContribution: URIRef
    exampleAction: URIRef
    expectedResult: URIRef
    featuredPerson: URIRef
    fileName: URIRef
    fundingRecord: URIRef
    followsUp: URIRef
    fund: URIRef
    hasAxisContribution: URIRef
    hasElement: URIRef
    hasEvent: URIRef
    hasObjective: URIRef
    hasParticipation: URIRef
    implements: URIRef
    interregGeneration: URIRef
    isApproximate: URIRef
    machineTranslated: URIRef
    matchedPriority: URIRef
    matchedProject: URIRef
    matchRule: URIRef
    matchedProgramme: URIRef
    matchScore: URIRef
    naceSector: URIRef
    nutsLevel: URIRef
    organisationType: URIRef
    participant: URIRef
    partnerBudget: URIRef
    partnerCount: URIRef
    partnerCountry: URIRef
    partnerOrganisationType: URIRef
    partnerRole: URIRef
    priorityAxis: URIRef
    prioritySector: URIRef
    programme: URIRef
    programmingPeriod: URIRef
    projectCount: URIRef
    publication: URIRef
    region: URIRef
    regionName: URIRef
    s3Domain: URIRef
    scienceField: URIRef
    servesPriority: URIRef
    sha256: URIRef
    socioEconomicObjective: URIRef
    sourceName: URIRef
    sharedCode: URIRef
    sharedWords: URIRef
    sharedRegion: URIRef
    specificObjective: URIRef
    stepCount: URIRef
    strategy: URIRef
    subject: URIRef
    targetGroup: URIRef
    targetsObjective: URIRef
    territory: URIRef
    theme: URIRef
    totalBudget: URIRef


class OA(DefinedNamespace):
    """The W3C Web Annotation vocabulary (the terms s3kg uses), http://www.w3.org/ns/oa#"""

    _NS = Namespace("http://www.w3.org/ns/oa#")
    _fail = True

    SpecificResource: URIRef
    TextPositionSelector: URIRef
    TextQuoteSelector: URIRef
    end: URIRef
    exact: URIRef
    hasSelector: URIRef
    hasSource: URIRef
    prefix: URIRef
    start: URIRef
    suffix: URIRef


class LDES(DefinedNamespace):
    """SEMIC Linked Data Event Streams (the terms /feed uses), https://w3id.org/ldes#"""

    _NS = Namespace("https://w3id.org/ldes#")
    _fail = True

    EventSource: URIRef
    EventStream: URIRef
    RetentionPolicy: URIRef
    immutable: URIRef
    retentionPolicy: URIRef
    timestampPath: URIRef
    versionAmount: URIRef
    versionCreateObject: URIRef
    versionDeleteObject: URIRef
    versionOfPath: URIRef
    versionUpdateObject: URIRef


class TREE(DefinedNamespace):
    """W3C TREE hypermedia (the terms /feed uses), https://w3id.org/tree#"""

    _NS = Namespace("https://w3id.org/tree#")
    _fail = True

    GreaterThanOrEqualToRelation: URIRef
    Node: URIRef
    member: URIRef
    node: URIRef
    path: URIRef
    relation: URIRef
    value: URIRef
    view: URIRef


class ACTIVITY(DefinedNamespace):
    """ActivityStreams 2.0 (the kinds of change /feed gives), https://www.w3.org/ns/activitystreams#"""

    _NS = Namespace("https://www.w3.org/ns/activitystreams#")
    _fail = True

    Create: URIRef
    Delete: URIRef
    Update: URIRef


COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
COUNTRY_SCHEME = URIRef("http://publications.europa.eu/resource/authority/country")
LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
CURRENCY = Namespace("http://publications.europa.eu/resource/authority/currency/")


def _resolved(namespace: type[DefinedNamespace]) -> None:
    """Each declared term kept as a class attribute: rdflib resolves a declared-only term on every
    access (a mapping reads millions); a term not declared still raises AttributeError."""
    for name in namespace.__annotations__:
        setattr(namespace, name, namespace._NS[name])


for _namespace in (S3, OA, LDES, TREE, ACTIVITY):
    _resolved(_namespace)

NUTS = Namespace("http://data.europa.eu/nuts/code/")
NUTS_SCHEME = URIRef("http://data.europa.eu/nuts/scheme/2021")
NACE = Namespace("http://data.europa.eu/ux2/nace2/")

# Prefixes known to every query and used when writing Turtle and JSON-LD.
PREFIXES = {
    "s3": str(S3._NS),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "oa": str(OA._NS),
    "country": str(COUNTRY),
    "nuts": str(NUTS),
}
