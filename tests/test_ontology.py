"""The ontology: in sync with the closed namespace, and passing its quality queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from loaders.core.vocab import ONTOLOGY_IRI, PREFIXES, S3

PROJECT = Path(__file__).resolve().parent.parent
QUALITY = sorted((Path(__file__).parent / "quality").glob("*.rq"))
ONTOLOGY_ONLY = [q for q in QUALITY if not q.name.startswith("published_")]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(PROJECT / "ontology" / "s3kg.ttl", format="turtle")


def test_closed_namespace_lists_exactly_the_terms_the_ontology_defines(ontology: Graph) -> None:
    defined = {str(s).split("#", 1)[1] for s in ontology.subjects(RDFS.isDefinedBy, ONTOLOGY_IRI)}
    in_code = set(S3.__annotations__)
    assert defined - in_code == set(), "terms missing from loaders/core/vocab.py"
    assert in_code - defined == set(), "terms in loaders/core/vocab.py that the ontology does not define"


def test_misspelled_term_raises() -> None:
    with pytest.raises(AttributeError):
        _ = S3.Projekt


def test_namespace_terms_are_the_ontology_iris() -> None:
    assert URIRef("https://w3id.org/s3kg/ontology#Project") == S3.Project


@pytest.mark.parametrize("query_file", ONTOLOGY_ONLY, ids=[q.stem for q in ONTOLOGY_ONLY])
def test_ontology_quality_query_returns_nothing(ontology: Graph, query_file: Path) -> None:
    store = ox.Store()
    store.load(ontology.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    rows = list(store.query(query_file.read_text(encoding="utf-8"), prefixes=PREFIXES))  # type: ignore[arg-type]
    assert rows == [], f"{query_file.name} found: {rows[:5]}"


def test_published_data_uses_only_defined_terms(built: Any) -> None:
    query = (Path(__file__).parent / "quality" / "published_data_uses_only_defined_terms.rq").read_text(encoding="utf-8")
    rows = list(built.store.query(query, prefixes=PREFIXES))
    assert rows == []


def test_quality_queries_can_fail(ontology: Graph) -> None:
    """A term without a Dutch definition is caught: the checks are not vacuous."""
    broken = Graph() + ontology
    broken.remove((S3.Project, None, None))
    broken.add((S3.Project, RDFS.isDefinedBy, ONTOLOGY_IRI))
    store = ox.Store()
    store.load(broken.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    query = (Path(__file__).parent / "quality" / "every_term_has_labels_and_definitions.rq").read_text(encoding="utf-8")
    missing = {row["missing"].value for row in store.query(query, prefixes=PREFIXES)}  # type: ignore[union-attr]
    assert missing == {"label@en", "label@nl", "label@fr", "definition@en", "definition@nl", "definition@fr"}
