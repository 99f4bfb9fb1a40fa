"""Where the server's data lives, behind one small interface.

A backend must be picklable: each query worker process receives it and opens its own
read-only store. `EmbeddedBackend` serves the published pyoxigraph build (several server
processes can serve one build: each opens it read-only); `MemoryBackend` serves a fixed
dataset, for tests and conformance suites. A remote SPARQL 1.1 backend fits the same shape.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from loaders.store import PublishedStore


class Backend(Protocol):
    def build_id(self) -> str:
        """Identifies the published data; changes exactly when the data does."""

    def open(self) -> ox.Store:
        """A read-only view of the data, opened in the calling process."""

    def created(self) -> float | None:
        """When the data was published (POSIX time), for Last-Modified; None if unknown."""


@dataclass(frozen=True)
class EmbeddedBackend:
    store_dir: Path

    def build_id(self) -> str:
        # the name the `current` link points to: one readlink per request, no file read
        return os.readlink(self.store_dir / "current").rsplit("/", 1)[-1]

    def open(self) -> ox.Store:
        return PublishedStore(self.store_dir).open()

    def created(self) -> float | None:
        return datetime.fromisoformat(PublishedStore(self.store_dir).current().created).timestamp()


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
