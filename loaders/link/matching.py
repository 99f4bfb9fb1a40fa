"""Which projects serve which strategy's priorities: rule-based matching over the merged
sources. A project serves a priority domain when it meets the strategy's region and shares a
code with the priority (a 2021-2027 specific objective, an S3 domain, a NACE sector or a
theme). Each rule writes its links into its own named graph, each link with an
s3:PriorityMatch saying the rule, the score and the region and codes both share; the provenance
graph says what each rule is (as reconciliation does).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import PROV

from loaders.core.iris import IriMinter
from loaders.core.provenance import describe_rule
from loaders.core.queries import Readable, select_values
from loaders.core.vocab import NUTS, S3

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
}
_PROJECT_CODES = "s3:specificObjective|s3:naceSector|s3:theme"
_PRIORITY_CODES = "s3:targetsObjective|s3:naceSector"
_PRIORITY_MATCHES = "skos:exactMatch|skos:closeMatch"  # concepts elsewhere the priority means


@dataclass
class _Project:
    regions: set[str] = field(default_factory=set)  # NUTS codes of its partners, or its own
    area: set[str] = field(default_factory=set)  # NUTS codes of its programme's area
    codes: set[str] = field(default_factory=set)  # its objectives, sectors, themes and S3 domains
    domains: set[str] = field(default_factory=set)  # its own S3 domains (a portfolio's)
    label: str = ""


@dataclass
class _Priority:
    region: str
    codes: set[str] = field(default_factory=set)  # its objectives and sectors, and the concepts it matches
    matches: set[str] = field(default_factory=set)  # the concepts it matches (`matches:` of the strategy file)
    sources: set[str] = field(default_factory=set)  # the documents the priority is stated from
    label: str = ""

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
    query = (
        "SELECT ?x ?source WHERE { ?d a s3:S3Domain ; s3:strategy ?s . "
        "{ BIND(?d AS ?x) } UNION { ?d skos:exactMatch|skos:closeMatch ?x } ?x dcterms:source ?source }"
    )
    for subject, source in select_values(store, query):
        of[subject].add(source)
    for iri, priority in priorities.items():
        priority.sources = of.get(iri, set())
    return of


def _read(store: ox.Store) -> tuple[dict[str, _Project], dict[str, _Priority]]:
    projects: dict[str, _Project] = defaultdict(_Project)
    for project, region in select_values(
        store,
        "SELECT ?p ?r WHERE { ?p a s3:Project { ?p s3:hasParticipation/s3:participant/s3:region ?r } UNION { ?p s3:region ?r } }",
    ):
        if code := _code(region):
            projects[project].regions.add(code)
    for project, region in select_values(store, "SELECT ?p ?r WHERE { ?p a s3:Project ; s3:programme/s3:territory ?r }"):
        if code := _code(region):
            projects[project].area.add(code)
    for project, code in select_values(store, f"SELECT ?p ?c WHERE {{ ?p a s3:Project ; {_PROJECT_CODES} ?c }}"):
        projects[project].codes.add(code)
    for project, code in select_values(store, "SELECT ?p ?c WHERE { ?p a s3:Project ; s3:s3Domain ?c }"):
        projects[project].codes.add(code)
        projects[project].domains.add(code)
    priorities: dict[str, _Priority] = {}
    for priority, region in select_values(store, "SELECT ?d ?r WHERE { ?d a s3:S3Domain ; s3:strategy/s3:region ?r }"):
        if code := _code(region):
            priorities[priority] = _Priority(code)
    own = (  # its own codes, and the objectives its whole strategy targets
        f"SELECT ?d ?c WHERE {{ ?d a s3:S3Domain ; s3:strategy ?s "
        f"{{ ?d {_PRIORITY_CODES} ?c }} UNION {{ ?s s3:targetsObjective ?c }} }}"
    )
    for priority, code in select_values(store, own):
        if priority in priorities:
            priorities[priority].codes.add(code)
    for priority, code in select_values(
        store, f"SELECT ?d ?c WHERE {{ ?d a s3:S3Domain ; s3:strategy ?s ; {_PRIORITY_MATCHES} ?c }}"
    ):
        if priority in priorities:
            priorities[priority].codes.add(code)
            priorities[priority].matches.add(code)
    for subject, label in select_values(
        store,
        "SELECT ?s (SAMPLE(?l) AS ?label) WHERE { VALUES ?c { s3:Project s3:S3Domain } ?s a ?c ; rdfs:label ?l "
        "FILTER langMatches(lang(?l), 'en') } GROUP BY ?s",
    ):
        target = projects.get(subject) or priorities.get(subject)
        if target is not None:
            target.label = label
    return projects, priorities


def match(store: ox.Store, minter: IriMinter) -> dict[str, Graph]:
    """rule id → the links it finds between the projects and the strategy priorities in `store`."""
    projects, priorities = _read(store)
    sources_of = _sources(store, priorities)
    # Indexes, so that a priority meets only the projects sharing a code and meeting its region:
    by_code: dict[str, set[str]] = defaultdict(set)
    within: dict[str, set[str]] = defaultdict(set)  # NUTS code → projects with a partner in it or below it
    area_within: dict[str, set[str]] = defaultdict(set)  # NUTS code → projects whose area has a region in it or below
    area_exact: dict[str, set[str]] = defaultdict(set)  # NUTS code → projects whose area is exactly it
    for project_iri, project in projects.items():
        for code in project.codes:
            by_code[code].add(project_iri)
        for region in project.regions:
            for end in range(2, len(region) + 1):
                within[region[:end]].add(project_iri)
        for area in project.area:
            area_exact[area].add(project_iri)
            for end in range(2, len(area) + 1):
                area_within[area[:end]].add(project_iri)
    graphs = {rule: Graph() for rule in RULES}
    for priority_iri, priority in sorted(priorities.items()):
        region = priority.region
        near = within.get(region, set()) | area_within.get(region, set())
        near |= set().union(*(area_exact.get(region[:end], set()) for end in range(2, len(region))))  # an area holding it
        candidates = near & set().union(*(by_code.get(code, set()) for code in priority.codes))
        for project_iri in sorted(candidates):
            project = projects[project_iri]
            shared = priority.shared(project, sources_of)
            if not shared:
                continue
            inside = [r for r in project.regions if _within(r, priority.region)]
            overlap = [
                _meeting(a, priority.region) for a in project.area if _within(a, priority.region) or _within(priority.region, a)
            ]
            rule, regions = ("region-and-code", inside) if inside else ("programme-area-and-code", overlap)
            if not regions:
                continue
            meet = _most_specific(regions)
            _link(graphs[rule], minter, rule, URIRef(project_iri), URIRef(priority_iri), shared, meet, project, priority)
    return graphs


def _link(
    graph: Graph,
    minter: IriMinter,
    rule: str,
    project: URIRef,
    priority: URIRef,
    shared: set[str],
    region: str,
    about: _Project,
    domain: _Priority,
) -> None:
    node = minter.entity("match", hashlib.sha256(f"{project} {priority}".encode()).hexdigest()[:24])
    graph.add((project, S3.servesPriority, priority))
    graph.add((node, RDF.type, S3.PriorityMatch))
    label = f"{about.label or project} serves {domain.label or priority}"
    graph.add((node, RDFS.label, Literal(label, lang="en")))
    graph.add((node, S3.matchedProject, project))
    graph.add((node, S3.matchedPriority, priority))
    graph.add((node, S3.matchRule, Literal(rule)))
    graph.add((node, S3.matchScore, Literal(RULES[rule][0], datatype=XSD.decimal)))
    graph.add((node, S3.sharedRegion, NUTS[region]))
    for code in sorted(shared):
        graph.add((node, S3.sharedCode, URIRef(code)))
    graph.add((node, PROV.wasGeneratedBy, minter.entity("load", f"matching-{rule}")))


def describe_matching_rules(minter: IriMinter, provenance: Graph) -> None:
    for rule, (score, text) in RULES.items():
        describe_rule(minter, provenance, f"matching-{rule}", f"Matching rule '{rule}' (score {score})", text)


@dataclass(frozen=True)
class Explained:
    """One published match, as `s3kg matches` shows it."""

    project: str
    project_label: str
    priority: str
    priority_label: str
    strategy_label: str
    rule: str
    score: str
    region: str
    codes: tuple[str, ...]  # each "label (IRI)"

    @property
    def why(self) -> str:
        return RULES[self.rule][1] if self.rule in RULES else ""


def explain(store: Readable, iri: str) -> list[Explained]:
    """The published matches of a project or a priority domain, strongest first. `iri` must be
    an IRI (ValueError otherwise); it enters the query as a parsed term, never as text."""
    node = str(ox.NamedNode(iri))  # <…>, escaped by Oxigraph
    query = f"""
        SELECT ?project (SAMPLE(?pl) AS ?projectLabel) ?priority (SAMPLE(?dl) AS ?priorityLabel)
               (SAMPLE(?sl) AS ?strategyLabel) ?rule ?score ?region
        WHERE {{
            ?m a s3:PriorityMatch ; s3:matchedProject ?project ; s3:matchedPriority ?priority ;
               s3:matchRule ?rule ; s3:matchScore ?score ; s3:sharedRegion ?region .
            FILTER (?project = {node} || ?priority = {node})
            OPTIONAL {{ ?project rdfs:label ?pl }} OPTIONAL {{ ?priority rdfs:label ?dl }}
            OPTIONAL {{ ?priority s3:strategy/rdfs:label ?sl }}
        }} GROUP BY ?project ?priority ?rule ?score ?region ORDER BY DESC(?score) ?project ?priority"""
    codes: dict[tuple[str, str], list[str]] = defaultdict(list)
    shared = f"""SELECT ?project ?priority ?code (SAMPLE(?l) AS ?label) WHERE {{
        ?m s3:matchedProject ?project ; s3:matchedPriority ?priority ; s3:sharedCode ?code
        FILTER (?project = {node} || ?priority = {node}) OPTIONAL {{ ?code skos:prefLabel|rdfs:label ?l }}
        }} GROUP BY ?project ?priority ?code ORDER BY ?code"""
    for project, priority, code, label in select_values(store, shared):
        codes[(project, priority)].append(f"{label} ({code})" if label else code)
    return [
        Explained(p, pl, d, dl, sl, rule, score, region.rsplit("/", 1)[-1], tuple(codes[(p, d)]))
        for p, pl, d, dl, sl, rule, score, region in select_values(store, query)
    ]
