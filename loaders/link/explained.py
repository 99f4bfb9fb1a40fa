"""The published matches of a project or a priority, as `s3kg matches` explains them: the rule
and what it means, the score, where project and strategy meet, the codes and the words they
share (read from the store, whichever build published them)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from loaders.core.queries import Readable, select_values
from loaders.link.matching import RULES


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
    words: tuple[str, ...] = ()  # each "word of the project ~ word of the priority"

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
    words: dict[tuple[str, str], list[str]] = defaultdict(list)
    said = f"""SELECT ?project ?priority ?words WHERE {{
        ?m s3:matchedProject ?project ; s3:matchedPriority ?priority ; s3:sharedWords ?words
        FILTER (?project = {node} || ?priority = {node}) }} ORDER BY ?words"""
    for project, priority, value in select_values(store, said):
        words[(project, priority)].append(value)
    return [
        Explained(p, pl, d, dl, sl, rule, score, region.rsplit("/", 1)[-1], tuple(codes[(p, d)]), tuple(words[(p, d)]))
        for p, pl, d, dl, sl, rule, score, region in select_values(store, query)
    ]
