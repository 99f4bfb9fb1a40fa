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
from xml.sax.saxutils import escape

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from loaders.publish.changes import ADDED, REMOVED, read_changes
from loaders.publish.store import BuildInfo, PublishedStore
from server.publication.catalog import read_manifest
from server.publication.dumps import serve_dump
from server.web.addresses import not_modified
from server.web.negotiation import choose


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


def _row(version: dict[str, object]) -> str:
    """One version as a table row of the page."""
    dumps = [str(d) for d in version["dumps"]] if isinstance(version["dumps"], list) else []
    links = [f'<a href="{escape(str(version["changes"]))}">changes</a>']
    links += [f'<a href="{escape(d)}">{escape(d.rsplit("/", 1)[-1])}</a>' for d in dumps]
    added, removed = version["added"], version["removed"]
    cells = [version["version"], version["build"], version["published"], f"{int(str(version['triples'])):,}"]
    cells += ["" if added is None else added, "" if removed is None else removed]
    return "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + f"<td>{' · '.join(links)}</td></tr>"


def add_routes(app: FastAPI, published: PublishedStore) -> None:
    @app.get("/versions/")
    async def listing(request: Request) -> Response:
        current = published.current().build_id
        kept = [_summary(published, b, current) for b in published.recent(None)]
        if choose(request.headers.get("accept"), ["text/html", "application/json"]) == "application/json":
            return JSONResponse({"kept": len(kept), "versions": kept})
        rows = "".join(_row(v) for v in kept)
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Versions — s3kg</title>'
            '<link rel="stylesheet" href="/static/pages.css"></head><body><main><h1>Kept versions</h1>'
            "<table><thead><tr><th>version</th><th>build</th><th>published</th><th>triples</th><th>added</th>"
            f"<th>removed</th><th>files</th></tr></thead><tbody>{rows}</tbody></table></main></body></html>"
        )
        return HTMLResponse(page)

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
        path = published.dumps_dir(build.build_id) / files.get(which, "")
        if which not in files or not path.is_file():
            message = f"No {which!r} triples for build {build.build_id}; there are added and removed.\n"
            return Response(message, status_code=404, media_type="text/plain")
        headers = {"ETag": f'"{build.build_id}-{which}"', "Cache-Control": "public, max-age=86400, immutable"}
        if not_modified(request, headers["ETag"]):  # a kept build's changes never change
            return Response(status_code=304, headers=headers)
        name = f"s3kg-{build.version}-{which}.nq.gz"
        return FileResponse(path, media_type="application/gzip", filename=name, headers=headers)
