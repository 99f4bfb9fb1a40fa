"""The build end to end: determinism, IRIs, provenance, named graphs, atomic publication."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from conftest import PROJECT, make_config, real_config
from rdflib import Graph, URIRef
from seed_data import copy_seed_data

from loaders.build import BuildConfig, build, fingerprint
from loaders.core.errors import BuildError
from loaders.publish.staging import publish
from loaders.publish.store import KEEP_BUILDS, PublishedStore

TIMES = {"http://www.w3.org/ns/prov#startedAtTime", "http://www.w3.org/ns/prov#endedAtTime"}


def _graphs_without_times(store: ox.Store) -> dict[str, Graph]:
    graphs: dict[str, Graph] = {}
    for graph in store.named_graphs():
        quads = [q for q in store.quads_for_pattern(None, None, None, graph) if q.predicate.value not in TIMES]
        data = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES)
        graphs[str(graph.value)] = Graph().parse(data=data, format="nt")
    return graphs


def test_building_twice_gives_the_same_graphs(built: Any, tmp_path: Path) -> None:
    config = real_config(tmp_path)  # the real exports too: their IRIs are as stable as the curated ones
    build(config)
    first = _graphs_without_times(built.store)
    second = _graphs_without_times(PublishedStore(config.store_dir).open())
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].isomorphic(second[name]), name


def test_every_source_has_its_own_named_graph(built: Any) -> None:
    graphs = [g.value for g in built.store.named_graphs()]
    names = {g.rsplit("/", 1)[-1] for g in graphs if "/graph/statements/" not in g}  # one per passage: tests/test_passages.py
    assert any("/graph/statements/" in g for g in graphs)
    expected_curated = {f"curated-{p.stem}" for p in (PROJECT / "data" / "curated").glob("*.yaml")}
    expected_strategies = {f"strategy-{p.stem}" for p in (PROJECT / "data" / "strategies").glob("*.yaml")}
    tables = {"countries", "nuts-2021", "cci-codes", "programmes-2021-2027"}
    derived = {"provenance", "ontology", "shapes"}  # empty graphs are not kept: the seeds' strategies copy GoToS3's domains
    exports = {n for n in names if n.startswith(("keep-eu-", "national-operations-", "jems-partners-"))}
    linked = {n for n in names if n.startswith(("reconciliation-", "matching-"))}  # what links the sources' entities
    assert len(exports) == len(yaml.safe_load((PROJECT / "data" / "sources.yaml").read_text())["sources"]) - 6  # one per export
    assert "matching-region-and-text" in linked  # the Thüringen operations meet RIS3 Thüringen
    assert names - exports - linked == tables | derived | expected_curated | expected_strategies


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
    files = [*(PROJECT / "data" / "curated").glob("*.yaml"), *(PROJECT / "data" / "strategies").glob("*.yaml")]
    assert len(rows) == 4 + len(files) + len(list((PROJECT / "data" / "exports").iterdir()))  # the reference tables, the exports
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
    publish(store, {graph: old})
    reader = store.open()
    publish(store, {graph: new})
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
    first = publish(store, {URIRef("http://example.org/g1"): good})
    with pytest.raises(OSError, match="disk full"):
        publish(store, {URIRef("http://example.org/g1"): good, URIRef("http://example.org/g2"): _Exploding()})
    assert store.current().build_id == first.build_id
    assert len(store.open()) == 2  # the named graph and the default graph
    second = publish(store, {URIRef("http://example.org/g1"): good})
    assert store.current().build_id == second.build_id
    assert not list(store.builds.glob(".*.staging")), "the next publish cleans up what the failed one left"


def test_old_builds_are_pruned(tmp_path: Path) -> None:
    store = PublishedStore(tmp_path / "store")
    for _ in range(KEEP_BUILDS + 2):
        publish(store, {URIRef("http://example.org/g"): Graph()})
    assert len([p for p in store.builds.iterdir() if p.is_dir() and not p.name.startswith(".")]) == KEEP_BUILDS


@pytest.mark.parametrize("change", ["a curated record", "a seed text a record cites", "a shape", "the ontology", "the base IRI"])
def test_any_change_of_input_changes_the_fingerprint(tmp_path: Path, change: str) -> None:
    data, shapes, ontology = tmp_path / "data", tmp_path / "shapes", tmp_path / "s3kg.ttl"
    copy_seed_data(data)
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


def test_out_of_space_names_the_phase_and_the_space_needed(built: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path)
    shutil.copytree(built.config.store_dir, config.store_dir, symlinks=True)
    before = PublishedStore(config.store_dir).current().build_id

    def full_disk(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("loaders.publish.publisher.write_dumps", full_disk)
    with pytest.raises(BuildError) as failure:
        build(config, force=True)
    message = failure.value.summary
    assert "ran out of space while publishing" in message and "MB (the size of the current one" in message
    assert re.search(r"[\d,]+ MB are free in ", message)
    assert PublishedStore(config.store_dir).current().build_id == before
    assert not list(PublishedStore(config.store_dir).builds.glob(".*.staging"))


def test_a_build_killed_at_any_point_leaves_the_current_build_and_the_next_build_sweeps_up(built: Any, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    shutil.copytree(built.config.store_dir, config.store_dir, symlinks=True)
    store = PublishedStore(config.store_dir)
    before = store.current().build_id
    complete = {b.build_id for b in store.recent()}
    environment = {**os.environ, "S3KG_STORE_DIR": str(config.store_dir), "S3KG_REPORT_DIR": str(tmp_path / "reports")}
    environment["S3KG_DATA_DIR"] = str(config.data_dir)
    command = [str(Path(sys.executable).with_name("s3kg")), "build", "--force"]
    for moment in ("dumps", 0.5, 2.0):
        child = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            if moment == "dumps" and any(p.name != f"{before}.dumps" for p in store.builds.glob("*.dumps")):
                break
            if isinstance(moment, float) and time.monotonic() > deadline - 120 + moment:
                break
            time.sleep(0.02)
        child.kill()
        child.wait()
        assert store.current().build_id == before, moment  # killed before the switch (or the test is void)
        assert {b.build_id for b in store.recent()} == complete  # the home page lists no half build
        if moment == "dumps":  # the case reported: the killed build's dumps were left behind
            assert {p.name for p in store.builds.iterdir()} - {n for b in complete for n in (b, f"{b}.json", f"{b}.dumps")}
    info, _ = build(config, force=True)
    names = {p.name for p in store.builds.iterdir()}
    kept = {b.build_id for b in store.recent()}
    assert {n.removesuffix(".sources") for n in names if n.endswith(".sources")} <= kept, names  # a build's export files
    names = {n for n in names if not n.endswith(".sources")}
    assert names == {n for b in kept for n in (b, f"{b}.json", f"{b}.dumps")}, names
    assert store.current().build_id == info.build_id
