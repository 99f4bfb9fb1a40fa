"""What the linking reads (`loaders.link.reads`, `loaders.link.links`): the predicates of its
queries, taken from their algebra, decide whether an incremental build may carry the links over;
so every query the linking runs must be among those declared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest

from loaders.core import keyed_reads
from loaders.core.iris import IriMinter
from loaders.core.queries import select_values
from loaders.core.vocab import PREFIXES
from loaders.link import links, matching, reconcile
from loaders.link.reads import predicates_read

S3, RDF_TYPE = PREFIXES["s3"], "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.mark.parametrize(
    ("query", "read"),
    [
        ("SELECT * WHERE { ?p a s3:Project ; s3:region ?r }", {RDF_TYPE, f"{S3}region"}),
        ("SELECT * WHERE { ?p s3:hasParticipation/s3:participant ?o }", {f"{S3}hasParticipation", f"{S3}participant"}),
        ("SELECT * WHERE { ?p s3:theme|^s3:acronym ?o }", {f"{S3}theme", f"{S3}acronym"}),
        (
            "SELECT * WHERE { ?p s3:region ?r FILTER NOT EXISTS { ?r skos:broader+ ?b } }",
            {f"{S3}region", f"{PREFIXES['skos']}broader"},
        ),
        (
            "SELECT * WHERE { ?p s3:region ?r { ?r s3:territory ?t } UNION { ?r s3:country ?c } }",
            {f"{S3}region", f"{S3}territory", f"{S3}country"},
        ),
        ("SELECT * WHERE { ?s ?p ?o }", None),
        ("SELECT * WHERE { ?s !s3:region ?o }", None),
    ],
)
def test_the_predicates_a_query_reads(query: str, read: set[str] | None) -> None:
    found = predicates_read([query])
    assert (set(found) if found is not None else None) == read


def test_every_query_the_linking_runs_is_declared(built: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    for module in (matching, keyed_reads):
        real = module.select_values

        def recorded(store: ox.Store, query: str, real: Any = real) -> Iterator[list[str]]:
            asked.append(query)
            return real(store, query)

        monkeypatch.setattr(module, "select_values", recorded)
    made = links.make_links(built.store, IriMinter(built.config.base_iri))
    assert any(len(data) for data in made.values()), "the build has links to make"
    declared = set(matching.QUERIES) | set(reconcile.QUERIES)
    assert asked and set(asked) <= declared, set(asked) - declared
    assert set(reconcile.QUERIES) <= set(asked), "reconciliation reads through the inputs"


def test_a_change_reaches_the_links_only_through_what_they_read() -> None:
    node, value = ox.NamedNode(f"{S3}x"), ox.Literal("1")
    assert links.reaches_links([ox.Triple(node, ox.NamedNode("http://purl.org/dc/terms/title"), value)])
    assert links.reaches_links([ox.Triple(node, ox.NamedNode(RDF_TYPE), node)])
    assert links.reaches_links([ox.Triple(node, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), value)])
    assert not links.reaches_links([ox.Triple(node, ox.NamedNode("https://schema.org/value"), value)])
    assert not links.reaches_links([ox.Triple(node, ox.NamedNode(f"{S3}startDate"), value)])
    assert not links.reaches_links([])


def _copy(store: ox.Store) -> ox.Store:
    copy = ox.Store()
    copy.extend(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return copy


def _made(store: ox.Store, minter: IriMinter) -> dict[str, set[str]]:
    made = links.make_links(store, minter)
    return {
        str(graph): {str(t) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}
        if isinstance(data, bytes)
        else {line for line in data.serialize(format="nt").splitlines() if line}
        for graph, data in made.items()
    }


def _change(store: ox.Store, removed: list[ox.Quad], added: list[ox.Quad]) -> list[ox.Triple]:
    for quad in removed:
        store.remove(quad)
    store.extend(added)
    return [q.triple for q in [*removed, *added]]


def test_links_are_the_same_after_a_change_they_do_not_read_and_not_after_one_they_do(built: Any) -> None:
    """On the default build (thousands of links): every amount changed leaves the links as they
    were, so carrying them over is right; a linked project's title and description changed
    does not, and `reaches_links` tells the two apart."""
    minter = IriMinter(built.config.base_iri)
    store = _copy(built.store)
    before = _made(store, minter)
    assert sum(len(triples) for triples in before.values()) > 1000
    value = ox.NamedNode("https://schema.org/value")
    amounts = list(store.quads_for_pattern(None, value, None, ox.DefaultGraph()))
    changed = _change(store, amounts, [ox.Quad(q.subject, value, ox.Literal("1"), q.graph_name) for q in amounts])
    assert amounts and not links.reaches_links(changed)
    assert _made(store, minter) == before, "a change the links do not read leaves them as they were"
    query = f'SELECT ?p WHERE {{ ?m <{S3}matchRule> "region-and-text" ; <{S3}matchedProject> ?p }} LIMIT 1'
    ((project,),) = select_values(store, query)
    texts = [
        q
        for predicate in ("http://purl.org/dc/terms/title", "http://purl.org/dc/terms/description")
        for q in store.quads_for_pattern(ox.NamedNode(project), ox.NamedNode(predicate), None, ox.DefaultGraph())
    ]
    changed = _change(store, texts, [ox.Quad(q.subject, q.predicate, ox.Literal("Zzz"), q.graph_name) for q in texts])
    assert texts and links.reaches_links(changed)
    assert _made(store, minter) != before, "a change the links read changes them"
