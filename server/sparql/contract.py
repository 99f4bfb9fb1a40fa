"""The query contract: what the endpoint hands a backend's query runner and what it gets back.

Both runners (`backends.embedded.pool.QueryPool`, `backends.remote.forward.RemoteQueries`) take a
`QueryJob` and answer an `Answer`, or raise `QueryFailed` / `TooManyRequests`; both share one
`ClientBudget` policy and one `QuerySettings`. Nothing here knows which runner is in use.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class QueryJob:
    query: str
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    accept: str | None = None
    max_rows: int = 1_000_000
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None  # relative IRIs in the query resolve against the endpoint's URL
    network: bool = False  # runs on a worker allowed to reach the SERVICE hosts on the allow-list


RETRY_AFTER = 5  # seconds, for answers that say the server is busy


class QueryFailed(Exception):
    """The query could not be answered; `status` is the HTTP status to give."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        self.status, self.message, self.retry_after = status, message, retry_after
        super().__init__(message)


class TooManyRequests(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"This client used more than its share of query time in the last minute. Retry in {retry_after} s.")


class ClientBudget:
    """Query seconds each client spent in the last minute; over budget means 429."""

    def __init__(self, seconds_per_minute: float):
        self.limit = seconds_per_minute
        self.spent: dict[str, deque[tuple[float, float]]] = defaultdict(deque)
        self.totals: dict[str, float] = defaultdict(float)

    def check(self, client: str) -> None:
        now = time.monotonic()
        spent = self.spent[client]
        while spent and spent[0][0] < now - 60:
            self.totals[client] -= spent.popleft()[1]
        if not spent:  # forget idle clients, so the table does not grow with every address seen
            self.spent.pop(client, None)
            self.totals.pop(client, None)
        elif self.totals[client] > self.limit:
            raise TooManyRequests(max(1, int(spent[0][0] + 60 - now) + 1))

    def record(self, client: str, seconds: float) -> None:
        self.spent[client].append((time.monotonic(), seconds))
        self.totals[client] += seconds


@dataclass(frozen=True)
class QuerySettings:
    workers: int = 2  # sandboxed workers (no network)
    network_workers: int = 0  # workers for queries with an allowed SERVICE (only with an allow-list)
    timeout: float = 30.0  # seconds a query may run on a worker
    queue_wait: float = 5.0  # seconds a query may wait for its client's turn and a worker
    client_concurrency: int = 1  # queries one client may run at once in this process
    nice_after: float = 0.5  # seconds after which a running query gets the lowest CPU priority
    memory_bytes: int = 4 << 30  # per worker (RLIMIT_DATA)


@dataclass
class Answer:
    media_type: str
    body: AsyncIterator[bytes]
    max_rows: int
    truncated: bool | None  # known before streaming when the whole answer came in the first message


class Queries(Protocol):
    """Who answers the SPARQL endpoint's queries (`QueryPool`, `RemoteQueries`)."""

    async def start(self) -> None: ...

    def close(self) -> None: ...

    async def run(self, job: QueryJob, client: str, facts: dict[str, Any] | None = None) -> Answer: ...
