"""Pages for people: the home page, browsing by class, label search, and the ontology and
shapes at their namespace addresses (HTML in the reader's language, or RDF)."""

from __future__ import annotations

import asyncio
import math
import threading
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from loaders.core.queries import Readable
from loaders.core.vocab import PREFIXES
from loaders.publish.overview import OVERVIEW_FILE, Overview, count_overview, read_overview
from loaders.publish.remote import EngineUnavailable, NoRemoteBuild
from loaders.publish.search_index import SEARCH_FILE
from loaders.publish.store import NoPublishedStore, PublishedStore
from loaders.publish.tables.spec import TABLES
from server.backends.entities import EntityReader, labels_of
from server.pages import browse as browsing
from server.pages import inset, values
from server.pages.search import best_hits
from server.pages.tables import render_table
from server.publication.catalog import Site, citation, read_manifest, schema_dataset
from server.publication.dumps import first_published
from server.sparql.contract import QueryJob
from server.web.addresses import Addresses
from server.web.languages import PAGE_LANGUAGES, best_label, page_language, preferred_languages
from server.web.negotiation import choose
from server.web.per_build import PerBuild
from server.web.templates import TEMPLATES, script_json

if TYPE_CHECKING:
    from server.sparql.contract import Queries

S3 = PREFIXES["s3"]
BROWSABLE = ("Programme", "Project", "Organisation", "Objective", "S3Domain", "Sector", "TargetGroup", "Method", "SourceDocument")
PAGE_SIZE = 50
VIEWS_KEPT = 512  # table views (filter sets) whose count and facets are kept per build
JSON_RESULTS = "application/sparql-results+json"
SORT_LANGUAGES = PAGE_LANGUAGES  # the languages of the ontology's and the seeds' labels
RDF_DOCS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
EXTENSIONS = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml", "html": "text/html"}


