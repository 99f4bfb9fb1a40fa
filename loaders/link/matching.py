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
from loaders.core.queries import select_values
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
_PROJECT_CODES = "s3:specificObjective|s3:s3Domain|s3:naceSector|s3:theme"
_PRIORITY_CODES = "s3:targetsObjective|skos:exactMatch|skos:closeMatch|s3:naceSector"


@dataclass
class _Project:
    regions: set[str] = field(default_factory=set)  # NUTS codes of its partners, or its own
    area: set[str] = field(default_factory=set)  # NUTS codes of its programme's area
    codes: set[str] = field(default_factory=set)
    label: str = ""


@dataclass
class _Priority:
    region: str
    codes: set[str] = field(default_factory=set)
    label: str = ""


def _code(iri: str) -> str | None:
    return iri[len(str(NUTS)) :] if iri.startswith(str(NUTS)) else None


def _within(inner: str, outer: str) -> bool:
    """A NUTS region inside another (or the same): its code starts with the other's."""
    return inner.startswith(outer)


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
    priorities: dict[str, _Priority] = {}
    for priority, region in select_values(store, "SELECT ?d ?r WHERE { ?d a s3:S3Domain ; s3:strategy/s3:region ?r }"):
        if code := _code(region):
            priorities[priority] = _Priority(code)
    for priority, code in select_values(
        store, f"SELECT ?d ?c WHERE {{ ?d a s3:S3Domain ; s3:strategy ?s ; {_PRIORITY_CODES} ?c }}"
    ):
        if priority in priorities:
            priorities[priority].codes.add(code)
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
    by_code: dict[str, set[str]] = defaultdict(set)  # so that a priority meets only the projects sharing a code
    for project_iri, project in projects.items():
        for code in project.codes:
            by_code[code].add(project_iri)
    graphs = {rule: Graph() for rule in RULES}
    for priority_iri, priority in sorted(priorities.items()):
        candidates = set().union(*(by_code.get(code, set()) for code in priority.codes))
        for project_iri in sorted(candidates):
            project = projects[project_iri]
            shared = project.codes & priority.codes
            inside = sorted(r for r in project.regions if _within(r, priority.region))
            overlap = sorted(a for a in project.area if _within(a, priority.region) or _within(priority.region, a))
            rule, regions = ("region-and-code", inside) if inside else ("programme-area-and-code", overlap)
            if not regions:
                continue
            _link(graphs[rule], minter, rule, URIRef(project_iri), URIRef(priority_iri), shared, regions[0], project, priority)
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
