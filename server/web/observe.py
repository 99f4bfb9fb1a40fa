"""What an operator sees: one access line per request, Prometheus metrics, liveness and readiness.

- `AccessLog`, the outermost ASGI layer: a request id (the client's `X-Request-ID` when it is a
  plain token, else a new one, echoed back), then one `server.access` log event per request with
  route, status, duration, bytes, client, and what the endpoint adds to `scope["s3kg"]` (query
  hash and form, cache hit, the worker that answered or "inline", rows).
- `Metrics`: requests and their latency by route and status, queue waits, worker starts and ends
  by reason, answer-cache hits, in the Prometheus text format at `/metrics`, with the build's id
  and age. Under `s3kg serve` several processes share one port: each writes its figures to the
  folder `PROMETHEUS_MULTIPROC_DIR` names (set by the supervisor), and `/metrics` adds them up
  (prometheus_client's multiprocess mode), so a scrape sees the whole server whichever process
  answers it.
- `/healthz` answers while the process runs; `/readyz` only when the published build (or the
  engine) can be read and the query workers have started: 503 naming what is missing otherwise.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from server.web.limits import ASGIApp, Receive, Scope, Send

log = logging.getLogger("server.access")

# Routes as metrics label them: the first prefix a path starts with, so a label has few values.
ROUTES = [
    ("/sparql", "/sparql"), ("/id/", "/id/*"), ("/versions/", "/versions/*"), ("/timemap/", "/timemap/*"),
    ("/browse/", "/browse/*"), ("/search", "/search"), ("/sources/", "/sources/*"), ("/dumps/", "/dumps/*"),
    ("/feed", "/feed"), ("/static/", "/static/*"), ("/map", "/map"), ("/catalog", "/catalog"),
    ("/ontology", "/ontology"), ("/shapes", "/shapes"), ("/healthz", "/healthz"), ("/readyz", "/readyz"),
    ("/metrics", "/metrics"),
]  # fmt: skip
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def route_of(path: str) -> str:
    if path == "/":
        return "/"
    return next((label for prefix, label in ROUTES if path.startswith(prefix)), "other")


class Metrics:
    """This process's figures (a registry per app: tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("s3kg_requests", "HTTP requests answered", ["route", "method", "status"], registry=r)
        self.latency = Histogram("s3kg_request_seconds", "Time to answer", ["route"], buckets=LATENCY_BUCKETS, registry=r)
        waits = "Wait for a turn and a worker"
        self.queue_wait = Histogram("s3kg_queue_wait_seconds", waits, buckets=LATENCY_BUCKETS, registry=r)
        self.workers = Counter("s3kg_worker_events", "Query workers started and ended, by reason", ["event"], registry=r)
        self.cache = Counter("s3kg_answer_cache", "Answer cache lookups", ["result"], registry=r)

    def worker(self, event: str, **facts: Any) -> None:
        """A worker started or ended ("start", "timeout", "died", …): counted and logged."""
        self.workers.labels(event).inc()
        logging.getLogger("server.workers").info(f"worker {event}", extra={"event": event, **facts})

    def exposition(self, build: tuple[str, float | None] | None) -> bytes:
        """The Prometheus text: every process's figures under `s3kg serve`, then the build's."""
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if folder and os.path.isdir(folder):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=folder)
            text = generate_latest(registry)
        else:
            text = generate_latest(self.registry)
        if build is not None:
            ident, created = build
            text += (
                "# HELP s3kg_build_info The published build being served\n# TYPE s3kg_build_info gauge\n"
                f's3kg_build_info{{build="{ident}"}} 1.0\n'
            ).encode()
            if created is not None:
                age = max(0.0, time.time() - created)
                text += f"# HELP s3kg_build_age_seconds Age of the build served\n# TYPE s3kg_build_age_seconds gauge\n" \
                        f"s3kg_build_age_seconds {age:.1f}\n".encode()  # fmt: skip
        return text


METRICS_TYPE = CONTENT_TYPE_LATEST


class AccessLog:
    """ASGI middleware: request id, one access event per request, request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, clock: Callable[[], float] = time.perf_counter):
        self.app, self.metrics, self.clock = app, metrics, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        facts: dict[str, Any] = {}
        scope["s3kg"] = facts
        answer = {"status": 0, "bytes": 0}

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            elif message["type"] == "http.response.body":
                answer["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._record(scope, request_id, answer, facts, self.clock() - started)

    def _record(self, scope: Scope, request_id: str, answer: dict[str, int], facts: dict[str, Any], seconds: float) -> None:
        route = route_of(scope["path"])
        status = answer["status"] or 500  # no answer started: the connection broke or the app failed
        self.metrics.requests.labels(route, scope["method"], str(status)).inc()
        self.metrics.latency.labels(route).observe(seconds)
        client = scope.get("client")
        event = {
            "request_id": request_id,
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "bytes": answer["bytes"],
            "client": client[0] if client else None,
            **facts,
        }
        log.info("request", extra=event)