def _rows(store: Readable, query: str) -> list[ox.QuerySolution]:
    solutions = store.query(query, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    return list(solutions)


def _value(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode) else ""


def _members(store: Readable, name: str, language: str | None) -> list[str]:
    """Every member of a class in ascending order: by its label in `language` (any label when
    it has none there, its IRI when it has no label), or by IRI when `language` is None."""
    rows = _rows(store, f"SELECT ?s ?l WHERE {{ ?s a s3:{name} OPTIONAL {{ ?s rdfs:label ?l }} }}")
    labels: dict[str, list[ox.Literal]] = defaultdict(list)
    for row in rows:
        label = row["l"]
        labels[_value(row["s"])].extend([label] if isinstance(label, ox.Literal) else [])
    if language is None:
        return sorted(labels)

    def key(iri: str) -> tuple[str, str]:
        found = sorted(labels[iri], key=lambda label: label.value)
        return ((best_label(found, [language]) or iri).casefold(), iri)

    return sorted(labels, key=key)


def add_routes(
    app: FastAPI, reader: EntityReader, addresses: Addresses, published: PublishedStore | None, queries: Callable[[], Queries]
) -> Callable[[], None]:
    """Add the pages; returns a function that computes what they share for the current build,
    for the server to run in the background when it starts (the first reader then waits for
    nothing). A page that finds a build not yet warmed (one published while the server runs)
    starts the same warm-up in the background."""
    per_build = PerBuild(limit=3 + len(BROWSABLE) * (len(SORT_LANGUAGES) + 1))
    warmed: set[str] = set()

    def overview(build: str, store: Readable) -> Overview:
        """The home page's build-wide figures: those published with the build, read once per build,
        or (a build without them) counted once per build."""
        kept = published.dumps_dir(build) / OVERVIEW_FILE if published is not None else None
        return per_build.get(build, "overview", lambda: (kept and read_overview(kept)) or count_overview(store, reader.figures()))

    def members(build: str, store: Readable, name: str, language: str | None) -> list[str]:
        """A class's members in order, computed once per build and ordering."""
        return per_build.get(build, ("members", name, language), lambda: _members(store, name, language))

    def warm_in_background(build: str) -> None:
        if build not in warmed:
            warmed.add(build)
            threading.Thread(target=warm, name="warm-pages", daemon=True).start()

    def warm() -> None:
        try:
            build, store = reader.store()
            warmed.add(build)
            inset.prepare()  # the regions' drawings, read once per process
            for index in reader.tables().values():  # its arrays read once, its every-row counts counted
                index.warm()
            overview(build, store)
            for name in (name for name in BROWSABLE if name not in TABLES):  # a table's pages read its index
                members(build, store, name, "en")  # by English label
                members(build, store, name, None)  # by IRI
        except (NoPublishedStore, NoRemoteBuild, EngineUnavailable):  # nothing to warm (yet); pages say so when asked
            return

    def languages(request: Request) -> list[str]:
        return preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))

    def link(iri: str, labels: dict[str, list[ox.Literal]], langs: list[str]) -> dict[str, str | None]:
        return {"href": addresses.local(iri), "label": best_label(labels.get(iri, []), langs) or iri.rsplit("/", 1)[-1]}

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> str:  # blocking store reads: FastAPI runs it in its thread pool
        langs = languages(request)
        build, store = reader.store()
        warm_in_background(build)
        figures = overview(build, store)
        counts = figures.counts
        class_labels = labels_of(store, [S3 + name for name in BROWSABLE])
        classes = [
            {
                "name": name,
                "label": best_label(class_labels.get(S3 + name, []), langs) or name,
                "count": counts.get(name, 0),
                "count_text": values.number(str(counts.get(name, 0))),
            }
            for name in BROWSABLE
        ]
        labels = labels_of(store, [iri for iri, _ in figures.per_programme])
        programmes = [{**link(iri, labels, langs), "count": count} for iri, count in figures.per_programme]
        charts = [
            _chart("Budgets by programme", "Total budget of the projects of each programme, in euro", True,
                   figures.by_programme, store, langs),
            _chart("Budgets by S3 domain", "Total budget of the projects working in each S3 domain, in euro", True,
                   figures.budgets, store, langs),
            _chart("Partners by country", "Organisations in the graph per country", False,
                   figures.by_country, store, langs),
        ]  # fmt: skip
        builds = published.recent() if published is not None else []
        cite = citation(addresses.public_url, builds[0]) if builds else None
        dataset = None
        if published is not None and builds:
            manifest = read_manifest(published.dumps_dir(builds[0].build_id))
            site = Site(addresses.public_url, addresses.base_iri)
            dataset = Markup(script_json(schema_dataset(site, builds[0], manifest, first_published(published))))
        return TEMPLATES.get_template("home.html").render(
            lang=page_language(langs), classes=classes, programmes=programmes, charts=charts, builds=builds, citation=cite,
            dataset_json=dataset,
        )  # fmt: skip

    views = PerBuild(limit=VIEWS_KEPT)  # count and facets per table, filter set and language

    async def select(query: str, limit: int, client: str) -> list[browsing.Row]:
        """A table's SELECT, run where the endpoint's queries run (see `browsing.Select`)."""
        job = QueryJob(query, accept=JSON_RESULTS, max_rows=limit, prefixes=PREFIXES)
        answer = await queries().run(job, client)
        body = b"".join([chunk async for chunk in answer.body])
        solutions = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        return [{n: row[n] for n in names if isinstance(row[n], ox.NamedNode | ox.Literal)} for row in solutions]

    @app.get("/browse/{name}", response_class=HTMLResponse)
    async def browse(request: Request, name: str, page: int = 1, sort: str = "label", order: str = "asc") -> Response:
        if name not in BROWSABLE:
            return HTMLResponse(f"Nothing to browse under that name; try one of: {', '.join(BROWSABLE)}.", status_code=404)
        langs = languages(request)
        build, store = await asyncio.to_thread(reader.store)
        if name not in TABLES:
            download = request.query_params.get("format")
            if download in ("csv", "xlsx"):
                return await asyncio.to_thread(listing_download, build, store, name, langs, download)
            return await asyncio.to_thread(listing, build, store, name, langs, page, sort, order)
        client = request.client.host if request.client else "unknown"
        index = published.dumps_dir(build) / SEARCH_FILE if published is not None else None
        tables = await asyncio.to_thread(reader.tables)
        return await render_table(
            request, store, TABLES[name], langs, page, addresses,
            lambda query, limit: select(query, limit, client),
            lambda key: views.peek(build, key), lambda key, value: views.put(build, key, value),
            partial(best_hits, index) if index is not None and index.is_file() else None, tables.get(name),
        )  # fmt: skip

    def listing_download(build: str, store: Readable, name: str, langs: list[str], kind: str) -> Response:
        """Every member of a class with its label in the reader's language, as CSV or XLSX."""
        ordered = members(build, store, name, next(code for code in [*langs, "en"] if code in SORT_LANGUAGES))
        labels = labels_of(store, ordered)
        rows = [(iri, best_label(labels.get(iri, []), langs) or "") for iri in ordered]
        body, media = browsing.list_download(kind, name.casefold(), rows)
        disposition = f'attachment; filename="{name.casefold()}.{kind}"'
        return Response(body, media_type=media, headers={"Content-Disposition": disposition, "Vary": "Accept-Language"})

    def listing(build: str, store: Readable, name: str, langs: list[str], page: int, sort: str, order: str) -> Response:
        """A paged list of a class's members, kept in order per build."""
        warm_in_background(build)
        # by label in the first of the reader's languages the data has labels in (English at the latest)
        language = next(code for code in [*langs, "en"] if code in SORT_LANGUAGES) if sort == "label" else None
        ordered = members(build, store, name, language)
        total = len(ordered)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(page, 1), pages)
        ordered = ordered[::-1] if order == "desc" else ordered
        chosen = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        labels = labels_of(store, chosen)
        shown = [link(iri, labels, langs) for iri in chosen]
        class_label = best_label(labels_of(store, [S3 + name]).get(S3 + name, []), langs) or name
        page_html = TEMPLATES.get_template("browse.html").render(
            lang=page_language(langs),
            class_label=class_label,
            items=shown,
            total=total,
            page=page,
            pages=pages,
            first=(page - 1) * PAGE_SIZE + 1,
            sort="label" if sort == "label" else "iri",
            order="desc" if order == "desc" else "asc",
        )
        return HTMLResponse(page_html)

    def graph_document(request: Request, suffix: str, name: str, page: Callable[[list[ox.Triple], list[str]], str]) -> Response:
        """A named graph of the store at its namespace address: HTML documentation or RDF."""
        requested = EXTENSIONS.get(suffix.lstrip(".")) if suffix else None
        if suffix and requested is None:
            return Response(f"No such document; try /{name}, /{name}.ttl, .jsonld or .rdf.\n", status_code=404)
        media = requested or choose(request.headers.get("accept"), ["text/html", *RDF_DOCS])
        _, store = reader.store()
        graph = ox.NamedNode(addresses.base_iri + "graph/" + name)
        triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
        if media != "text/html":
            body = ox.serialize(triples, format=RDF_DOCS[media], prefixes=PREFIXES) or b""
            return Response(body, media_type=media, headers={"Vary": "Accept"})
        return HTMLResponse(page(triples, languages(request)), headers={"Vary": "Accept, Accept-Language"})

    @app.get("/robots.txt")
    async def robots() -> Response:
        """Crawlers are welcome on the pages; the endpoint and search answer queries, not pages to index."""
        body = "User-agent: *\nDisallow: /sparql\nDisallow: /search\nDisallow: /browse/*?*format=\nAllow: /\n"
        return Response(body, media_type="text/plain; charset=utf-8")

    @app.get("/ontology{suffix:path}")
    async def ontology(request: Request, suffix: str) -> Response:
        return graph_document(request, suffix, "ontology", _ontology_page)

    @app.get("/shapes{suffix:path}")
    async def shapes(request: Request, suffix: str) -> Response:
        return graph_document(request, suffix, "shapes", _shapes_page)

    return warm


