"""/versions/: the kept builds, each a version with its dumps and its changes per source.

- `/versions/` (JSON, or a page): every kept version with its time, triples, what it added and
  removed, and where its dumps, changes and mementos are;
- `/versions/{build}/dumps/{name}`: a kept version's dumps, as `/dumps/` serves the current ones;
- `/versions/{build}/changes`: its changes per source (JSON), and `…/changes/added` and
  `…/changes/removed`: the triples themselves, as gzipped N-Quads in the graph of their source.
A build id that is not kept is a 404 that names the kept versions (`loaders.publish.store.UnknownBuild`).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from loaders.publish.changes import ADDED, REMOVED, read_changes
from loaders.publish.dumps import QUADS_DUMP
from loaders.publish.store import BuildInfo, PublishedStore
from server.publication.catalog import read_manifest
from server.publication.dumps import serve_dump
from server.web.addresses import not_modified
from server.web.languages import reader_page_language
from server.web.negotiation import choose
from server.web.templates import TEMPLATES


def _summary(published: PublishedStore, build: BuildInfo, current: str) -> dict[str, object]:
    changes = read_changes(published.dumps_dir(build.build_id))
    base = f"/versions/{build.build_id}"
    return {
        "version": build.version,
        "build": build.build_id,
        "published": build.created,
        "current": build.build_id == current,
        "triples": build.triples,
        "added": changes.added if changes else None,
        "removed": changes.removed if changes else None,
        "previous": changes.previous if changes else None,
        "dumps": [f"{base}/dumps/{d['name']}" for d in read_manifest(published.dumps_dir(build.build_id))],
        "changes": f"{base}/changes",
    }


def _language(request: Request) -> str:
    return reader_page_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def add_routes(app: FastAPI, published: PublishedStore) -> None:
    @app.get("/versions/")
    async def listing(request: Request) -> Response:
        current = published.current().build_id
        kept = [_summary(published, b, current) for b in published.recent(None)]
        if choose(request.headers.get("accept"), ["text/html", "application/json"]) == "application/json":
            return JSONResponse({"kept": len(kept), "versions": kept})
        return HTMLResponse(TEMPLATES.get_template("versions.html").render(lang=_language(request), versions=kept))

    @app.get("/versions/{build_id}/dumps/{name}")
    async def kept_dump(build_id: str, name: str, request: Request) -> Response:
        folder = published.dumps_dir(published.build(build_id).build_id)
        return serve_dump(folder, read_manifest(folder), name, request)

    @app.get("/versions/{build_id}/changes")
    async def changes(build_id: str) -> Response:
        build = published.build(build_id)
        recorded = read_changes(published.dumps_dir(build.build_id))
        if recorded is None:
            return JSONResponse({"build": build.build_id, "version": build.version, "recorded": False})
        return JSONResponse({"version": build.version, **asdict(recorded)})

    @app.get("/versions/{build_id}/changes/{which}")
    async def changed_triples(build_id: str, which: str, request: Request) -> Response:
        files = {"added": ADDED, "removed": REMOVED}
        build = published.build(build_id)
        recorded = read_changes(published.dumps_dir(build.build_id))
        if which == "added" and recorded is not None and recorded.previous is None:
            # The first version added every triple: they are its N-Quads dump, not written twice
            where = f"/versions/{build.build_id}/dumps/{QUADS_DUMP}"
            message = f"Version {build.version} is the first: every triple it holds was added, as {where}\n"
            return Response(message, status_code=303, headers={"Location": where}, media_type="text/plain")
        path = published.dumps_dir(build.build_id) / files.get(which, "")
        if which not in files or not path.is_file():
            message = f"No {which!r} triples for build {build.build_id}; there are added and removed.\n"
            return Response(message, status_code=404, media_type="text/plain")
        headers = {"ETag": f'"{build.build_id}-{which}"', "Cache-Control": "public, max-age=86400, immutable"}
        if not_modified(request, headers["ETag"]):  # a kept build's changes never change
            return Response(status_code=304, headers=headers)
        name = f"s3kg-{build.version}-{which}.nq.gz"
        return FileResponse(path, media_type="application/gzip", filename=name, headers=headers)
