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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

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

    def open_build(self, info: BuildInfo) -> ox.Store:
        """That kept build's store (read-write: a staging build starts as its copy)."""
        return _open(info)

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

    def switch(self, info: BuildInfo) -> BuildInfo:
        """Make a complete build (its store already renamed to `info.path`) the current one: its
        record, then one rename of the link."""
        meta = {
            "build_id": info.build_id,
            "version": info.version,
            "created": info.created,
            "graphs": info.graphs,
            "inputs": info.inputs,
            "parts": info.parts,
            "basis": info.basis,
            "outside": info.outside,
        }
        written = info.path.with_name(f".{info.build_id}.json.partial")
        written.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.replace(written, info.path.with_suffix(".json"))  # a build is complete once its record is there
        link = self.root / f".current.{info.build_id}"
        os.symlink(Path("builds") / info.build_id, link)
        os.replace(link, self.current_link)  # the atomic switch
        self._prune(keep=info.build_id)
        return info

    def next_version(self) -> int:
        """The version number the next build gets: one more than the newest kept build's."""
        return max((b.version for b in self.recent(None)), default=0) + 1

    def new_build_id(self) -> str:
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
        self.sweep()

    def sweep(self) -> None:
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
