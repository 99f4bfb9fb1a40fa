"""Dataset-level publication: /dumps/ (with Range), the DCAT-AP catalogue record at /catalog,
VoID at /.well-known/void, and /sitemap.xml."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from rdflib import Graph

from loaders.publish.changes import read_changes
from loaders.publish.store import BuildInfo, PublishedStore
from server.backends.entities import EntityReader
from server.publication.catalog import ATTRIBUTION, Site, catalog_record, read_manifest, schema_dataset, void_description
from server.web.addresses import EXTENSIONS, not_modified
from server.web.languages import reader_page_language
from server.web.negotiation import choose
from server.web.templates import TEMPLATES, script_json

RDF_OUT = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml", "application/n-triples": "nt"}
SITEMAP_LIMIT = 50_000


FORMAT_LINKS = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML"))


def _rdf(
    graph: Graph, request: Request, title: str, dataset: dict[str, object] | None = None, build: BuildInfo | None = None
) -> Response:
    """The graph in the RDF format asked for (Accept, or ?format=); a browser gets a page: for the
    catalogue record, the dataset's facts and downloads with schema.org's Dataset in JSON-LD, and
    the Turtle one click away."""
    media = choose(_accept(request), [*RDF_OUT, "text/html", "text/plain"])
    if media in ("text/html", "text/plain"):
        turtle = graph.serialize(format="turtle")
        if media == "text/plain":
            return Response(turtle, media_type="text/plain", headers={"Vary": "Accept"})
        page = TEMPLATES.get_template("rdf_document.html").render(
            lang=reader_page_language(request.query_params.get("lang"), request.headers.get("accept-language")),
            title=title, turtle=turtle, formats=FORMAT_LINKS, dataset=dataset,
            dataset_json=Markup(script_json(dataset)) if dataset else None,
            build_id=build.build_id if build else "", triples=f"{build.triples:,}" if build else "",
        )  # fmt: skip
        return HTMLResponse(page, headers={"Vary": "Accept"})
    body = graph.serialize(format=RDF_OUT[media], encoding="utf-8")
    return Response(body, media_type=media, headers={"Vary": "Accept"})


def _accept(request: Request) -> str | None:
    """?format= names a document by its extension (for links), as at entity IRIs; otherwise the Accept header decides."""
    named = EXTENSIONS.get(request.query_params.get("format", ""))
    return named or request.headers.get("accept")


def serve_dump(folder: Path, manifest: list[dict[str, object]], name: str, request: Request) -> Response:
    """One dump of a build's folder (only the files its manifest lists), with Range and ETag."""
    entry = next((d for d in manifest if d["name"] == name), None)  # only listed files: no path tricks
    if entry is None:
        return Response(f"No dump named {name}; see /dumps/.\n", status_code=404, media_type="text/plain")
    path = folder / name
    media, encoded = str(entry["media_type"]), False
    if name.endswith(".gz"):
        # A gzip file is served as what it is (application/gzip: browsers save it, as named), or,
        # to an RDF client that asks for its content and accepts gzip (Comunica), as that content
        # with Content-Encoding: gzip. The bytes, Range offsets and ETag are the file's either way;
        # the ETag names the variant, as the headers differ.
        wanted = choose(request.headers.get("accept"), ["application/gzip", media]) == media
        encoded = wanted and "gzip" in request.headers.get("accept-encoding", "").lower()
        media = media if encoded else "application/gzip"
    etag = f'"{entry["sha256"]}{"-content-encoding-gzip" if encoded else ""}"'
    headers = {
        "ETag": etag,
        "X-License": "CC-BY-4.0",
        "Cache-Control": "public, max-age=3600",
        "Vary": "Accept, Accept-Encoding",
    }
    if encoded:
        headers["Content-Encoding"] = "gzip"
    created = path.stat().st_mtime  # a dump is written once, when its build is published
    headers["Last-Modified"] = formatdate(created, usegmt=True)
    if not_modified(request, etag, created):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media, headers=headers)


def first_published(published: PublishedStore) -> str | None:
    """When the oldest kept build was published: the dataset's issue date as far as this store knows."""
    kept = published.recent(None)
    return kept[-1].created if kept else None


def add_routes(app: FastAPI, published: PublishedStore, site: Site, reader: EntityReader) -> None:
    def current() -> tuple[BuildInfo, list[dict[str, object]]]:
        build = published.current()
        return build, read_manifest(published.dumps_dir(build.build_id))

    @app.get("/dumps/")
    async def dumps(request: Request) -> Response:
        build, manifest = current()
        if choose(request.headers.get("accept"), ["text/html", "application/json"]) == "application/json":
            return JSONResponse({"build": build.build_id, "licence": ATTRIBUTION, "files": manifest})
        page = TEMPLATES.get_template("dumps.html").render(
            lang=reader_page_language(request.query_params.get("lang"), request.headers.get("accept-language")),
            build_id=build.build_id, attribution=ATTRIBUTION, files=manifest,
        )  # fmt: skip
        return HTMLResponse(page)

    @app.get("/dumps/{name}")
    async def dump(name: str, request: Request) -> Response:
        build, manifest = current()
        return serve_dump(published.dumps_dir(build.build_id), manifest, name, request)

    @app.get("/catalog")
    async def catalog(request: Request) -> Response:
        build, manifest = current()
        changes = read_changes(published.dumps_dir(build.build_id))
        issued = first_published(published)
        record = catalog_record(site, build, manifest, changes, issued)
        dataset = schema_dataset(site, build, manifest, issued)
        return _rdf(record, request, "The dataset's catalogue record (DCAT-AP 3)", dataset, build)

    @app.get("/.well-known/void")
    async def void(request: Request) -> Response:
        build, manifest = current()
        example = site.base_iri + "project/gotos3"
        return _rdf(void_description(site, build, manifest, example), request, "VoID description of the dataset")

    @app.get("/sitemap.xml")
    async def sitemap() -> Response:
        _, store = reader.store()
        query = f'SELECT DISTINCT ?s WHERE {{ ?s a ?type FILTER (STRSTARTS(STR(?s), "{site.base_iri}")) }} LIMIT {SITEMAP_LIMIT}'
        solutions = store.query(query)
        assert isinstance(solutions, ox.QuerySolutions)
        pages = [site.public_url, site.public_url + "sparql", site.public_url + "dumps/", site.public_url + "catalog"]
        for row in solutions:
            subject = row["s"]
            if isinstance(subject, ox.NamedNode):
                pages.append(site.public_url + "id/" + subject.value[len(site.base_iri) :])
        urls = "".join(f"<url><loc>{escape(page)}</loc></url>" for page in pages)
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
        return Response(body, media_type="application/xml")
