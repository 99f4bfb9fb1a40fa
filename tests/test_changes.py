"""What a build changed (`loaders.publish.changes.write_changes`): a graph too large to compare is
listed by size only, unless the build knows its difference from its patch."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from loaders.publish import changes
from loaders.publish.changes import CHANGES, write_changes

EX = "https://example.org/"
GRAPH = ox.NamedNode(f"{EX}graph/big")


def _store(names: list[str]) -> ox.Store:
    store = ox.Store()
    store.extend(ox.Quad(ox.NamedNode(f"{EX}{n}"), ox.NamedNode(f"{EX}name"), ox.Literal(n), GRAPH) for n in names)
    return store


@pytest.mark.parametrize("patched", [True, False])
def test_a_large_graph_is_itemised_only_from_its_patch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patched: bool) -> None:
    monkeypatch.setattr(changes, "ITEMISE_LIMIT", 5)
    names = [f"e{i}" for i in range(10)]
    old, new = _store(names), _store([*names[1:], "e10"])
    gone = ox.Triple(ox.NamedNode(f"{EX}e0"), ox.NamedNode(f"{EX}name"), ox.Literal("e0"))
    added = ox.Triple(ox.NamedNode(f"{EX}e10"), ox.NamedNode(f"{EX}name"), ox.Literal("e10"))
    known = {GRAPH.value: ([gone], [added])} if patched else None
    found = write_changes(new, old, "b2", "b1", tmp_path, known=known)
    (source,) = json.loads((tmp_path / CHANGES).read_text())["sources"]
    if patched:
        assert (source["added"], source["removed"]) == (1, 1)
        assert found.touched == {f"{EX}e0", f"{EX}e10"}
    else:
        assert (source["added"], source["removed"]) == (None, None), "too large to compare: listed by size"
        assert found.touched is None
