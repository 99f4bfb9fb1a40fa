"""The published store: an embedded pyoxigraph database per build, switched atomically.

Every named graph is also merged into the default graph (the shapes excepted), so that
plain queries see each fact once.

Layout under the store directory:
    builds/<build-id>/        one complete pyoxigraph database per build
    builds/<build-id>.json    what went into it (graphs, triple counts, sources)
    builds/<build-id>.dumps/  its downloadable dumps, written before it is made current
    (a build killed part-way leaves parts of these; the next build sweeps them away)
    current -> builds/<id>    symbolic link, replaced atomically with rename(2)

A build is written to a staging directory, closed, then made current by renaming a new
link over the old one: a reader opens either the old build or the new one, never half.
Older builds are pruned, keeping a few so that readers that still hold one keep working.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from loaders.core.provenance import sha256_of
from loaders.core.queries import count_matches

KEEP_BUILDS = 3  # builds kept on disk by default: each a version, with its dumps and changes (setting keep_builds)


class NoPublishedStore(Exception):
    """There is no published build yet: run `s3kg build`."""


@dataclass(frozen=True)
class BuildInfo:
    build_id: str
    path: Path
    graphs: dict[str, int]  # named graph IRI → triples
    created: str
    inputs: str = ""  # fingerprint of what the build was made from (see loaders.build.fingerprint)
    version: int = 0  # 1 for the first build of a store, then one more for each build (0: made before versions)
    parts: dict[str, str] = field(default_factory=dict)  # source graph IRI → digest of its content (loaders.publish.increment)
    basis: dict[str, str] = field(default_factory=dict)  # digests of what validation depends on (increment.Basis)
    outside: list[str] = field(default_factory=list)  # named graphs not merged into the default graph

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    solutions = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    assert isinstance(solutions, ox.QuerySolutions)
    count = next(iter(solutions))["n"]
    return int(count.value) if isinstance(count, ox.Literal) else 0


class UnknownBuild(LookupError):
    """No kept build has that id or version; the message names the ones there are."""


class CorruptBuild(Exception):
    """A build's database cannot be opened; the message names the build and the damage."""


def _open(info: BuildInfo) -> ox.Store:
    try:
        return ox.Store.read_only(str(info.path))
    except (OSError, RuntimeError) as error:  # RocksDB reports damage as RuntimeError ("Corruption: …")
        raise CorruptBuild(f"Build {info.build_id} (version {info.version}) cannot be opened: {error}.") from None


def _info(meta: Path) -> BuildInfo:
    data = json.loads(meta.read_text(encoding="utf-8"))
    return BuildInfo(
        data["build_id"],
        meta.with_suffix(""),
        data["graphs"],
        data["created"],
        data.get("inputs", ""),
        data.get("version", 0),
        data.get("parts", {}),
        data.get("basis", {}),
        data.get("outside", []),
    )


def _is_build(path: Path) -> bool:
    """A build's database folder (not its dumps or kept files, not a staging folder)."""
    return path.is_dir() and not path.name.startswith(".") and path.suffix not in (".dumps", ".sources")


