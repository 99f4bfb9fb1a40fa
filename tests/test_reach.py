"""A partial validation finds every violation a change introduces, wherever it lands.

On a copy of the session's real build, each edit changes a few triples of one source graph in a
way that breaks a rule at nodes of *other* graphs (a project whose programme is no longer a
programme, an organisation whose country left the authority table, a project with two lead
partners, a participation without its project). The focus nodes `loaders.validate.reach`
derives from the changed triples are validated alone, and compared with a full validation of
the edited graph: every new violation must be among the partial validation's, and the partial
validation must report nothing a full one does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph

from loaders.validate.oxigraph import validate_with_oxigraph
from loaders.validate.reach import Reach, Walk
from loaders.validate.shapes import load_shapes

S3 = "https://w3id.org/s3kg/ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DEFAULT = ox.DefaultGraph()


@pytest.fixture(scope="module")
def copy(built: Any, tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    target = tmp_path_factory.mktemp("reach") / "store"
    built.store.backup(str(target))
    return ox.Store(str(target))


def _rows(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    return list(solutions)


def _programme_types(store: ox.Store) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """The type of three programmes of the CCI table that keep.eu projects name (removed)."""
    rows = _rows(
        store,
        f"SELECT DISTINCT ?p WHERE {{ GRAPH <https://w3id.org/s3kg/id/graph/cci-codes> {{ ?p a <{S3}Programme> }} "
        f"GRAPH ?g {{ ?project <{S3}programme> ?p }} FILTER (?g != <https://w3id.org/s3kg/id/graph/cci-codes>) }} "
        "ORDER BY ?p LIMIT 3",
    )
    return [ox.Triple(r["p"], RDF_TYPE, ox.NamedNode(f"{S3}Programme")) for r in rows], []


def _country_scheme(store: ox.Store) -> tuple[list[ox.Triple], list[ox.Triple]]:
    scheme = ox.NamedNode("http://publications.europa.eu/resource/authority/country")
    poland = ox.NamedNode("http://publications.europa.eu/resource/authority/country/POL")
    return [ox.Triple(poland, ox.NamedNode("http://www.w3.org/2004/02/skos/core#inScheme"), scheme)], []


def _second_lead(store: ox.Store) -> tuple[list[ox.Triple], list[ox.Triple]]:
    rows = _rows(
        store,
        f"SELECT ?other ?role WHERE {{ ?project <{S3}hasParticipation> ?lead, ?other . "
        f'?lead <{S3}partnerRole> ?role . ?role <http://www.w3.org/2004/02/skos/core#notation> "LP" '
        f"FILTER (?other != ?lead) }} ORDER BY ?other LIMIT 1",
    )
    return [], [ox.Triple(rows[0]["other"], ox.NamedNode(f"{S3}partnerRole"), rows[0]["role"])]


def _orphan_participation(store: ox.Store) -> tuple[list[ox.Triple], list[ox.Triple]]:
    rows = _rows(store, f"SELECT ?project ?p WHERE {{ ?project <{S3}hasParticipation> ?p }} ORDER BY ?p LIMIT 1")
    return [ox.Triple(rows[0]["project"], ox.NamedNode(f"{S3}hasParticipation"), rows[0]["p"])], []


EDITS = {
    "a programme stops being a programme": _programme_types,
    "a country leaves the authority table": _country_scheme,
    "a project gets a second lead partner": _second_lead,
    "a participation loses its project": _orphan_participation,
}


def _found(store: ox.Store, focus: set[ox.NamedNode] | None = None) -> set[tuple[str, str, str]]:
    shapes = load_shapes()
    return {
        (f.focus, f.path or "", f.message)
        for f in validate_with_oxigraph(store, shapes, focus)
        if f.severity.value == "Violation"
    }


@pytest.fixture(scope="module")
def before(copy: ox.Store) -> set[tuple[str, str, str]]:
    return _found(copy)


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_partial_validation_finds_every_violation_the_change_brings(copy: ox.Store, before: set[Any], edit: str) -> None:
    removed, added = EDITS[edit](copy)
    assert removed or added
    for triple in removed:
        copy.remove(ox.Quad(triple.subject, triple.predicate, triple.object, DEFAULT))
    copy.extend(ox.Quad(t.subject, t.predicate, t.object, DEFAULT) for t in added)
    try:
        focus = Reach(load_shapes()).focus(copy, [*removed, *added])
        assert focus is not None
        partial, full = _found(copy, focus), _found(copy)
    finally:
        copy.extend(ox.Quad(t.subject, t.predicate, t.object, DEFAULT) for t in removed)
        for triple in added:
            copy.remove(ox.Quad(triple.subject, triple.predicate, triple.object, DEFAULT))
    new = full - before
    assert new, f"the edit '{edit}' should break a rule"
    changed_subjects = {t.subject.value for t in [*removed, *added]}  # type: ignore[union-attr]
    if edit != "a project gets a second lead partner":
        assert {focus_node for focus_node, _, _ in new} - changed_subjects, "the violation lands on a node the edit did not touch"
    assert new <= partial, f"missed: {sorted(new - partial)[:3]}"
    assert partial <= full
    assert len(focus) < 10_000, "the focus is what the change reaches, not the whole graph"


def _walks(shapes_text: str) -> Iterator[Walk]:
    return iter(Reach(Graph().parse(data=shapes_text, format="turtle")).walks)


PREFIXES = "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> ."


def test_a_sparql_constraint_is_walked_along_its_patterns() -> None:
    shapes = (
        PREFIXES + ' ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:a ; sh:sparql [ sh:select """SELECT $this WHERE { '
        "$this <https://example.org/a>/<https://example.org/b> ?x . ?y <https://example.org/c> $this . "
        'FILTER NOT EXISTS { ?x <https://example.org/d> ?z } }""" ] .'
    )
    walks = set(_walks(shapes))
    a, b, c, d = (f"https://example.org/{x}" for x in "abcd")
    assert Walk(a, "s", ()) in walks and Walk(c, "o", ()) in walks
    assert Walk(b, "s", ((a, True),)) in walks
    assert Walk(d, "s", ((a, True), (b, True))) in walks


def test_a_repeated_path_cannot_be_bounded_and_asks_for_a_full_validation(copy: ox.Store) -> None:
    shapes = PREFIXES + " ex:S a sh:NodeShape ; sh:targetClass ex:C ."
    reach = Reach(Graph().parse(data=shapes, format="turtle"))
    sub_class = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
    assert (
        reach.focus(copy, [ox.Triple(ox.NamedNode("https://example.org/D"), sub_class, ox.NamedNode("https://example.org/C"))])
        is None
    )
    blank = ox.Triple(ox.BlankNode(), RDF_TYPE, ox.NamedNode("https://example.org/C"))
    assert reach.focus(copy, [blank]) is None
