"""Reconciliation: the same organisation or project seen by several sources is linked with
owl:sameAs, on evidence. Each rule writes its links into its own named graph, and the
provenance graph says what the rule is, so every link says which rule made it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from loaders.core.iris import IriMinter, slug
from loaders.core.keyed_reads import Inputs, Read
from loaders.core.provenance import describe_rule

RULES = {
    "same-pic": "Organisations from different sources with the same Participant Identification Code (PIC) are the same.",
    "programme-acronym": "Projects of the same programme with the same acronym (letter case aside) are the same project.",
    "programme-name": (
        "Projects of the same programme with the same name (dcterms:title; letters and digits only, case and accents "
        "aside) are the same project."
    ),
    "name-country": (
        "Organisations from different sources with the same name (letters and digits only, case and accents aside) "
        "in the same country are the same."
    ),
}


def _links(groups: Iterable[set[str]]) -> Graph:
    graph = Graph()
    for members in groups:
        first, *others = sorted(members)
        for other in others:
            graph.add((URIRef(first), OWL.sameAs, URIRef(other)))
    return graph


_PICS = "SELECT ?o ?id WHERE { ?o a s3:Organisation ; dcterms:identifier ?id FILTER isIRI(?o) }"
_ACRONYMS = "SELECT ?p ?g ?a WHERE { ?p a s3:Project ; s3:programme ?g ; s3:acronym ?a FILTER isIRI(?p) }"
_NAMES = "SELECT ?p ?g ?n WHERE { ?p a s3:Project ; s3:programme ?g ; dcterms:title ?n FILTER isIRI(?p) }"
_ORGANISATION_NAMES = "SELECT ?o ?l ?c WHERE { ?o a s3:Organisation ; rdfs:label ?l ; s3:country ?c FILTER isIRI(?o) }"
# What reconciliation reads, kept by subject between builds (loaders.core.keyed_reads)
KEYED = (Read("pics", _PICS), Read("acronyms", _ACRONYMS), Read("names", _NAMES), Read("organisation-names", _ORGANISATION_NAMES))
QUERIES = tuple(read.query for read in KEYED)  # every query reconciliation runs (loaders.link.reads)


def reconcile(store: ox.Store, inputs: Inputs | None = None) -> dict[str, Graph]:
    """rule id → the owl:sameAs links it makes across the sources merged in `store`'s default
    graph, from what `inputs` has read of it (by default, read whole)."""
    inputs = inputs if inputs is not None else Inputs.read(store, KEYED)
    by_pic: dict[str, set[str]] = defaultdict(set)
    for organisation, identifier in inputs.rows("pics"):
        by_pic[identifier].add(organisation)
    by_acronym: dict[tuple[str, str], set[str]] = defaultdict(set)
    for project, programme, acronym in inputs.rows("acronyms"):
        by_acronym[(programme, acronym.casefold())].add(project)
    by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    for project, programme, name in inputs.rows("names"):
        by_name[(programme, slug(name).replace("-", ""))].add(project)
    by_name_country: dict[tuple[str, str], set[str]] = defaultdict(set)
    for organisation, label, country in inputs.rows("organisation-names"):
        by_name_country[(slug(label).replace("-", ""), country)].add(organisation)
    return {
        "same-pic": _links(g for g in by_pic.values() if len(g) > 1),
        "name-country": _links(g for g in by_name_country.values() if len(g) > 1),
        "programme-acronym": _links(g for g in by_acronym.values() if len(g) > 1),
        "programme-name": _links(g for g in by_name.values() if len(g) > 1),
    }


def describe_rules(minter: IriMinter, provenance: Graph) -> None:
    for rule, text in RULES.items():
        describe_rule(minter, provenance, f"reconciliation-{rule}", f"Reconciliation rule '{rule}'", text)
