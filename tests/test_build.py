"""The build end to end: determinism, IRIs, provenance, named graphs, atomic publication."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import PROJECT, make_config
from rdflib import Graph, URIRef

from loaders.build import BuildConfig, build, fingerprint
from loaders.store import KEEP_BUILDS, PublishedStore

TIMES = {"http://www.w3.org/ns/prov#startedAtTime", "http://www.w3.org/ns/prov#endedAtTime"}


def _graphs_without_times(store: ox.Store) -> dict[str, Graph]:
    graphs: dict[str, Graph] = {}
    for graph in store.named_graphs():
        quads = [q for q in store.quads_for_pattern(None, None, None, graph) if q.predicate.value not in TIMES]
        data = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)
        graphs[str(graph.value)] = Graph().parse(data=data, format="nt")
    return graphs


def test_building_twice_gives_the_same_graphs(built: Any, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    build(config)
    first = _graphs_without_times(built.store)
    second = _graphs_without_times(PublishedStore(config.store_dir).open())
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].isomorphic(second[name]), name


def test_every_source_has_its_own_named_graph(built: Any) -> None:
    names = {g.value.rsplit("/", 1)[-1] for g in built.store.named_graphs()}
    expected_curated = {f"curated-{p.stem}" for p in (PROJECT / "data" / "curated").glob("*.yaml")}
    assert names == {"countries", "cci-codes", "provenance", "ontology", "shapes"} | expected_curated


def test_no_entity_is_a_blank_node(built: Any) -> None:
    query = (
        "ASK { GRAPH ?g { ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) } FILTER (?g != <https://w3id.org/s3kg/id/graph/shapes>) }"
    )
    assert not built.store.query(query)


def test_provenance_names_each_source_file_and_its_checksum(built: Any) -> None:
    query = """
    PREFIX prov: <http://www.w3.org/ns/prov#>
    PREFIX s3: <https://w3id.org/s3kg/ontology#>
    SELECT ?graph ?name ?sha ?agent ?started WHERE { GRAPH <https://w3id.org/s3kg/id/graph/provenance> {
        ?graph prov:wasDerivedFrom ?file ; prov:wasGeneratedBy ?load .
        ?file s3:fileName ?name ; s3:sha256 ?sha .
        ?load prov:wasAssociatedWith ?agent ; prov:startedAtTime ?started } }"""
    rows = list(built.store.query(query))
    assert len(rows) == 2 + len(list((PROJECT / "data" / "curated").glob("*.yaml")))
    for row in rows:
        path = PROJECT / row["name"].value
        assert row["sha"].value == hashlib.sha256(path.read_bytes()).hexdigest(), row["name"].value


def test_base_iri_is_a_setting(tmp_path: Path) -> None:
    config = make_config(tmp_path, base_iri="http://example.org/s3/")
    build(config)
    store = PublishedStore(config.store_dir).open()
    graph = ox.NamedNode("http://example.org/s3/graph/curated-projects")
    subjects = {q.subject.value for q in store.quads_for_pattern(None, None, None, graph) if isinstance(q.subject, ox.NamedNode)}
    assert "http://example.org/s3/project/gotos3" in subjects
    assert all(s.startswith("http://example.org/s3/") for s in subjects)


def test_a_bad_base_iri_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be an http\\(s\\) IRI ending in '/'"):
        build(make_config(tmp_path, base_iri="example.org/s3"))


def test_readers_keep_their_build_while_a_new_one_is_published(tmp_path: Path) -> None:
    store = PublishedStore(tmp_path / "store")
    old = Graph()
    old.add((URIRef("http://example.org/a"), URIRef("http://example.org/version"), URIRef("http://example.org/old")))
    new = Graph()
    new.add((URIRef("http://example.org/a"), URIRef("http://example.org/version"), URIRef("http://example.org/new")))
    graph = URIRef("http://example.org/graph")
    store.publish({graph: old})
    reader = store.open()
    store.publish({graph: new})
    ask = "ASK { <http://example.org/a> <http://example.org/version> <http://example.org/%s> }"
    assert reader.query(ask % "old"), "an open reader still sees the build it opened"
    assert store.open().query(ask % "new"), "a new reader sees the new build"


class _Exploding(Graph):
    def serialize(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")


def test_a_publish_that_fails_half_way_leaves_the_previous_build_current(tmp_path: Path) -> None:
    store = PublishedStore(tmp_path / "store")
    good = Graph()
    good.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), URIRef("http://example.org/b")))
    first = store.publish({URIRef("http://example.org/g1"): good})
    with pytest.raises(OSError, match="disk full"):
        store.publish({URIRef("http://example.org/g1"): good, URIRef("http://example.org/g2"): _Exploding()})
    assert store.current().build_id == first.build_id
    assert len(store.open()) == 2  # the named graph and the default graph
    second = store.publish({URIRef("http://example.org/g1"): good})
    assert store.current().build_id == second.build_id
    assert not list(store.builds.glob(".*.staging")), "the next publish cleans up what the failed one left"


def test_old_builds_are_pruned(tmp_path: Path) -> None:
    store = PublishedStore(tmp_path / "store")
    for _ in range(KEEP_BUILDS + 2):
        store.publish({URIRef("http://example.org/g"): Graph()})
    assert len([p for p in store.builds.iterdir() if p.is_dir() and not p.name.startswith(".")]) == KEEP_BUILDS


@pytest.mark.parametrize("change", ["a curated record", "a seed text a record cites", "a shape", "the ontology", "the base IRI"])
def test_any_change_of_input_changes_the_fingerprint(tmp_path: Path, change: str) -> None:
    data, shapes, ontology = tmp_path / "data", tmp_path / "shapes", tmp_path / "s3kg.ttl"
    shutil.copytree(PROJECT / "data", data)
    shutil.copytree(PROJECT / "shapes", shapes)
    shutil.copy(PROJECT / "ontology" / "s3kg.ttl", ontology)
    config = BuildConfig(data_dir=data, sources_file=data / "sources.yaml", shapes_dir=shapes, ontology_file=ontology)
    before = fingerprint(config)
    assert fingerprint(config) == before, "the same inputs give the same fingerprint"
    if change == "a curated record":
        with (data / "curated" / "projects.yaml").open("a", encoding="utf-8") as handle:
            handle.write("\n")
    elif change == "a seed text a record cites":
        seed = next((data / "seeds").glob("*.txt"))
        with seed.open("a", encoding="utf-8") as handle:
            handle.write("\n")
    elif change == "a shape":
        with (shapes / "core.ttl").open("a", encoding="utf-8") as handle:
            handle.write("\n")
    elif change == "the ontology":
        with ontology.open("a", encoding="utf-8") as handle:
            handle.write("\n")
    else:
        config = dataclasses.replace(config, base_iri="https://example.org/id/")
    assert fingerprint(config) != before
