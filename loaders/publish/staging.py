"""A build being written: its own on-disk store, a copy of the current build's (hard links) or a
new one, where graphs are added, patched and dropped, then committed by `PublishedStore.switch`
or discarded. Readers never see it before the commit."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from loaders.core.provenance import sha256_of
from loaders.core.queries import count_matches
from loaders.publish.changes import Difference
from loaders.publish.space import share
from loaders.publish.store import BuildInfo, PublishedStore

KEEP_PATCHES = 500_000  # patched triples remembered for the changes (beyond: the graphs are compared again)
COMPACT_SHARE = 0.25  # an incremental build compacts its store when it wrote more than this share of its triples


class Staging:
    """A build being written into its own on-disk store: graphs are added, the whole can be
    queried (validated, reconciled), then it is committed — made current with one rename — or
    discarded. Readers never see it before the commit."""

    def __init__(self, published: PublishedStore, build_id: str, base: BuildInfo | None = None):
        self.published, self.build_id = published, build_id
        self.path = published.builds / f".{build_id}.staging"
        shutil.rmtree(self.path, ignore_errors=True)
        if base is not None:
            published.open_build(base).backup(str(self.path))
        self.base_id = base.build_id if base is not None else None
        self._store: ox.Store | None = ox.Store(str(self.path))
        self.counts: dict[str, int] = dict(base.graphs) if base else {}
        self.outside: set[str] = set(base.outside) if base else set()
        self.parts: dict[str, str] = {}  # set by the build: the digests of its source graphs
        self.basis: dict[str, str] = {}
        self.same: frozenset[str] = frozenset()  # graphs carried over from `base` unchanged
        self.patched: dict[str, Difference] | None = {}  # what each patched graph lost and gained (None: too much to keep)
        self.written = 0  # triples written or removed since the build began (decides the compaction)
        self.committed = False
        self.version = published.next_version()
        self.created = ""  # set when the commit begins

    @property
    def store(self) -> ox.Store:
        """The build's store, to query before it is committed."""
        if self._store is None:
            raise RuntimeError(f"build {self.build_id} is already committed or discarded")
        return self._store

    def add(self, graph_iri: URIRef, graph: Graph | Path | bytes, in_default: bool = True) -> None:
        """Write a graph (an rdflib graph, an N-Triples file or N-Triples bytes) as a named graph and, unless
        `in_default` is False, into the default graph too: the default graph is then the RDF
        merge of the graphs, where a fact two sources state counts once (pyoxigraph's
        union-default-graph mode would repeat it)."""
        store = self.store
        name = ox.NamedNode(str(graph_iri))
        targets: list[ox.NamedNode | ox.DefaultGraph] = [name, ox.DefaultGraph()] if in_default else [name]
        data = graph.serialize(format="nt", encoding="utf-8") if isinstance(graph, Graph) else graph
        if not in_default:
            self.outside.add(str(graph_iri))
        if isinstance(graph, Path):
            self.keep_file(graph)
        for target in targets:
            if isinstance(data, Path):
                store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES, to_graph=target)
            else:
                store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=target)
        self.counts[str(graph_iri)] = count_matches(store, f"GRAPH {name} {{ ?s ?p ?o }}")
        self.written += self.counts[str(graph_iri)] * len(targets)

    def drop(self, graphs: frozenset[str]) -> None:
        """Remove these named graphs, and from the default graph the triples no other merged
        graph states."""
        store = self.store
        merged = sorted(graphs - self.outside)
        if merged:
            excluded = ", ".join(f"<{iri}>" for iri in sorted(graphs | self.outside))
            for iri in merged:
                store.update(
                    f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} "
                    f"FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER (?other NOT IN ({excluded})) }} }}"
                )
        for iri in sorted(graphs):
            store.remove_graph(ox.NamedNode(iri))
            self.written += self.counts.pop(iri, 0) * (1 if iri in self.outside else 2)
            self.outside.discard(iri)

    def keep_file(self, path: Path) -> None:
        """Keep an export's N-Triples file with this build (a hard link), by the digest of its content."""
        kept = self.published.sources_dir(self.build_id) / f"{sha256_of(path)}.nt"
        if kept.exists():
            return
        kept.parent.mkdir(parents=True, exist_ok=True)
        share(path, kept)

    def kept_file(self, build_id: str, sha256: str) -> Path | None:
        """The N-Triples file of that content an earlier build kept, if any."""
        kept = self.published.sources_dir(build_id) / f"{sha256}.nt"
        return kept if kept.is_file() else None

    def patch(self, graph_iri: str, removed: list[ox.Triple], added: list[ox.Triple], in_default: bool) -> None:
        """Take `removed` out of a named graph and put `added` in; with `in_default`, in the default
        graph too, where a removed triple stays when another merged graph still states it."""
        store = self.store
        name = ox.NamedNode(graph_iri)
        for triple in removed:
            store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, name))
            if in_default and not self._stated(triple):
                store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, ox.DefaultGraph()))
        targets: list[ox.NamedNode | ox.DefaultGraph] = [name, ox.DefaultGraph()] if in_default else [name]
        store.extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in added for target in targets)
        self.counts[graph_iri] = count_matches(store, f"GRAPH {name} {{ ?s ?p ?o }}")
        self.written += (len(removed) + len(added)) * len(targets)
        if self.patched is not None:
            self.patched[graph_iri] = (removed, added)
            if sum(len(a) + len(b) for a, b in self.patched.values()) > KEEP_PATCHES:
                self.patched = None

    def _stated(self, triple: ox.Triple) -> bool:
        """Whether a named graph merged into the default graph states the triple."""
        quads = self.store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None)
        return any(isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value not in self.outside for q in quads)

    def commit(self, extras: Callable[[ox.Store, Path], object] | None = None, inputs: str = "") -> BuildInfo:
        """Optimise, write the extras (e.g. the dumps) and make this build the current one."""
        store = self.store
        self.created = datetime.now(UTC).isoformat(timespec="seconds")  # the version's time, known to the extras
        store.flush()
        if self.compacts():
            store.optimize()
        if extras is not None:  # e.g. the dumps: written before the build becomes visible
            extras(store, self.published.dumps_dir(self.build_id))
        self._store = None
        del store  # closes the database before it becomes visible
        final = self.published.builds / self.build_id
        os.rename(self.path, final)
        self.committed = True
        info = BuildInfo(
            self.build_id, final, self.counts, self.created, inputs, self.version, self.parts, self.basis, sorted(self.outside)
        )
        return self.published.switch(info)

    def compacts(self) -> bool:
        """Whether the commit compacts the store: a new one always; a copy of an earlier build only
        when much was written (compacting rewrites every file, the hard-linked ones too: 10 s and
        the store's size again at 1.6 M triples; a small change is left to RocksDB's own compaction)."""
        return self.base_id is None or self.written > COMPACT_SHARE * 2 * sum(self.counts.values())

    def discard(self) -> None:
        """Forget this build, unless it is committed; the current one stays as it is."""
        if self.committed:
            return
        self._store = None
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(self.published.dumps_dir(self.build_id), ignore_errors=True)
        shutil.rmtree(self.published.sources_dir(self.build_id), ignore_errors=True)


def stage(published: PublishedStore, build_id: str | None = None, base: BuildInfo | None = None) -> Staging:
    """A new build being written, invisible to readers until it is committed; with `base`, it
    starts as a copy of that build (hard links to its immutable files)."""
    published.builds.mkdir(parents=True, exist_ok=True)
    published.sweep()
    return Staging(published, build_id or published.new_build_id(), base)


def publish(
    published: PublishedStore,
    graphs: Mapping[URIRef, Graph | Path],
    build_id: str | None = None,
    outside_default: frozenset[URIRef] = frozenset(),
    extras: Callable[[ox.Store, Path], object] | None = None,
    inputs: str = "",
) -> BuildInfo:
    """Stage every graph (see `Staging.add`) and commit them as the new current build."""
    staging = stage(published, build_id)
    for graph_iri, graph in graphs.items():
        staging.add(graph_iri, graph, in_default=graph_iri not in outside_default)
    return staging.commit(extras, inputs)
