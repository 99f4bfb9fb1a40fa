"""A build being written (`loaders.publish.staging`): when its commit compacts the store.

Compacting rewrites every file of the database, those hard-linked from the build it was copied
from too; a copy that changed little is left as it is (RocksDB compacts it in its own time)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from loaders.publish.staging import stage
from loaders.publish.store import PublishedStore

EX = "https://example.org/"


def _graph(size: int, word: str = "item") -> Graph:
    graph = Graph()
    for n in range(size):
        graph.add((URIRef(f"{EX}{word}/{n}"), URIRef(f"{EX}label"), Literal(f"{word} {n}")))
    return graph


def _shared_files(one: Path, other: Path) -> int:
    """Files of the two databases that are the same file on disk (hard links; a compaction may keep
    some too, so only their presence is telling)."""
    inodes = {p.stat().st_ino for p in one.iterdir() if p.is_file()}
    return sum(1 for p in other.iterdir() if p.is_file() and p.stat().st_ino in inodes)


def _first(root: Path) -> PublishedStore:
    published = PublishedStore(root)
    staging = stage(published)
    staging.add(URIRef(f"{EX}graph/a"), _graph(2000))
    assert staging.compacts(), "a new store is compacted"
    staging.commit()
    return published


@pytest.mark.parametrize(
    ("change", "compacts"),
    [
        ("patch one triple", False),
        ("add a graph as large as the store", True),
        ("drop the only graph", True),
    ],
)
def test_a_copy_is_compacted_only_when_much_was_written(tmp_path: Path, change: str, compacts: bool) -> None:
    published = _first(tmp_path)
    base = published.current()
    staging = stage(published, base=base)
    if change == "patch one triple":
        old = ox.Triple(ox.NamedNode(f"{EX}item/1"), ox.NamedNode(f"{EX}label"), ox.Literal("item 1"))
        new = ox.Triple(ox.NamedNode(f"{EX}item/1"), ox.NamedNode(f"{EX}label"), ox.Literal("item one"))
        staging.patch(f"{EX}graph/a", [old], [new], in_default=True)
    elif change == "add a graph as large as the store":
        staging.add(URIRef(f"{EX}graph/b"), _graph(2000, "other"))
    else:
        staging.drop(frozenset({f"{EX}graph/a"}))
    assert staging.compacts() is compacts
    info = staging.commit()
    quads = published.open().quads_for_pattern(ox.NamedNode(f"{EX}item/1"), None, None, ox.DefaultGraph())
    labels = {q.object.value for q in quads if isinstance(q.object, ox.Literal)}
    assert (
        labels
        == {"patch one triple": {"item one"}, "add a graph as large as the store": {"item 1"}, "drop the only graph": set()}[
            change
        ]
    )
    if not compacts:  # the copy still shares the earlier build's files
        assert _shared_files(base.path, info.path) > 0