class PublishedStore:
    def __init__(self, root: Path, keep: int = KEEP_BUILDS):
        self.root = root
        self.builds = root / "builds"
        self.current_link = root / "current"
        self.keep = keep

    # -- reading -------------------------------------------------------------------
    def has_current(self) -> bool:
        return self.current_link.is_symlink()

    def current(self) -> BuildInfo:
        if not self.current_link.is_symlink():
            raise NoPublishedStore(f"no published build in {self.root}; run `s3kg build` first.")
        return _info(self.current_link.resolve().with_suffix(".json"))

    def recent(self, limit: int | None = 5) -> list[BuildInfo]:
        """The builds still on disk (the versions kept), newest first."""
        if not self.builds.is_dir():
            return []
        complete = [meta for meta in self.builds.glob("*.json") if meta.with_suffix("").is_dir()]
        return [_info(meta) for meta in sorted(complete, reverse=True)[:limit]]

    def build(self, ident: str) -> BuildInfo:
        """A kept build by its id or its version number; UnknownBuild names those kept."""
        kept = self.recent(None)
        for info in kept:
            if ident in (info.build_id, str(info.version)):
                return info
        there = ", ".join(f"{b.version} ({b.build_id})" for b in kept) or "none"
        raise UnknownBuild(f"no kept build has the id or version {ident!r}; the kept versions are: {there}.")

    def open(self) -> ox.Store:
        """Open the current build read-only; many processes may do so at once. CorruptBuild when
        its database cannot be opened (see `recover`)."""
        return _open(self.current())

    def open_good(self) -> tuple[BuildInfo, ox.Store]:
        """The current build, or when it cannot be opened the newest kept build that can."""
        current = self.current()
        try:
            return current, _open(current)
        except CorruptBuild as error:
            for info in self.recent(None):
                if info.build_id != current.build_id:
                    try:
                        return info, _open(info)
                    except CorruptBuild:
                        continue
            raise error from None

    def recover(self, say: Callable[[str], None]) -> None:
        """When the current build's database cannot be opened (damaged on disk), set it aside in
        `corrupt/` and make the newest kept build that opens current, saying so; with none, the
        store has no current build and the next build starts afresh. Called with the build lock
        held (`loaders.publish.build_lock`)."""
        if not self.has_current():
            return
        current = self.current()
        try:
            _open(current)
            return
        except CorruptBuild as error:
            damaged = str(error)
        aside = self.root / "corrupt"
        aside.mkdir(exist_ok=True)
        os.rename(current.path, aside / current.build_id)
        os.replace(current.path.with_suffix(".json"), aside / f"{current.build_id}.json")
        good = None
        for info in self.recent(None):
            try:
                _open(info)
            except CorruptBuild:
                continue
            good = info
            break
        if good is None:
            self.current_link.unlink()
            say(f"{damaged} It was moved to {aside}; no kept build opens, so the next build starts afresh.")
            return
        link = self.root / f".current.{good.build_id}"
        os.symlink(Path("builds") / good.build_id, link)
        os.replace(link, self.current_link)
        say(f"{damaged} It was moved to {aside}; build {good.build_id} (version {good.version}) is current again.")

    # -- publishing ----------------------------------------------------------------
    def dumps_dir(self, build_id: str) -> Path:
        """Where a build's downloadable dumps live; they come and go with the build."""
        return self.builds / f"{build_id}.dumps"

    def sources_dir(self, build_id: str) -> Path:
        """Where a build keeps the N-Triples files its exports were written from (hard links to
        the export cache), by content digest: the next build compares its files with them."""
        return self.builds / f"{build_id}.sources"

    def stage(self, build_id: str | None = None, base: BuildInfo | None = None) -> Staging:
        """A new build being written, invisible to readers until it is committed; with `base`,
        it starts as a copy of that build (hard links to its immutable files)."""
        self.builds.mkdir(parents=True, exist_ok=True)
        self._sweep()
        return Staging(self, build_id or self._new_build_id(), base)

    def publish(
        self,
        graphs: Mapping[URIRef, Graph | Path],
        build_id: str | None = None,
        outside_default: frozenset[URIRef] = frozenset(),
        extras: Callable[[ox.Store, Path], object] | None = None,
        inputs: str = "",
    ) -> BuildInfo:
        """Stage every graph (see `Staging.add`) and commit them as the new current build."""
        staging = self.stage(build_id)
        for graph_iri, graph in graphs.items():
            staging.add(graph_iri, graph, in_default=graph_iri not in outside_default)
        return staging.commit(extras, inputs)

    def _switch(self, staging: Staging, counts: dict[str, int], inputs: str) -> BuildInfo:
        final = self.builds / staging.build_id
        created = staging.created
        version = staging.version
        outside = sorted(staging.outside)
        meta = {
            "build_id": staging.build_id,
            "version": version,
            "created": created,
            "graphs": counts,
            "inputs": inputs,
            "parts": staging.parts,
            "basis": staging.basis,
            "outside": outside,
        }
        os.rename(staging.path, final)
        staging.committed = True
        written = final.with_name(f".{staging.build_id}.json.partial")
        written.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.replace(written, final.with_suffix(".json"))  # a build is complete once its record is there
        link = self.root / f".current.{staging.build_id}"
        os.symlink(Path("builds") / staging.build_id, link)
        os.replace(link, self.current_link)  # the atomic switch
        self._prune(keep=staging.build_id)
        return BuildInfo(staging.build_id, final, counts, created, inputs, version, staging.parts, staging.basis, outside)

    def next_version(self) -> int:
        """The version number the next build gets: one more than the newest kept build's."""
        return max((b.version for b in self.recent(None)), default=0) + 1

    def _new_build_id(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return stamp

    def _prune(self, keep: str) -> None:
        builds = sorted(
            p
            for p in self.builds.iterdir()
            if p.is_dir() and not p.name.startswith(".") and p.suffix not in (".dumps", ".sources")
        )
        for old in builds[: -self.keep]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
                shutil.rmtree(self.dumps_dir(old.name), ignore_errors=True)
                shutil.rmtree(self.sources_dir(old.name), ignore_errors=True)
                old.with_suffix(".json").unlink(missing_ok=True)
        self._sweep()

    def _sweep(self) -> None:
        """Remove what a build stopped part-way (killed, out of disk) left behind: staging
        stores, dumps, records and stores that are not part of a complete build, and links
        that never became current. The current build is never touched."""
        current = os.readlink(self.current_link).rsplit("/", 1)[-1] if self.current_link.is_symlink() else None
        complete = {
            p.name
            for p in self.builds.iterdir()
            if p.is_dir() and p.suffix not in (".dumps", ".sources") and not p.name.startswith(".")
        }
        complete = {name for name in complete if (self.builds / f"{name}.json").is_file()} | ({current} if current else set())
        for path in self.builds.iterdir():
            name = path.name.removesuffix(".dumps").removesuffix(".sources").removesuffix(".json")
            if not (path.name.startswith(".") or name not in complete):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        for link in self.root.glob(".current.*"):
            link.unlink(missing_ok=True)


class Staging:
    """A build being written into its own on-disk store: graphs are added, the whole can be
    queried (validated, reconciled), then it is committed — made current with one rename — or
    discarded. Readers never see it before the commit."""

    def __init__(self, published: PublishedStore, build_id: str, base: BuildInfo | None = None):
        self.published, self.build_id = published, build_id
        self.path = published.builds / f".{build_id}.staging"
        shutil.rmtree(self.path, ignore_errors=True)
        if base is not None:
            _open(base).backup(str(self.path))
        self._store: ox.Store | None = ox.Store(str(self.path))
        self.counts: dict[str, int] = dict(base.graphs) if base else {}
        self.outside: set[str] = set(base.outside) if base else set()
        self.parts: dict[str, str] = {}  # set by the build: the digests of its source graphs
        self.basis: dict[str, str] = {}
        self.same: frozenset[str] = frozenset()  # graphs carried over from `base` unchanged
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
            self.counts.pop(iri, None)
            self.outside.discard(iri)

    def keep_file(self, path: Path) -> None:
        """Keep an export's N-Triples file with this build (a hard link), by the digest of its content."""
        kept = self.published.sources_dir(self.build_id) / f"{sha256_of(path)}.nt"
        if kept.exists():
            return
        kept.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, kept)
        except OSError:  # another file system: a copy
            shutil.copyfile(path, kept)

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

    def _stated(self, triple: ox.Triple) -> bool:
        """Whether a named graph merged into the default graph states the triple."""
        quads = self.store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None)
        return any(isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value not in self.outside for q in quads)

    def commit(self, extras: Callable[[ox.Store, Path], object] | None = None, inputs: str = "") -> BuildInfo:
        """Optimise, write the extras (e.g. the dumps) and make this build the current one."""
        store = self.store
        self.created = datetime.now(UTC).isoformat(timespec="seconds")  # the version's time, known to the extras
        store.flush()
        store.optimize()
        if extras is not None:  # e.g. the dumps: written before the build becomes visible
            extras(store, self.published.dumps_dir(self.build_id))
        self._store = None
        del store  # closes the database before it becomes visible
        return self.published._switch(self, self.counts, inputs)

    def discard(self) -> None:
        """Forget this build, unless it is committed; the current one stays as it is."""
        if self.committed:
            return
        self._store = None
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(self.published.dumps_dir(self.build_id), ignore_errors=True)
        shutil.rmtree(self.published.sources_dir(self.build_id), ignore_errors=True)
