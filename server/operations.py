"""Routes for operators: `/healthz` (the process is alive), `/readyz` (it can serve: the build or
engine is readable and the query workers have started) and `/metrics` (Prometheus text)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from loaders.publish.remote import EngineUnavailable, NoRemoteBuild
from loaders.publish.store import CorruptBuild, NoPublishedStore
from server.backends.entities import EntityReader
from server.web.observe import METRICS_TYPE, Metrics

NOT_READY = (EngineUnavailable, NoRemoteBuild, NoPublishedStore, CorruptBuild, OSError, RuntimeError)


def add_routes(app: FastAPI, reader: EntityReader, metrics: Metrics, started: Callable[[], bool]) -> None:
    @app.get("/healthz")
    async def healthz() -> Response:
        return Response("ok\n", media_type="text/plain", headers={"Cache-Control": "no-store"})

    @app.get("/readyz")
    def readyz() -> Response:  # a plain def: reading the build may touch the disk or the engine (a thread)
        headers = {"Cache-Control": "no-store"}
        if not started():
            return JSONResponse({"ready": False, "why": "the query workers are starting"}, 503, headers=headers)
        try:
            build, _ = reader.store()
            created = reader.created()
        except NOT_READY as error:
            return JSONResponse({"ready": False, "why": str(error)}, 503, headers=headers)
        return JSONResponse({"ready": True, "build": build, "created": created}, headers=headers)

    @app.get("/metrics")
    def prometheus() -> Response:
        try:
            build: tuple[str, float | None] | None = (reader.store()[0], reader.created())
        except NOT_READY:
            build = None
        return Response(metrics.exposition(build), media_type=METRICS_TYPE, headers={"Cache-Control": "no-store"})
