"""The default graph's dumps by subject bucket (`loaders.publish.triple_dumps`): each file holds
the graph, and a patched set of files is byte for byte the one written whole from the new graph."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from loaders.publish import triple_dumps
from loaders.publish.triple_dumps import BUCKETS_FILE, JSONLD, NT, TTL, Earlier, bucket_count, write_triple_dumps

EX = "https://example.org/"


def _store(subjects: int) -> ox.Store:
    """A default graph with the awkward terms: language tags, datatypes, newlines and quotes in
    literals, non-ASCII IRIs, a blank node shared between subjects."""
    store = ox.Store()
    shared = ox.BlankNode("shared")
    for i in range(subjects):
        s = ox.NamedNode(f"{EX}é/{i}")
        for subject, predicate, value in (
            (s, ox.NamedNode(f"{EX}label"), ox.Literal(f'name {i}\nwith "quotes"', language="en")),
            (
                s,
                ox.NamedNode(f"{EX}budget"),
                ox.Literal(str(i * 10), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
            ),
            (s, ox.NamedNode(f"{EX}next"), ox.NamedNode(f"{EX}é/{(i + 1) % subjects}")),
            (s, ox.NamedNode(f"{EX}place"), shared),
        ):
            store.add(ox.Quad(subject, predicate, value, ox.DefaultGraph()))
    store.add(ox.Quad(shared, ox.NamedNode(f"{EX}label"), ox.Literal("a shared place"), ox.DefaultGraph()))
    return store


def _triples(store: ox.Store) -> set[str]:
    return {str(q.triple) for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}


def _parsed(folder: Path) -> dict[str, Graph]:
    return {
        NT: Graph().parse(data=gzip.decompress((folder / NT).read_bytes()), format="nt"),
        TTL: Graph().parse(folder / TTL, format="turtle"),
        JSONLD: Graph().parse(folder / JSONLD, format="json-ld"),
    }


def _graph(store: ox.Store) -> Graph:
    text = ox.serialize(
        (q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())), format=ox.RdfFormat.N_TRIPLES
    )
    return Graph().parse(data=text or b"", format="nt")


@pytest.fixture(autouse=True)
def small_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triple_dumps, "TRIPLES_PER_BUCKET", 20)  # several buckets for a small graph


@pytest.mark.parametrize(("triples", "buckets"), [(0, 1), (20, 1), (21, 2), (160, 8), (161, 16), (10**9, 256)])
def test_the_bucket_count_is_a_power_of_two_near_the_size(triples: int, buckets: int) -> None:
    assert bucket_count(triples) == buckets


def test_each_file_holds_the_default_graph(tmp_path: Path) -> None:
    store = _store(40)
    write_triple_dumps(store, tmp_path, len(_triples(store)))
    record = json.loads((tmp_path / BUCKETS_FILE).read_text())
    assert record["buckets"] == 16 and all(len(places) == 16 for places in record["files"].values())
    expected = _graph(store)
    for name, graph in _parsed(tmp_path).items():
        assert len(graph) == len(expected) and graph.isomorphic(expected), name
    json.loads((tmp_path / JSONLD).read_text())  # one JSON document
    assert not list(tmp_path.glob(".*.partial")) and [p.name for p in tmp_path.iterdir() if p.is_dir()] == []


def _rename(store: ox.Store) -> set[str]:
    s = ox.NamedNode(f"{EX}é/3")
    store.remove(next(iter(store.quads_for_pattern(s, ox.NamedNode(f"{EX}label"), None, ox.DefaultGraph()))))
    store.add(ox.Quad(s, ox.NamedNode(f"{EX}label"), ox.Literal("renamed", language="fr"), ox.DefaultGraph()))
    return {s.value}


def _add(store: ox.Store) -> set[str]:
    s = ox.NamedNode(f"{EX}new")
    store.add(ox.Quad(s, ox.NamedNode(f"{EX}next"), ox.NamedNode(f"{EX}é/1"), ox.DefaultGraph()))
    return {s.value}


def _remove(store: ox.Store) -> set[str]:
    s = ox.NamedNode(f"{EX}é/7")
    for quad in list(store.quads_for_pattern(s, None, None, ox.DefaultGraph())):
        store.remove(quad)
    return {s.value}


def _several(store: ox.Store) -> set[str]:
    return _rename(store) | _add(store) | _remove(store)


EDITS: dict[str, Callable[[ox.Store], set[str]]] = {
    "a literal changed": _rename,
    "a subject added": _add,
    "a subject removed": _remove,
    "several at once": _several,
    "nothing": lambda store: set(),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_patch_writes_the_bytes_a_whole_write_does(tmp_path: Path, edit: str) -> None:
    store = _store(40)
    earlier, patched, whole = (tmp_path / name for name in ("earlier", "patched", "whole"))
    for folder in (earlier, patched, whole):
        folder.mkdir()
    size = len(_triples(store))
    write_triple_dumps(store, earlier, size)
    touched = EDITS[edit](store)
    write_triple_dumps(store, patched, len(_triples(store)), Earlier(earlier, frozenset(touched)))
    write_triple_dumps(store, whole, size)  # the size the earlier build was written for: the same buckets
    for name in (NT, TTL, JSONLD, BUCKETS_FILE):
        assert (patched / name).read_bytes() == (whole / name).read_bytes(), name
    expected = _graph(store)
    for name, graph in _parsed(patched).items():
        assert graph.isomorphic(expected), name
    changed = [i for i, (before, after) in enumerate(zip(_buckets(earlier), _buckets(patched), strict=True)) if before != after]
    assert len(changed) <= len(touched), "only the touched subjects' buckets are written again"


def _buckets(folder: Path) -> list[bytes]:
    """The N-Triples file's buckets, each as its compressed bytes."""
    data = (folder / NT).read_bytes()
    return [data[offset : offset + length] for offset, length in json.loads((folder / BUCKETS_FILE).read_text())["files"][NT]]


