"""Which projects serve which strategy's priorities: rule-based matching over the merged
sources. A project serves a priority domain when it meets the strategy's region and either
shares a code with the priority (a 2021-2027 specific objective, an S3 domain, a NACE sector or
a theme) or says the same thing in its words (loaders.link.text: titles and descriptions beside
the priority's names, description, emerging topics and NACE labels, across languages). Each
rule writes its links into its own named graph, each link with an s3:PriorityMatch saying the
rule, the score, the region both share and the codes or words they share; the provenance graph
says what each rule is (as reconciliation does). A pair gets one link, by the strongest rule.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph
from rdflib.namespace import PROV

from loaders.core.iris import IriMinter
from loaders.core.keyed_reads import Inputs, Read
from loaders.core.provenance import describe_rule
from loaders.core.queries import select_values
from loaders.core.vocab import NUTS, S3
from loaders.link.text import Corpus, Similar, Terms, similar

RULES = {
    "region-and-code": (
        "1.0",
        "A partner of the project (or the project itself) is in the strategy's NUTS region, and the project shares a "
        "code with the priority domain (specific objective, S3 domain, NACE sector or theme).",
    ),
    "programme-area-and-code": (
        "0.5",
        "No partner is known to be in the strategy's region, but the project's programme area overlaps it, and the "
        "project shares a code with the priority domain. Weaker evidence: the project may work elsewhere in the area.",
    ),
    "region-and-text": (
        "similarity",
        "A partner of the project (or the project itself) is in the strategy's NUTS region, and the project's title and "
        "description use the words of the priority domain (its names, description, emerging topics and NACE labels), "
        "in any EU language: words cut to their first five letters and weighted by rarity, compared by cosine. The "
        "score is that cosine; the match names the words both use.",
    ),
}
TEXT_THRESHOLD = 0.05  # the least cosine that counts as the same subject, chosen on half the labelled set (docs/benchmarks.md)
_PROJECT_CODES = "s3:specificObjective|s3:naceSector|s3:theme"
_PRIORITY_CODES = "s3:targetsObjective|s3:naceSector"
_PRIORITY_MATCHES = "skos:exactMatch|skos:closeMatch"  # concepts elsewhere the priority means


@dataclass
class _Project:
    regions: set[str] = field(default_factory=set)  # NUTS codes of its partners, or its own
    area: set[str] = field(default_factory=set)  # NUTS codes of its programme's area
    codes: set[str] = field(default_factory=set)  # its objectives, sectors, themes and S3 domains
    domains: set[str] = field(default_factory=set)  # its own S3 domains (a portfolio's)
    sources: set[str] = field(default_factory=set)  # the documents stating it
    words: Terms = field(default_factory=Terms)  # its title and description
    vector: dict[str, float] = field(default_factory=dict)


@dataclass
class _Priority:
    region: str
    codes: set[str] = field(default_factory=set)  # its objectives and sectors, and the concepts it matches
    matches: set[str] = field(default_factory=set)  # the concepts it matches (`matches:` of the strategy file)
    sources: set[str] = field(default_factory=set)  # the documents the priority is stated from
    words: Terms = field(default_factory=Terms)  # its names, description, emerging topics and NACE labels
    vector: dict[str, float] = field(default_factory=dict)

    def shared(self, project: _Project, sources_of: dict[str, set[str]]) -> set[str]:
        """The codes the project and the priority share, less the circular ones: a concept the
        priority matches, that is one of the project's S3 domains, and that the same document
        states as the priority (a strategy written from the project's own portfolio) says only
        that the strategy copied the project's domains, not that the project serves it."""
        circular = {c for c in self.matches & project.domains if sources_of.get(c, set()) & self.sources}
        return (project.codes & self.codes) - circular


def _code(iri: str) -> str | None:
    return iri[len(str(NUTS)) :] if iri.startswith(str(NUTS)) else None


def _within(inner: str, outer: str) -> bool:
    """A NUTS region inside another (or the same): its code starts with the other's."""
    return inner.startswith(outer)


def _meeting(area: str, region: str) -> str:
    """Where a programme area and a strategy's region meet: the smaller of the two (one holds the other)."""
    return area if _within(area, region) else region


def _most_specific(regions: list[str]) -> str:
    """The deepest NUTS region (the longest code; the first in order among equals)."""
    return sorted(regions, key=lambda r: (-len(r), r))[0]


def _sources(store: ox.Store, priorities: dict[str, _Priority]) -> dict[str, set[str]]:
    """The documents stating each priority (in place) and each concept a priority matches."""
    of: dict[str, set[str]] = defaultdict(set)
    for query in _SOURCES:
        for subject, source in select_values(store, query):
            of[subject].add(source)
    for iri, priority in priorities.items():
        priority.sources = of.get(iri, set())
    return of


_SOURCES = (  # two queries, each starting from the priorities: a union with a BIND joined them to every source of the store
    "SELECT ?d ?source WHERE { ?d a s3:S3Domain ; s3:strategy ?s ; dcterms:source ?source }",
    "SELECT ?x ?source WHERE { ?d a s3:S3Domain ; s3:strategy ?s ; skos:exactMatch|skos:closeMatch ?x . "
    "?x dcterms:source ?source }",
)


_REGIONS = (
    "SELECT ?p ?r WHERE { ?p a s3:Project { ?p s3:hasParticipation/s3:participant/s3:region ?r } UNION { ?p s3:region ?r } }"
)
_TERRITORIES = "SELECT ?g ?r WHERE { ?g s3:territory ?r }"
_PROGRAMMES = "SELECT ?p ?g WHERE { ?p a s3:Project ; s3:programme ?g }"
_CODES = f"SELECT ?p ?c WHERE {{ ?p a s3:Project ; {_PROJECT_CODES} ?c }}"
_PROJECT_SOURCES = "SELECT ?p ?s WHERE { ?p a s3:Project ; dcterms:source ?s }"
_DOMAINS = "SELECT ?p ?c WHERE { ?p a s3:Project ; s3:s3Domain ?c }"
_PRIORITIES = "SELECT ?d ?r WHERE { ?d a s3:S3Domain ; s3:strategy/s3:region ?r }"
_OWN_CODES = (  # a priority's own codes, and the objectives its whole strategy targets
    f"SELECT ?d ?c WHERE {{ ?d a s3:S3Domain ; s3:strategy ?s "
    f"{{ ?d {_PRIORITY_CODES} ?c }} UNION {{ ?s s3:targetsObjective ?c }} }}"
)
_MATCHES = f"SELECT ?d ?c WHERE {{ ?d a s3:S3Domain ; s3:strategy ?s ; {_PRIORITY_MATCHES} ?c }}"


def _read(store: ox.Store, inputs: Inputs) -> tuple[dict[str, _Project], dict[str, _Priority]]:
    projects: dict[str, _Project] = defaultdict(_Project)
    for project, region in inputs.rows("regions"):
        if code := _code(region):
            projects[project].regions.add(code)
    territory: dict[str, set[str]] = defaultdict(set)  # programme → its area's codes (read once, not once per project)
    for programme, region in inputs.rows("territories"):
        if code := _code(region):
            territory[programme].add(code)
    for project, programme in inputs.rows("programmes"):
        if area := territory.get(programme):
            projects[project].area |= area
    for project, code in inputs.rows("codes"):
        projects[project].codes.add(code)
    for project, source in inputs.rows("sources"):
        projects[project].sources.add(source)
    for project, code in inputs.rows("domains"):
        projects[project].codes.add(code)
        projects[project].domains.add(code)
    priorities: dict[str, _Priority] = {}
    for priority, region in select_values(store, _PRIORITIES):
        if code := _code(region):
            priorities[priority] = _Priority(code)
    for priority, code in select_values(store, _OWN_CODES):
        if priority in priorities:
            priorities[priority].codes.add(code)
    for priority, code in select_values(store, _MATCHES):
        if priority in priorities:
            priorities[priority].codes.add(code)
            priorities[priority].matches.add(code)
    return projects, priorities


_PROJECT_TEXTS = "SELECT ?s ?t (lang(?t) AS ?l) WHERE { ?s a s3:Project ; dcterms:title|dcterms:description ?t }"
_PRIORITY_TEXTS = """SELECT ?s ?t (lang(?t) AS ?l) WHERE { ?s a s3:S3Domain ; s3:strategy ?strategy
    { ?s skos:prefLabel|skos:altLabel|skos:definition|dcterms:description ?t }
    UNION { ?topic a s3:EmergingTopic ; skos:broader ?s ; skos:prefLabel|skos:definition ?t }
    UNION { ?s s3:naceSector/skos:prefLabel ?t } }"""


# What the matcher reads of each project (and programme), kept by subject between builds
# (loaders.core.keyed_reads); the priorities, few, are read whole each time.
KEYED = (
    Read(
        "regions",
        _REGIONS,
        reach=("?subject s3:hasParticipation ?node", "?subject s3:hasParticipation/s3:participant ?node"),
    ),
    Read("territories", _TERRITORIES),
    Read("programmes", _PROGRAMMES),
    Read("codes", _CODES),
    Read("sources", _PROJECT_SOURCES),
    Read("domains", _DOMAINS),
    Read("texts", _PROJECT_TEXTS),
)
# Every query the matcher runs, and what it reads by key (the labels links are named with): the
# predicates they use decide whether a build must match again (loaders.link.reads).
QUERIES = (*(read.query for read in KEYED), _PRIORITIES, _OWN_CODES, _MATCHES, *_SOURCES, _PRIORITY_TEXTS)
READ_BY_KEY = frozenset({str(RDFS.label)})


def _read_texts(store: ox.Store, inputs: Inputs, projects: dict[str, _Project], priorities: dict[str, _Priority]) -> None:
    """Each project's and priority's words, weighted by their rarity among all of them."""
    for subject, value, language in inputs.rows("texts"):
        projects[subject].words.add(value, language)
    for subject, value, language in select_values(store, _PRIORITY_TEXTS):
        if subject in priorities:
            priorities[subject].words.add(value, language)
    corpus = Corpus([p.words for p in projects.values()] + [p.words for p in priorities.values()])
    for project in projects.values():
        project.vector = corpus.weights(project.words)
        project.words.counts.clear()  # the vector and the spellings are what is compared
    for priority in priorities.values():
        priority.vector = corpus.weights(priority.words)


class _Near:
    """Which projects meet a region: a partner in it or below it, or a programme area that
    overlaps it (indexes built once, so that a priority meets only its region's projects)."""

    def __init__(self, projects: dict[str, _Project]) -> None:
        self.within: dict[str, set[str]] = defaultdict(set)  # NUTS code → projects with a partner in it or below
        self.area_within: dict[str, set[str]] = defaultdict(set)  # → projects whose area has a region in it or below
        self.area_exact: dict[str, set[str]] = defaultdict(set)  # → projects whose area is exactly it
        for iri, project in projects.items():
            for region in project.regions:
                for end in range(2, len(region) + 1):
                    self.within[region[:end]].add(iri)
            for area in project.area:
                self.area_exact[area].add(iri)
                for end in range(2, len(area) + 1):
                    self.area_within[area[:end]].add(iri)

    def __call__(self, region: str) -> set[str]:
        near = self.within.get(region, set()) | self.area_within.get(region, set())
        return near | set().union(*(self.area_exact.get(region[:end], set()) for end in range(2, len(region))))


class _WordIndex:
    """The projects near one region by the stems they use, to score a priority's words against
    all of them at once (the cosine added up stem by stem)."""

    def __init__(self, projects: dict[str, _Project], near: set[str]) -> None:
        self.postings: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for iri in near:
            for stem, weight in projects[iri].vector.items():
                self.postings[stem].append((iri, weight))

    def scores(self, vector: dict[str, float]) -> dict[str, float]:
        found: dict[str, float] = defaultdict(float)
        for stem, weight in vector.items():
            for iri, other in self.postings.get(stem, ()):
                found[iri] += weight * other
        return found


@dataclass(frozen=True)
class Evidence:
    """Why a project serves a priority: the rule, its score, the deepest region where they meet
    and the codes or words they share."""

    rule: str
    score: str
    region: str
    codes: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()


def evidence(
    project: _Project, priority: _Priority, sources_of: dict[str, set[str]], threshold: float = TEXT_THRESHOLD
) -> Evidence | None:
    """The strongest rule a project and a priority meet by; None when they do not meet."""
    inside = [r for r in project.regions if _within(r, priority.region)]
    overlap = [_meeting(a, priority.region) for a in project.area if _within(a, priority.region) or _within(priority.region, a)]
    place, regions = ("region", inside) if inside else ("programme-area", overlap)
    if not regions:
        return None
    meet = _most_specific(regions)
    if shared := priority.shared(project, sources_of):
        return Evidence(f"{place}-and-code", RULES[f"{place}-and-code"][0], meet, frozenset(shared))
    if place != "region" or project.sources & priority.sources:
        return None  # words alone are too weak beside a programme area; or the strategy copied the project's words
    said: Similar = similar(project.vector, priority.vector, project.words, priority.words)
    if said.score < threshold:
        return None
    return Evidence("region-and-text", f"{said.score:.3f}", meet, words=said.words)


def candidates(
    store: ox.Store, threshold: float = TEXT_THRESHOLD, inputs: Inputs | None = None
) -> Iterator[tuple[str, str, Evidence]]:
    """(project, priority, evidence) for every pair that meets by a rule, priority by priority;
    the projects as `inputs` has them (by default, read whole from `store`)."""
    inputs = inputs if inputs is not None else Inputs.read(store, KEYED)
    projects, priorities = _read(store, inputs)
    sources_of = _sources(store, priorities)
    _read_texts(store, inputs, projects, priorities)
    by_code: dict[str, set[str]] = defaultdict(set)
    for project_iri, project in projects.items():
        for code in project.codes:
            by_code[code].add(project_iri)
    near_of = _Near(projects)
    by_region: dict[str, list[str]] = defaultdict(list)
    for priority_iri in sorted(priorities):
        by_region[priorities[priority_iri].region].append(priority_iri)
    for region, group in sorted(by_region.items()):
        near = near_of(region)
        words = _WordIndex(projects, near)
        for priority_iri in group:
            priority = priorities[priority_iri]
            coded = near & set().union(*(by_code.get(code, set()) for code in priority.codes))
            worded = {p for p, score in words.scores(priority.vector).items() if score >= threshold}
            for project_iri in sorted(coded | worded):
                if found := evidence(projects[project_iri], priority, sources_of, threshold):
                    yield project_iri, priority_iri, found


def links(store: ox.Store, minter: IriMinter, inputs: Inputs | None = None) -> dict[str, list[ox.Triple]]:
    """rule id → the triples of the links it finds between the projects and the strategy
    priorities in `store`, each link with its evidence (pyoxigraph terms: cheap to make, and
    escaped by Oxigraph when written)."""
    found: dict[str, list[ox.Triple]] = {rule: [] for rule in RULES}
    labels = _Labels(store)
    made = _Terms(minter)
    for project, priority, evidence in candidates(store, inputs=inputs):
        found[evidence.rule].extend(made.link(project, priority, evidence, labels))
    return found


def match_ntriples(store: ox.Store, minter: IriMinter, inputs: Inputs | None = None) -> dict[str, bytes]:
    """rule id → its links as N-Triples, as the build adds them to the store."""
    made = links(store, minter, inputs)
    return {rule: ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"" for rule, triples in made.items()}


def match(store: ox.Store, minter: IriMinter) -> dict[str, Graph]:
    """rule id → its links as an rdflib graph (for reading them in Python)."""
    return {rule: Graph().parse(data=data.decode(), format="nt") for rule, data in match_ntriples(store, minter).items()}


class _Labels:
    """The label a link is named with, read by key for the projects and priorities that meet (not
    for every project of the store): the last English one in order, else the first."""

    def __init__(self, store: ox.Store) -> None:
        self.store, self.known, self.label = store, dict[str, str](), ox.NamedNode(str(RDFS.label))

    def __call__(self, iri: str) -> str:
        if iri not in self.known:
            found = self.store.quads_for_pattern(ox.NamedNode(iri), self.label, None, ox.DefaultGraph())
            literals = [q.object for q in found if isinstance(q.object, ox.Literal)]
            written = sorted((literal.value, literal.language or "") for literal in literals)
            english = [value for value, language in written if language.lower().startswith("en")]
            self.known[iri] = english[-1] if english else written[0][0] if written else iri
        return self.known[iri]


class _Terms:
    """The terms a link is written with, the constant ones made once."""

    def __init__(self, minter: IriMinter) -> None:
        self.minter = minter
        self.p = {name: ox.NamedNode(str(S3[name])) for name in (
            "servesPriority", "matchedProject", "matchedPriority", "matchRule", "matchScore", "sharedRegion", "sharedCode",
            "sharedWords")}  # fmt: skip
        self.type, self.label = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDFS.label))
        self.match_class, self.generated = ox.NamedNode(str(S3.PriorityMatch)), ox.NamedNode(str(PROV.wasGeneratedBy))
        self.decimal = ox.NamedNode(str(XSD.decimal))
        self.rules = {rule: (ox.Literal(rule), ox.NamedNode(str(minter.entity("load", f"matching-{rule}")))) for rule in RULES}

    def link(self, project: str, priority: str, found: Evidence, labels: _Labels) -> list[ox.Triple]:
        node = ox.NamedNode(str(self.minter.entity("match", hashlib.sha256(f"{project} {priority}".encode()).hexdigest()[:24])))
        subject, domain, p = ox.NamedNode(project), ox.NamedNode(priority), self.p
        rule, activity = self.rules[found.rule]
        label = f"{labels(project)} serves {labels(priority)}"
        triples = [
            ox.Triple(subject, p["servesPriority"], domain),
            ox.Triple(node, self.type, self.match_class),
            ox.Triple(node, self.label, ox.Literal(label, language="en")),
            ox.Triple(node, p["matchedProject"], subject),
            ox.Triple(node, p["matchedPriority"], domain),
            ox.Triple(node, p["matchRule"], rule),
            ox.Triple(node, p["matchScore"], ox.Literal(found.score, datatype=self.decimal)),
            ox.Triple(node, p["sharedRegion"], ox.NamedNode(str(NUTS[found.region]))),
            ox.Triple(node, self.generated, activity),
        ]
        triples.extend(ox.Triple(node, p["sharedCode"], ox.NamedNode(code)) for code in sorted(found.codes))
        triples.extend(ox.Triple(node, p["sharedWords"], ox.Literal(words)) for words in found.words)
        return triples


def describe_matching_rules(minter: IriMinter, provenance: Graph) -> None:
    for rule, (score, text) in RULES.items():
        describe_rule(minter, provenance, f"matching-{rule}", f"Matching rule '{rule}' (score {score})", text)
