"""Reconciliation: the same organisation or project seen by several sources is linked with
owl:sameAs, on evidence. Each rule writes its links into its own named graph, and the
provenance graph says what the rule is, so every link says which rule made it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV

from loaders.iris import IriMinter, slug
from loaders.vocab import S3

RULES = {
    "same-pic": "Organisations from different sources with the same Participant Identification Code (PIC) are the same.",
    "programme-acronym": "Projects of the same programme with the same acronym (letter case aside) are the same project.",
    "name-country": (
        "Organisations from different sources with the same name (letters and digits only, case and accents aside) "
        "in the same country are the same."
    ),
}


def _links(groups: Iterable[list[URIRef]]) -> Graph:
    graph = Graph()
    for members in groups:
        ordered = sorted(set(members), key=str)
        for other in ordered[1:]:
            graph.add((ordered[0], OWL.sameAs, other))
    return graph


def reconcile(graphs: Iterable[Graph]) -> dict[str, Graph]:
    """rule id → the owl:sameAs links it makes across the given graphs."""
    organisations: set[URIRef] = set()
    projects: set[URIRef] = set()
    identifiers: dict[URIRef, str] = {}
    programme: dict[URIRef, URIRef] = {}
    acronym: dict[URIRef, str] = {}
    names: dict[URIRef, set[str]] = defaultdict(set)
    country: dict[URIRef, URIRef] = {}
    for graph in graphs:
        organisations.update(s for s in graph.subjects(RDF.type, S3.Organisation) if isinstance(s, URIRef))
        projects.update(s for s in graph.subjects(RDF.type, S3.Project) if isinstance(s, URIRef))
        for s, o in graph.subject_objects(DCTERMS.identifier):
            identifiers[s] = str(o)  # type: ignore[index]
        for s, o in graph.subject_objects(S3.programme):
            programme[s] = o  # type: ignore[index,assignment]
        for s, o in graph.subject_objects(S3.acronym):
            acronym[s] = str(o).casefold()  # type: ignore[index]
        for s, o in graph.subject_objects(S3.country):
            country[s] = o  # type: ignore[index,assignment]
        for s, o in graph.subject_objects(RDFS.label):
            names[s].add(slug(str(o)).replace("-", ""))  # type: ignore[index]
    by_pic: dict[str, list[URIRef]] = defaultdict(list)
    for organisation in organisations:
        if organisation in identifiers:
            by_pic[identifiers[organisation]].append(organisation)
    by_name: dict[tuple[URIRef, str], list[URIRef]] = defaultdict(list)
    for project in projects:
        if project in programme and project in acronym:
            by_name[(programme[project], acronym[project])].append(project)
    by_name_country: dict[tuple[str, URIRef], list[URIRef]] = defaultdict(list)
    for organisation in organisations:
        if organisation in country:
            for name in names.get(organisation, ()):
                by_name_country[(name, country[organisation])].append(organisation)
    return {
        "same-pic": _links(g for g in by_pic.values() if len(g) > 1),
        "name-country": _links(g for g in by_name_country.values() if len(set(g)) > 1),
        "programme-acronym": _links(g for g in by_name.values() if len(g) > 1),
    }


def describe_rules(minter: IriMinter, provenance: Graph) -> None:
    for rule, text in RULES.items():
        graph, activity = minter.graph(f"reconciliation-{rule}"), minter.entity("load", f"reconciliation-{rule}")
        provenance.add((graph, RDF.type, PROV.Entity))
        provenance.add((graph, PROV.wasGeneratedBy, activity))
        provenance.add((activity, RDF.type, PROV.Activity))
        provenance.add((activity, RDFS.label, Literal(f"Reconciliation rule '{rule}'", lang="en")))
        provenance.add((activity, RDFS.comment, Literal(text, lang="en")))
