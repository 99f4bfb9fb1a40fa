"""The current build of a remote SPARQL engine (`RemoteBackend`): queries are forwarded to it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from loaders.publish.remote import BuildView, RemoteEngine, RemoteTarget, current_view
from loaders.publish.store import PublishedStore
from server.backends.remote.forward import RemoteQueries
from server.backends.remote.store import RemoteStore
from server.sparql.contract import ClientBudget, Queries, QuerySettings
from server.web.observe import Metrics


class RemoteBackend:
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

    def queries(self, settings: QuerySettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
        return RemoteQueries(self, RemoteEngine(self.target), settings, budget)
