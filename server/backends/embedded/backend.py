"""The published pyoxigraph build on this machine (`EmbeddedBackend`), or a fixed dataset for
tests and conformance suites (`MemoryBackend`): queries run in the sandboxed worker pool."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from loaders.publish.build_lock import BuildBusy, build_lock
from loaders.publish.store import CorruptBuild, PublishedStore
from server.backends.embedded.pool import QueryPool
from server.sparql.contract import ClientBudget, Queries, QuerySettings
from server.web.observe import Metrics

log = logging.getLogger(__name__)


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

    def queries(self, settings: QuerySettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
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

    def queries(self, settings: QuerySettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
        return QueryPool(self, settings, budget, metrics)
