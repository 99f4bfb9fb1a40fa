"""Where the server's data lives, behind one small interface (the port the two backends fit).

`embedded.backend.EmbeddedBackend` serves the published pyoxigraph build (several server
processes can serve one build: each opens it read-only, and its queries run in sandboxed worker
processes, which receive the backend pickled); `embedded.backend.MemoryBackend` serves a fixed
dataset, for tests and conformance suites; `remote.backend.RemoteBackend` serves the current
build of a remote SPARQL engine (Virtuoso, Oxigraph server, …), which any number of server
processes and machines can share, holding nothing but their caches. Nothing else in the server
knows which one is in use, and the two never import each other.
"""

from __future__ import annotations

from typing import Protocol

from loaders.core.queries import Readable
from loaders.publish.store import PublishedStore
from server.sparql.contract import ClientBudget, Queries, QuerySettings
from server.web.observe import Metrics


class Backend(Protocol):
    def build_id(self) -> str:
        """Identifies the published data; changes exactly when the data does."""

    def open(self) -> Readable:
        """A read-only view of the data, opened in the calling process."""

    def created(self) -> float | None:
        """When the data was published (POSIX time), for Last-Modified; None if unknown."""

    def files(self) -> PublishedStore | None:
        """Where the build's dumps and search index are, when they are on this machine."""

    def queries(self, settings: QuerySettings, budget: ClientBudget, metrics: Metrics | None = None) -> Queries:
        """What runs the endpoint's queries."""