def test_a_patch_takes_the_earlier_buckets_not_the_store(tmp_path: Path) -> None:
    """An untouched bucket is copied, not read again: a subject changed but not named as touched
    keeps its earlier triples (so `touched` must name every changed subject)."""
    store = _store(40)
    earlier, patched = tmp_path / "earlier", tmp_path / "patched"
    earlier.mkdir()
    patched.mkdir()
    write_triple_dumps(store, earlier, len(_triples(store)))
    _rename(store)
    write_triple_dumps(store, patched, len(_triples(store)), Earlier(earlier, frozenset()))
    assert (patched / NT).read_bytes() == (earlier / NT).read_bytes()


def test_a_missing_bucket_record_means_a_whole_write(tmp_path: Path) -> None:
    store = _store(40)
    earlier, patched = tmp_path / "earlier", tmp_path / "patched"
    earlier.mkdir()
    patched.mkdir()
    write_triple_dumps(store, earlier, len(_triples(store)))
    (earlier / BUCKETS_FILE).unlink()
    shutil.copy(earlier / NT, tmp_path / "before.nt.gz")
    _add(store)
    write_triple_dumps(store, patched, len(_triples(store)), Earlier(earlier, frozenset({f"{EX}new"})))
    assert Graph().parse(data=gzip.decompress((patched / NT).read_bytes()), format="nt").isomorphic(_graph(store))


def test_buckets_serialised_in_several_processes_give_the_same_bytes(tmp_path: Path) -> None:
    store = _store(40)
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, processes in ((one, 1), (two, 2)):
        folder.mkdir()
        write_triple_dumps(store, folder, len(_triples(store)), processes=processes)
    assert json.loads((one / BUCKETS_FILE).read_text())["buckets"] == 16
    for name in (NT, TTL, JSONLD, BUCKETS_FILE):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert not [p for p in two.iterdir() if p.is_dir() or p.name.endswith(".partial")], "no bucket or partial file left"
