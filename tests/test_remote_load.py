"""How a build's graphs reach a remote engine (loaders/publish/remote_load.py): the engine's own
bulk loader where s3kg can reach it, HTTP chunks otherwise; each way publishes the same graph,
a load the engine refuses publishes nothing, and a later build uploads only what changed. (The
session's engines load by their bulk loaders: every remote test, `test_remote`'s term-for-term
comparison first, goes through them.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import Built, make_config
from engines import RunningEngine, start_oxigraph, start_virtuoso
from seed_data import copy_seed_data
from test_remote import _triples

from loaders.build import build
from loaders.publish.remote import RemoteEngine, RemoteTarget, builds_in, current_view
from loaders.publish.remote_load import BulkLoadFailed, ChunkedUpload, OxigraphBulk, VirtuosoBulk, graph_load
from loaders.publish.remote_upload import publish_remote
from loaders.publish.store import PublishedStore
from server.backends.embedded.backend import EmbeddedBackend
from server.backends.remote.backend import RemoteBackend

URL = "http://127.0.0.1:1/"
BESIDE = {"load_dir": "/tmp/s3kg-load", "sql_address": "127.0.0.1:1111"}


@pytest.mark.parametrize(
    ("engine", "settings", "expected"),
    [
        ("oxigraph", {"store_url": URL + "store"}, OxigraphBulk),
        ("oxigraph", {}, ChunkedUpload),  # no Graph Store Protocol: SPARQL Update
        ("virtuoso", BESIDE, VirtuosoBulk),
        ("virtuoso", {"store_url": URL + "crud"}, ChunkedUpload),  # not beside the build: over HTTP
        ("virtuoso", {"load_dir": "/tmp/s3kg-load"}, ChunkedUpload),  # no SQL port to run the loader on
        ("generic", {"store_url": URL + "store", **BESIDE}, ChunkedUpload),
    ],
)
def test_the_engines_own_loader_is_used_where_s3kg_can_reach_it(engine: str, settings: dict[str, str], expected: type) -> None:
    target = RemoteTarget(URL + "query", URL + "update", engine=engine, **settings)  # type: ignore[arg-type]
    assert type(graph_load(RemoteEngine(target), "b1")) is expected


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    engine = start_virtuoso(tmp_path_factory.mktemp("virtuoso-load"))
    yield engine
    engine.stop()


def _publish(target: RemoteTarget, built: Built, build_id: str) -> None:
    client = RemoteEngine(target)
    try:
        publish_remote(client, built.store, build_id, sorted(built.info.graphs), lambda _: None, grace=0)
    finally:
        client.close()


def test_http_chunks_and_the_bulk_loader_publish_the_same_graph(virtuoso: RunningEngine, built: Built) -> None:
    expected = _triples(EmbeddedBackend(built.config.store_dir).open())
    over_http = dataclasses.replace(virtuoso.target, load_dir=None, sql_address=None)
    for target, build_id in ((over_http, "20000101T000000000001Z"), (virtuoso.target, "20000101T000000000002Z")):
        _publish(target, built, build_id)
        assert current_view(RemoteEngine(target)).build_id == build_id
        assert set(builds_in(RemoteEngine(target))) == {build_id}, "the build before is dropped"
        assert _triples(RemoteBackend(target, built.config.store_dir, poll=0.2).open()) == expected, build_id
    assert virtuoso.target.load_dir is not None
    assert not any(Path(virtuoso.target.load_dir).iterdir()), "the files given to the loader are removed"


def test_a_load_that_fails_publishes_nothing_and_says_why(virtuoso: RunningEngine, built: Built) -> None:
    _publish(virtuoso.target, built, "20000101T000000000003Z")
    target = dataclasses.replace(virtuoso.target, sql_address="127.0.0.1:1")  # nothing listens there
    with pytest.raises(BulkLoadFailed, match=r"bulk loader at 127\.0\.0\.1:1 failed: .+") as failed:
        _publish(target, built, "20000101T000000000004Z")
    assert str(virtuoso.target.password) not in str(failed.value)
    assert current_view(RemoteEngine(virtuoso.target)).build_id == "20000101T000000000003Z", "the build before stays current"
    assert not (Path(str(target.load_dir)) / "s3kg-20000101T000000000004Z").exists(), "its files are removed"


def test_without_isql_the_bulk_loader_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    target = RemoteTarget(URL + "query", URL + "update", engine="virtuoso", load_dir="/tmp/s3kg-load", sql_address="127.0.0.1:1")
    with pytest.raises(BulkLoadFailed, match=r"isql-vt.*not on the PATH.*sparql_load_dir"):
        graph_load(RemoteEngine(target), "b1")


def _ground(store: ox.Store, graph: ox.NamedNode) -> tuple[set[ox.Quad], int]:
    """A graph's quads without blank nodes, and how many it has with one."""
    quads = list(store.quads_for_pattern(None, None, None, graph))
    ground = {q for q in quads if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}
    return ground, len(quads) - len(ground)


def test_a_later_build_uploads_only_the_graphs_that_changed(tmp_path: Path) -> None:
    engine = start_oxigraph(tmp_path / "oxigraph")
    client = RemoteEngine(engine.target)
    data = copy_seed_data(tmp_path / "data")
    config = make_config(tmp_path, data_dir=data, sources_file=data / "sources.yaml", remote=engine.target, remote_grace=0.0)
    try:
        said: list[str] = []
        first, _ = build(config, lambda message: said.append(str(message)))
        uploads = sum(message.startswith("uploading graph 1 of") for message in said)
        assert uploads == 1 and current_view(client).carried == (), "a first build uploads every graph"
        graphs = len(current_view(client).graphs)
        projects = data / "curated" / "projects.yaml"
        projects.write_text(projects.read_text(encoding="utf-8").replace("GoToS3", "GoToS3 (renamed)", 1), encoding="utf-8")
        said.clear()
        second, _ = build(config, lambda message: said.append(str(message)))
        view = current_view(client)
        assert view.build_id == second.build_id and set(builds_in(client)) == {second.build_id}, "the first build is swept"
        carried = dict(view.carried)
        assert "default" not in carried and graphs * 3 // 4 < len(carried) < graphs, "most graphs are the first build's"
        uploaded = graphs + 1 - len(carried)  # the default graph too
        assert f"uploading graph {uploaded} of {uploaded} to the engine" in said
        assert all(name.startswith(f"urn:x-s3kg:build:{first.build_id}:") for name in carried.values())
        published = PublishedStore(config.store_dir)
        before, after = published.open_build(first), published.open_build(second)
        for graph in carried:  # each carried over as it is (a graph with blank nodes: the same but for their labels)
            graph_node = ox.NamedNode(graph)
            assert _ground(before, graph_node) == _ground(after, graph_node), graph
        embedded = EmbeddedBackend(config.store_dir).open()
        remote = RemoteBackend(engine.target, config.store_dir, poll=0.2).open()
        assert _triples(remote) == _triples(embedded), "what the first build uploaded is still there, and the edit"
        per_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        counts = [{(r["g"], r["n"]) for r in store.query(per_graph)} for store in (remote, embedded)]  # type: ignore[union-attr]
        assert counts[0] == counts[1], "every graph under its stable name"
        said.clear()
        third, _ = build(config, lambda message: said.append(str(message)), force=True)
        assert not any(message.startswith("uploading graph") for message in said), "nothing changed: nothing uploaded"
        assert dict(current_view(client).carried)["default"] == f"urn:x-s3kg:build:{second.build_id}:default"
        assert set(builds_in(client)) == {third.build_id}
    finally:
        client.close()
        engine.stop()
