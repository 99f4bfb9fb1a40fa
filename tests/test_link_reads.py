"""What the linking reads (`loaders.link.reads`, `loaders.link.links`): the predicates of its
queries, taken from their algebra, decide whether an incremental build may carry the links over;
so every query the linking runs must be among those declared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest

from loaders.core.iris import IriMinter
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
    for module in (matching, reconcile):
        real = module.select_values

        def recorded(store: ox.Store, query: str, real: Any = real) -> Iterator[list[str]]:
            asked.append(query)
            return real(store, query)

        monkeypatch.setattr(module, "select_values", recorded)
    made = links.make_links(built.store, IriMinter(built.config.base_iri))
    assert any(len(data) for data in made.values()), "the build has links to make"
    declared = set(matching.QUERIES) | set(reconcile.QUERIES)
    assert asked and set(asked) <= declared, set(asked) - declared


def test_a_change_reaches_the_links_only_through_what_they_read() -> None:
    node, value = ox.NamedNode(f"{S3}x"), ox.Literal("1")
    assert links.reaches_links([ox.Triple(node, ox.NamedNode("http://purl.org/dc/terms/title"), value)])
    assert links.reaches_links([ox.Triple(node, ox.NamedNode(RDF_TYPE), node)])
    assert links.reaches_links([ox.Triple(node, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), value)])
    assert not links.reaches_links([ox.Triple(node, ox.NamedNode("https://schema.org/value"), value)])
    assert not links.reaches_links([ox.Triple(node, ox.NamedNode(f"{S3}startDate"), value)])
    assert not links.reaches_links([])
