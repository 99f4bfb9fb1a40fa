"""The published store: an embedded pyoxigraph database per build, switched atomically.

Every named graph is also merged into the default graph (the shapes excepted), so that
plain queries see each fact once.

Layout under the store directory:
    builds/<build-id>/        one complete pyoxigraph database per build
    builds/<build-id>.json    what went into it (graphs, triple counts, sources)
    builds/<build-id>.dumps/  its downloadable dumps, written before it is made current
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

KEEP_BUILDS = 3


class NoPublishedStore(Exception):
    """There is no published build yet: run `s3kg build`."""


@dataclass(frozen=True)
class BuildInfo:
    build_id: str
    path: Path
    graphs: dict[str, int]  # named graph IRI → triples
    created: str
    inputs: str = ""  # fingerprint of what the build was made from (see loaders.build.fingerprint)

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    solutions = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    assert isinstance(solutions, ox.QuerySolutions)
    count = next(iter(solutions))["n"]
    return int(count.value) if isinstance(count, ox.Literal) else 0


def count_matches(store: ox.Store, pattern: str) -> int:
    """How many solutions a graph pattern has, counted by Oxigraph."""
    solutions = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    assert isinstance(solutions, ox.QuerySolutions)
    count = next(iter(solutions))["n"]
    return int(count.value) if isinstance(count, ox.Literal) else 0


class PublishedStore:
    def __init__(self, root: Path):
        self.root = root
        self.builds = root / "builds"
        self.current_link = root / "current"

    # -- reading -------------------------------------------------------------------
    def has_current(self) -> bool:
        return self.current_link.is_symlink()

    def current(self) -> BuildInfo:
        if not self.current_link.is_symlink():
            raise NoPublishedStore(f"no published build in {self.root}; run `s3kg build` first.")
        path = self.current_link.resolve()
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return BuildInfo(meta["build_id"], path, meta["graphs"], meta["created"], meta.get("inputs", ""))

    def recent(self, limit: int = 5) -> list[BuildInfo]:
        """The builds still on disk, newest first."""
        found = []
        for meta in sorted(self.builds.glob("*.json"), reverse=True)[:limit]:
            data = json.loads(meta.read_text(encoding="utf-8"))
            found.append(BuildInfo(data["build_id"], meta.with_suffix(""), data["graphs"], data["created"]))
        return found

    def open(self) -> ox.Store:
        """Open the current build read-only; many processes may do so at once."""
        return ox.Store.read_only(str(self.current().path))

    # -- publishing ----------------------------------------------------------------
    def dumps_dir(self, build_id: str) -> Path:
        """Where a build's downloadable dumps live; they come and go with the build."""
        return self.builds / f"{build_id}.dumps"

    def publish(
        self,
        graphs: Mapping[URIRef, Graph | Path],
        build_id: str | None = None,
        outside_default: frozenset[URIRef] = frozenset(),
        extras: Callable[[ox.Store, Path], object] | None = None,
        inputs: str = "",
    ) -> BuildInfo:
        """Write every graph (an rdflib graph or an N-Triples file) as a named graph and, except
        those in `outside_default`, into the default graph too: the default graph is then their
        RDF merge, where a fact two sources state counts once (pyoxigraph's union-default-graph
        mode would repeat it)."""
        self.builds.mkdir(parents=True, exist_ok=True)
        build_id = build_id or self._new_build_id()
        staging = self.builds / f".{build_id}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        counts: dict[str, int] = {}
        store = ox.Store(str(staging))
        for graph_iri, graph in graphs.items():
            name = ox.NamedNode(str(graph_iri))
            targets: list[ox.NamedNode | ox.DefaultGraph] = [name] if graph_iri in outside_default else [name, ox.DefaultGraph()]
            data = None if isinstance(graph, Path) else graph.serialize(format="nt", encoding="utf-8")
            for target in targets:
                if data is None:
                    store.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES, to_graph=target)
                else:
                    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=target)
            counts[str(graph_iri)] = count_matches(store, f"GRAPH {name} {{ ?s ?p ?o }}")
        store.flush()
        store.optimize()
        if extras is not None:  # e.g. the dumps: written before the build becomes visible
            extras(store, self.dumps_dir(build_id))
        del store  # closes the database before it becomes visible
        final = self.builds / build_id
        created = datetime.now(UTC).isoformat(timespec="seconds")
        meta = {"build_id": build_id, "created": created, "graphs": counts, "inputs": inputs}
        final.with_suffix(".json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.rename(staging, final)
        link = self.root / f".current.{build_id}"
        os.symlink(Path("builds") / build_id, link)
        os.replace(link, self.current_link)  # the atomic switch
        self._prune(keep=build_id)
        return BuildInfo(build_id, final, counts, created, inputs)

    def _new_build_id(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return stamp

    def _prune(self, keep: str) -> None:
        builds = sorted(p for p in self.builds.iterdir() if p.is_dir() and not p.name.startswith(".") and p.suffix != ".dumps")
        for old in builds[:-KEEP_BUILDS]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
                shutil.rmtree(self.dumps_dir(old.name), ignore_errors=True)
                old.with_suffix(".json").unlink(missing_ok=True)
        for stale in self.builds.glob(".*.staging"):
            shutil.rmtree(stale, ignore_errors=True)