def _shapes_page(triples: list[ox.Triple], langs: list[str]) -> str:
    """Each shape with its label and the messages it gives, in the order of the files."""
    shapes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    parents: dict[str, str] = {}
    sh = "http://www.w3.org/ns/shacl#"
    for t in triples:
        subject, predicate = _value(t.subject), t.predicate.value
        if predicate in (sh + "property", sh + "sparql"):
            parents[_value(t.object)] = subject
        if predicate == PREFIXES["rdfs"] + "label" or predicate == sh + "message":
            shapes[subject][predicate.rsplit("#", 1)[-1]].append(_value(t.object))
    rules: dict[str, list[str]] = defaultdict(list)
    for node, fields in shapes.items():
        owner = parents.get(node, node)
        rules[owner].extend(fields.get("message", []))
    rows = []
    for node in sorted(n for n in shapes if n.startswith("https://w3id.org/s3kg/shapes#")):
        label = (shapes[node].get("label") or [node.rsplit("#", 1)[-1]])[0]
        rows.append({"name": node.rsplit("#", 1)[-1], "label": label, "messages": sorted(set(rules.get(node, [])))})
    return TEMPLATES.get_template("shapes.html").render(lang=page_language(langs), shapes=rows)


def _ontology_page(triples: list[ox.Triple], langs: list[str]) -> str:
    by_subject: dict[str, dict[str, list[ox.Literal]]] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, str] = {}
    for t in triples:
        subject = _value(t.subject)
        if isinstance(t.object, ox.Literal):
            by_subject[subject][t.predicate.value].append(t.object)
        elif t.predicate.value.endswith("#type"):
            kinds[subject] = t.object.value if isinstance(t.object, ox.NamedNode) else ""

    def term(iri: str) -> dict[str, str | None]:
        props = by_subject[iri]
        return {
            "name": iri[len(S3) :],
            "label": best_label(props[PREFIXES["rdfs"] + "label"], langs),
            "definition": best_label(props[PREFIXES["skos"] + "definition"], langs),
        }

    ours = sorted(iri for iri in kinds if iri.startswith(S3))
    ontology = "https://w3id.org/s3kg/ontology"
    header = by_subject[ontology]
    return TEMPLATES.get_template("ontology.html").render(
        lang=page_language(langs),
        title=best_label(header[PREFIXES["dcterms"] + "title"], langs),
        description=best_label(header[PREFIXES["dcterms"] + "description"], langs),
        namespace=S3,
        languages=["en", "nl", "fr"],
        classes=[term(i) for i in ours if kinds[i].endswith("#Class")],
        properties=[term(i) for i in ours if not kinds[i].endswith("#Class")],
    )


def _chart(
    title: str, caption: str, money: bool, rows: list[tuple[str, float]], store: Readable, langs: list[str]
) -> dict[str, Any]:
    """A bar chart of (IRI, amount) rows; a chart whose bars would all be equal says so instead,
    since it shows nothing but one value repeated."""
    labels = labels_of(store, [iri for iri, _ in rows])
    largest = max((v for _, v in rows), default=0.0) or 1.0
    language = page_language(langs)
    bars = [
        {"label": best_label(labels.get(iri, []), langs) or iri.rsplit("/", 1)[-1],
         "text": values.amount(f"{v:.0f}", "EUR", False, language) if money else values.number(f"{v:.0f}"),
         "width": round(260 * v / largest)}
        for iri, v in rows[:12]
    ]  # fmt: skip
    uniform = len({v for _, v in rows}) < 2
    return {
        "title": title,
        "caption": caption,
        "bars": [] if uniform else bars,
        "uniform": uniform and bool(rows),
        "count": len(rows),
    }
