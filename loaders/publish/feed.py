"""The change feed's members, written at each build (served as an LDES by `server.publication.feed`).

Each build (version V) adds one member per entity that it created, changed or deleted, compared
with the build before it: the entity's description in V (its triples, with the blank nodes they
reach), or nothing for a deletion. The first build creates every entity. An entity is an IRI
subject of the default graph.

Layout, under the store folder (it outlives the builds, which are pruned):
    feed/<V>/build.json        version, build id, publication time, members, pages
    feed/<V>/page-<n>.jsonl    the page's members in order: {"entity", "kind"}
    feed/<V>/page-<n>.nq.gz    their descriptions, each in the named graph of its entity
    feed/<V>/state.tsv.gz      every entity ever seen: IRI, digest of its description ("-" when
                               deleted), the version that last changed it

Retention: a version whose build is no longer kept keeps only the members that are still the
latest of their entity (ldes:versionAmount 1), so a replica starting from nothing still reaches
the current graph; the kept versions keep all their members.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

FEED = "feed"
PAGE_SIZE = 500
STATE = "state.tsv.gz"
DELETED = "-"
LEVEL = 6  # gzip level: 9 (gzip.open's default) takes 3x the time for the same size on N-Quads


class FeedOrderError(RuntimeError):
    """The store did not give an entity's triples together (the feed relies on its index order)."""


@dataclass(frozen=True)
class Member:
    entity: str
    kind: str  # Create, Update or Delete (ActivityStreams)


def _describe(store: ox.Store, triples: list[ox.Triple]) -> list[ox.Triple]:
    """The triples and, recursively, those of the blank nodes they reach (a concise bounded description)."""
    found, queue, seen = list(triples), [t.object for t in triples if isinstance(t.object, ox.BlankNode)], set()
    while queue:
        node = queue.pop()
        if node in seen:
            continue
        seen.add(node)
        for quad in store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
            found.append(quad.triple)
            if isinstance(quad.object, ox.BlankNode):
                queue.append(quad.object)
    return found


def entities(store: ox.Store) -> Iterator[tuple[str, list[ox.Triple]]]:
    """Every IRI subject of the default graph with its description, in the store's index order."""
    current: ox.NamedNode | None = None
    triples: list[ox.Triple] = []
    done: set[str] = set()
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        subject = quad.subject
        if not isinstance(subject, ox.NamedNode):
            continue
        if subject != current:
            if current is not None:
                yield current.value, _describe(store, triples)
                done.add(current.value)
            if subject.value in done:
                raise FeedOrderError(f"the triples of {subject.value} are not together in the store's order")
            current, triples = subject, []
        triples.append(quad.triple)
    if current is not None:
        yield current.value, _describe(store, triples)


def _described(store: ox.Store, subjects: list[str]) -> Iterator[tuple[str, list[ox.Triple] | None]]:
    """The description of each IRI in turn, by key; None for one that is no subject of the default graph."""
    for subject in subjects:
        triples = [q.triple for q in store.quads_for_pattern(ox.NamedNode(subject), None, None, ox.DefaultGraph())]
        yield subject, _describe(store, triples) if triples else None


