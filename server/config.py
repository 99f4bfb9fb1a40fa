"""What a server is told: one plain, frozen object, made by whoever starts it (`s3kg serve`, a
test, another application). The server reads no settings file and no environment variable."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.sparql.contract import QuerySettings
from server.sparql.guard import ShapeLimits


@dataclass(frozen=True)
class ServerConfig:
    public_url: str = "http://127.0.0.1:8000/"  # the endpoint's own address, never taken from Host
    base_iri: str = "https://w3id.org/s3kg/id/"  # entity IRIs, answered for under /id/
    query_timeout: float = 30.0
    max_rows: int = 1_000_000
    max_query_bytes: int = 100_000
    max_body_bytes: int = 1 << 20  # any request body; a form-encoded query may be 3× the query
    body_timeout: float = 15.0  # seconds for a request body to arrive (then 408)
    workers: int = 2
    service_allow_list: tuple[str, ...] = ()
    client_seconds_per_minute: float = 30.0  # a quarter of one worker's minute
    client_concurrency: int = 1  # queries one client may run at once per server process
    queue_wait: float = 5.0  # longest wait for a client's turn and a free worker (then 503)
    query_memory_mb: int = 4096  # per query worker (RLIMIT_DATA)
    shape_limits: ShapeLimits = field(default_factory=ShapeLimits)
    cache_bytes: int = 64 << 20  # answers kept per published build; data only changes at a build

    def query_settings(self) -> QuerySettings:
        """What the backend's query runner needs of this (`server.sparql.contract`)."""
        return QuerySettings(
            workers=self.workers,
            network_workers=1 if self.service_allow_list else 0,
            timeout=self.query_timeout,
            queue_wait=self.queue_wait,
            client_concurrency=self.client_concurrency,
            memory_bytes=self.query_memory_mb << 20,
        )
