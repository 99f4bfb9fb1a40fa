"""The N-Quads dump by graph and subject bucket (`loaders.publish.quad_dumps`): it holds every
named graph, and a build that patched a graph writes the bytes a whole write of the same store
writes, copying the members no changed subject falls in."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from loaders.publish import triple_dumps
from loaders.publish.quad_dumps import MEMBERS, QUADS_DUMP, EarlierQuads, write_quads

EX = "https://example.org/"
BIG, SMALL = ox.NamedNode(f"{EX}graph/big"), ox.NamedNode(f"{EX}graph/small")
LABEL = ox.NamedNode(f"{EX}label")


@pytest.fixture(autouse=True)
def small_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triple_dumps, "TRIPLES_PER_BUCKET", 20)


def _store() -> ox.Store:
    store = ox.Store()
    for i in range(80):
        s = ox.NamedNode(f"{EX}é/{i}")
        store.add(ox.Quad(s, LABEL, ox.Literal(f'name {i}\nwith "quotes"', language="en"), BIG))
        store.add(ox.Quad(s, ox.NamedNode(f"{EX}next"), ox.NamedNode(f"{EX}é/{(i + 1) % 80}"), BIG))
    store.add(ox.Quad(ox.NamedNode(f"{EX}small"), LABEL, ox.Literal("small"), SMALL))
    return store


def _quads(folder: Path) -> set[str]:
    return {str(q) for q in ox.parse(gzip.decompress((folder / QUADS_DUMP).read_bytes()), format=ox.RdfFormat.N_QUADS)}


def _members(folder: Path) -> dict[str, list[list[int]]]:
    return json.loads((folder / MEMBERS).read_text())


def test_the_dump_holds_every_named_graph_in_buckets(tmp_path: Path) -> None:
    store = _store()
    write_quads(store, tmp_path, None)
    assert _quads(tmp_path) == {
        str(q) for q in store.quads_for_pattern(None, None, None, None) if q.graph_name != ox.DefaultGraph()
    }
    members = _members(tmp_path)
    assert len(members[BIG.value]) == 8 and len(members[SMALL.value]) == 1


@pytest.mark.parametrize("subjects", [[3], [3, 40, 77], []])
def test_a_patched_graph_is_written_as_a_whole_write_writes_it(tmp_path: Path, subjects: list[int]) -> None:
    store = _store()
    earlier, patched, whole = tmp_path / "earlier", tmp_path / "patched", tmp_path / "whole"
    for folder in (earlier, patched, whole):
        folder.mkdir()
    write_quads(store, earlier, None)
    touched = set()
    for i in subjects:
        s = ox.NamedNode(f"{EX}é/{i}")
        for quad in list(store.quads_for_pattern(s, LABEL, None, BIG)):
            store.remove(quad)
        store.add(ox.Quad(s, LABEL, ox.Literal("renamed"), BIG))
        touched.add(s.value)
    write_quads(store, patched, EarlierQuads(earlier, frozenset({SMALL.value}), frozenset({BIG.value}), frozenset(touched)))
    write_quads(store, whole, None)
    assert (patched / QUADS_DUMP).read_bytes() == (whole / QUADS_DUMP).read_bytes()
    assert _members(patched) == _members(whole)
    before, after = (gzip.decompress((f / QUADS_DUMP).read_bytes()).decode() for f in (earlier, patched))
    assert ("renamed" in after) == bool(subjects) and ("renamed" in before) is False


def test_members_recorded_one_per_graph_by_earlier_builds_are_still_copied(tmp_path: Path) -> None:
    store = _store()
    earlier, later = tmp_path / "earlier", tmp_path / "later"
    earlier.mkdir()
    later.mkdir()
    write_quads(store, earlier, None)
    small = _members(earlier)[SMALL.value][0]
    (earlier / MEMBERS).write_text(json.dumps({SMALL.value: small}))  # the old record: [offset, length]
    write_quads(store, later, EarlierQuads(earlier, frozenset({SMALL.value}), frozenset(), frozenset()))
    assert _quads(later) == _quads(earlier)


def test_a_graph_named_by_a_blank_node_is_refused_not_left_out(tmp_path: Path) -> None:
    store = _store()
    store.add(ox.Quad(ox.NamedNode(f"{EX}x"), LABEL, ox.Literal("x"), ox.BlankNode("g")))
    with pytest.raises(ValueError, match="blank node"):
        write_quads(store, tmp_path, None)
    assert not (tmp_path / QUADS_DUMP).exists()
