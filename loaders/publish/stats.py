"""Figures about the published store: triples per named graph, entities per class."""

from __future__ import annotations

import pyoxigraph as ox

ENTITIES_PER_CLASS = """
SELECT ?class (COUNT(DISTINCT ?entity) AS ?entities) WHERE {
    GRAPH ?g { ?entity a ?class }
    FILTER (STRSTARTS(STR(?class), "https://w3id.org/s3kg/ontology#")
            || ?class = <http://www.w3.org/2004/02/skos/core#Concept>
            || ?class = <http://www.w3.org/2004/02/skos/core#ConceptScheme>)
    FILTER (?g NOT IN (?ontology, ?shapes))
} GROUP BY ?class ORDER BY DESC(?entities) ?class
"""


def entities_per_class(store: ox.Store, ontology_graph: str, shapes_graph: str) -> list[tuple[str, int]]:
    query = ENTITIES_PER_CLASS.replace("?ontology", f"<{ontology_graph}>").replace("?shapes", f"<{shapes_graph}>")
    rows = store.query(query)
    return [(row["class"].value, int(row["entities"].value)) for row in rows]  # type: ignore[union-attr]
