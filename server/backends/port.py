"""Where the server's data lives, behind one small interface.

`EmbeddedBackend` serves the published pyoxigraph build (several server processes can serve
one build: each opens it read-only, and its queries run in sandboxed worker processes, which
receive the backend pickled); `MemoryBackend` serves a fixed dataset, for tests and conformance
suites; `SparqlBackend` serves the current build of a remote SPARQL engine (Virtuoso, Oxigraph
server, …), which any number of server processes and machines can share, holding nothing but
their caches. Nothing else in the server knows which one is in use.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from loaders.publish.build_lock import BuildBusy, build_lock
from loaders.publish.remote import BuildView, RemoteEngine, RemoteTarget, current_view
from loaders.publish.store import CorruptBuild, PublishedStore, Readable
from server.backends.embedded.pool import Answer, ClientBudget, PoolSettings, QueryPool
from server.backends.embedded.worker import QueryJob
from server.backends.remote.forward import RemoteQueries
from server.backends.remote.store import RemoteStore
from server.web.observe import Metrics

log = logging.getLogger(__name__)


class Queries(Protocol):
    """Who answers the SPARQL endpoint's queries (`QueryPool`, `RemoteQueries`)."""

    async def start(self) -> None: ...

    def close(self) -> None: ...

    async def run(self, job: QueryJob, client: str, facts: dict[str, Any] | None = None) -> Answer: ...


class Backend(Protocol):
    def build_id(self) -> str:
        """Identifies the published data; changes exactly when the data does."""

    def open(self) -> Readable:
        """A read-only view of the data, opened in the calling process."""

    def created(self) -> float | None:
        """When the data was published (POSIX time), for Last-Modified; None if unknown."""

    def files(self) -> PublishedStore | None:
        """Where the build's dumps and search index are, when they are on this machine."""

    def queries(self, settings: PoolSettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
        """What runs the endpoint's queries."""


@dataclass(frozen=True)
class EmbeddedBackend:
    store_dir: Path

    @cached_property
    def _current(self) -> str:
        return str(self.store_dir / "current")

    def build_id(self) -> str:
        # the name the `current` link points to: one readlink per request, no file read
        return os.readlink(self._current).rsplit("/", 1)[-1]

    def open(self) -> ox.Store:
        """The current build; when its database is damaged, set it aside and serve the newest
        kept build that opens (`PublishedStore.recover`), or serve that one read-only when a
        build holds the store directory (it recovers the same way)."""
        published = PublishedStore(self.store_dir)
        try:
            return published.open()
        except CorruptBuild as error:
            log.error("the current build cannot be opened", extra={"error": str(error), "store": str(self.store_dir)})
        try:
            with build_lock(self.store_dir, log.warning, wait=0):
                published.recover(log.error)
        except (BuildBusy, OSError) as busy:
            log.warning("serving the newest kept build that opens", extra={"why": str(busy)})
        return published.open_good()[1]

    def created(self) -> float | None:
        return datetime.fromisoformat(PublishedStore(self.store_dir).current().created).timestamp()

    def files(self) -> PublishedStore | None:
        return PublishedStore(self.store_dir)

    def queries(self, settings: PoolSettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
        return QueryPool(self, settings, budget, metrics)


@dataclass(frozen=True)
class MemoryBackend:
    nquads: bytes
    label: str = "memory"

    def build_id(self) -> str:
        return self.label

    def created(self) -> float | None:
        return None

    def open(self) -> ox.Store:
        store = ox.Store()
        store.load(self.nquads, format=ox.RdfFormat.N_QUADS)
        return store

    def files(self) -> PublishedStore | None:
        return None

    def queries(self, settings: PoolSettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
        return QueryPool(self, settings, budget, metrics)


class SparqlBackend:
    """The current build of a remote SPARQL engine. Which build is current is asked of the
    engine at most every `poll` seconds, so a build published by any `s3kg build` is seen by
    every server within that time; `store_dir` is where that build's dumps and search index
    are, if this machine has them (the machine that built it, or a shared folder)."""

    def __init__(self, target: RemoteTarget, store_dir: Path | None = None, poll: float = 1.0):
        self.target, self.store_dir, self.poll = target, store_dir, poll
        self._engine: RemoteEngine | None = None
        self._view: tuple[float, BuildView] | None = None
        self._lock = threading.Lock()

    def engine(self) -> RemoteEngine:
        if self._engine is None:
            self._engine = RemoteEngine(self.target)
        return self._engine

    def view(self) -> BuildView:
        """The current build (EngineUnavailable, NoRemoteBuild when there is none to serve)."""
        cached = self._view
        if cached is not None and time.monotonic() - cached[0] < self.poll:
            return cached[1]
        with self._lock:
            if self._view is None or time.monotonic() - self._view[0] >= self.poll:
                self._view = (time.monotonic(), current_view(self.engine()))
            return self._view[1]

    def fresh_view(self) -> BuildView | None:
        """The current build if it was asked of the engine less than `poll` seconds ago (no I/O)."""
        cached = self._view
        return cached[1] if cached is not None and time.monotonic() - cached[0] < self.poll else None

    def build_id(self) -> str:
        return self.view().build_id

    def created(self) -> float | None:
        return self.view().created

    def open(self) -> RemoteStore:
        return RemoteStore(self.engine(), self.view())

    def files(self) -> PublishedStore | None:
        return PublishedStore(self.store_dir) if self.store_dir is not None else None

    def queries(self, settings: PoolSettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
        return RemoteQueries(self, RemoteEngine(self.target), settings, budget)
