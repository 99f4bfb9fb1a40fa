"""Loader for the EU Publications Office country authority table (SKOS in RDF/XML).

Keeps each country concept with its scheme, authority code and labels in every language;
the table's blank-node code mappings become plain alpha-2 notations so that other loaders
can turn EU two-letter codes (EL, UK, XK) into authority IRIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from loaders.core.errors import SourceProblem
from loaders.core.vocab import COUNTRY, COUNTRY_SCHEME

AT = "http://publications.europa.eu/ontology/authority/"
_PREFIXES = f"""
    PREFIX at: <{AT}>
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    PREFIX dc: <http://purl.org/dc/elements/1.1/>
"""
# Placeholder rows such as OP_DATPRO have no authority code and are left out.
_LABELS = (
    _PREFIXES
    + f"""
    SELECT ?code ?label WHERE {{
        ?c skos:inScheme <{COUNTRY_SCHEME}> ; at:authority-code ?code ; skos:prefLabel ?label .
    }} ORDER BY ?code"""
)
_TED_CODES = (
    _PREFIXES
    + f"""
    SELECT ?code ?legacy WHERE {{
        ?c skos:inScheme <{COUNTRY_SCHEME}> ; at:authority-code ?code ;
           at:op-mapped-code [ dc:source "TED" ; at:legacy-code ?legacy ] .
        FILTER (STRLEN(?legacy) = 2)
    }} ORDER BY ?code"""
)
# EU usage differs from ISO 3166 for these two (source-formats.md): EL is Greece, UK the United Kingdom.
EU_ALPHA2_EXCEPTIONS = {"EL": "GRC", "UK": "GBR"}


@dataclass(frozen=True)
class CountryTable:
    graph: Graph
    codes: frozenset[str]  # alpha-3 authority codes
    alpha2: dict[str, str]  # ISO/EU alpha-2 → alpha-3
    _names: dict[str, str] = field(default_factory=dict, compare=False)
    _prefixes: dict[str, str] = field(default_factory=dict, compare=False)

    def from_alpha2(self, code: str) -> str | None:
        return EU_ALPHA2_EXCEPTIONS.get(code) or self.alpha2.get(code)

    def nuts_prefix(self, alpha3: str) -> str | None:
        """The two letters NUTS codes of this country start with (EL for Greece, UK)."""
        if not self._prefixes:  # once: loaders ask for it row after row
            self._prefixes.update((a3, a2) for a2, a3 in self.alpha2.items() if a2 not in ("GR", "GB"))
            self._prefixes.update((a3, a2) for a2, a3 in EU_ALPHA2_EXCEPTIONS.items())
        return self._prefixes.get(alpha3)

    def from_name(self, name: str) -> str | None:
        """The code of a country named in any of the table's languages ("Belgium", "Ελλάδα")."""
        if not self._names:
            for concept, label in self.graph.subject_objects(SKOS.prefLabel):
                self._names.setdefault(str(label).casefold(), str(concept).rsplit("/", 1)[-1])
        return self._names.get(name.strip().casefold())


def load_country_table(path: Path, display_name: str, source: URIRef) -> tuple[CountryTable, list[SourceProblem]]:
    try:
        store = ox.Store()
        store.load(path=str(path), format=ox.RdfFormat.RDF_XML)
    except (SyntaxError, OSError) as err:
        problem = SourceProblem(
            display_name, f"cannot be read as RDF/XML: {err}.", fix="restore the file from the EU Publications Office."
        )
        return CountryTable(Graph(), frozenset(), {}), [problem]
    graph = Graph()
    codes: set[str] = set()
    alpha2: dict[str, str] = {}
    for row in store.query(_LABELS):  # type: ignore[union-attr]
        code, label = row["code"].value, row["label"]
        if code not in codes:
            codes.add(code)
            iri = COUNTRY[code]
            graph.add((iri, RDF.type, SKOS.Concept))
            graph.add((iri, SKOS.inScheme, COUNTRY_SCHEME))
            graph.add((iri, SKOS.notation, Literal(code)))
        graph.add((COUNTRY[code], SKOS.prefLabel, Literal(label.value, lang=label.language)))
    for row in store.query(_TED_CODES):  # type: ignore[union-attr]
        alpha2.setdefault(row["legacy"].value, row["code"].value)
    graph.add((COUNTRY_SCHEME, RDF.type, SKOS.ConceptScheme))
    graph.add((COUNTRY_SCHEME, SKOS.prefLabel, Literal("Country", lang="en")))
    graph.add((COUNTRY_SCHEME, RDFS.label, Literal("Country", lang="en")))
    graph.add((COUNTRY_SCHEME, DCTERMS.source, source))
    graph.add((COUNTRY_SCHEME, DCTERMS.identifier, Literal("country")))
    if not codes:
        problem = SourceProblem(display_name, "holds no country concepts.", fix="use the EU country authority table in SKOS.")
        return CountryTable(graph, frozenset(), {}), [problem]
    return CountryTable(graph, frozenset(codes), alpha2), []