def digest(triples: list[ox.Triple]) -> str:
    lines = sorted(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    return hashlib.blake2b("\n".join(lines).encode(), digest_size=16).hexdigest()


def read_state(folder: Path) -> dict[str, tuple[str, int]]:
    """entity → (digest or DELETED, version that last changed it)."""
    path = folder / STATE
    if not path.is_file():
        return {}
    state = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            entity, value, version = line.rstrip("\n").split("\t")
            state[entity] = (value, int(version))
    return state


def versions(feed: Path) -> list[int]:
    """The versions the feed has, oldest first (complete ones: with their build.json)."""
    if not feed.is_dir():
        return []
    return sorted(int(p.name) for p in feed.iterdir() if p.name.isdigit() and (p / "build.json").is_file())


def read_build(feed: Path, version: int) -> dict[str, object]:
    return dict(json.loads((feed / str(version) / "build.json").read_text(encoding="utf-8")))


class _Pages:
    """Writes members a page at a time."""

    def __init__(self, folder: Path):
        self.folder, self.count, self.pages = folder, 0, 0
        self.index: list[str] = []
        self.quads: list[str] = []

    def add(self, member: Member, triples: list[ox.Triple]) -> None:
        self.index.append(json.dumps({"entity": member.entity, "kind": member.kind}))
        graph = f"<{member.entity}>"
        self.quads.extend(f"{t.subject} {t.predicate} {t.object} {graph} .\n" for t in triples)
        self.count += 1
        if len(self.index) == PAGE_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.index:
            return
        self.pages += 1
        (self.folder / f"page-{self.pages}.jsonl").write_text("\n".join(self.index) + "\n", encoding="utf-8")
        with gzip.open(self.folder / f"page-{self.pages}.nq.gz", "wt", encoding="utf-8", compresslevel=LEVEL) as handle:
            handle.writelines(self.quads)
        self.index, self.quads = [], []


def write_feed(
    store: ox.Store,
    feed: Path,
    version: int,
    build_id: str,
    created: str,
    previous: int | None,
    touched: frozenset[str] | None = None,
) -> None:
    """Write version `version`'s members against the feed state of version `previous` (None: the
    first build; every entity is created). With `touched` (the subjects of every triple that
    changed since `previous`, which include every entity created or deleted), only those are
    described, each read by key, and compared; the others keep their state without the store
    being walked. A leftover folder of a build that failed is replaced."""
    folder, partial = feed / str(version), feed / f".{version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    before = read_state(feed / str(previous)) if previous is not None else {}
    after: dict[str, tuple[str, int]] = {}
    pages = _Pages(partial)
    if touched is not None and previous is not None:  # only these can differ: the others keep their state
        after.update((entity, value) for entity, value in before.items() if entity not in touched and value[0] != DELETED)
        described: Iterator[tuple[str, list[ox.Triple] | None]] = _described(store, sorted(touched))
    else:
        described = entities(store)
    for entity, triples in described:
        if triples is None:
            continue
        value = digest(triples)
        old = before.get(entity)
        if old is None or old[0] == DELETED:
            pages.add(Member(entity, "Create"), triples)
            after[entity] = (value, version)
        elif old[0] != value:
            pages.add(Member(entity, "Update"), triples)
            after[entity] = (value, version)
        else:
            after[entity] = old
    for entity, (value, changed) in before.items():
        if entity not in after:
            if value != DELETED:
                pages.add(Member(entity, "Delete"), [])
            after[entity] = (DELETED, version if value != DELETED else changed)
    pages.flush()
    with gzip.open(partial / STATE, "wt", encoding="utf-8", compresslevel=LEVEL) as handle:
        handle.writelines(f"{e}\t{v}\t{n}\n" for e, (v, n) in sorted(after.items()))
    record = {"version": version, "build_id": build_id, "created": created, "members": pages.count, "pages": pages.pages}
    (partial / "build.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(partial, folder)


def compact(feed: Path, kept: set[int]) -> None:
    """Versions whose build is no longer kept keep only the members still latest for their entity."""
    all_versions = versions(feed)
    if not all_versions:
        return
    latest = read_state(feed / str(all_versions[-1]))
    for version in all_versions:
        if version in kept:
            continue
        folder = feed / str(version)
        for index in sorted(folder.glob("page-*.jsonl")):
            members = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
            keep = [m for m in members if latest.get(m["entity"], ("", 0))[1] == version]
            if len(keep) == len(members):
                continue
            _rewrite_page(index, keep)


def _rewrite_page(index: Path, keep: list[dict[str, str]]) -> None:
    quads_path = index.with_suffix(".nq.gz")
    wanted = {f"<{m['entity']}>" for m in keep}
    with gzip.open(quads_path, "rt", encoding="utf-8") as handle:
        lines = [line for line in handle if line.rstrip(" .\n").rsplit(" ", 1)[-1] in wanted]
    temporary = quads_path.with_name(quads_path.name + ".partial")
    with gzip.open(temporary, "wt", encoding="utf-8", compresslevel=LEVEL) as handle:
        handle.writelines(lines)
    index_temporary = index.with_name(index.name + ".partial")
    index_temporary.write_text("".join(json.dumps(m) + "\n" for m in keep), encoding="utf-8")
    os.replace(temporary, quads_path)
    os.replace(index_temporary, index)
