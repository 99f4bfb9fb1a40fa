"""The map: NUTS regions as shapes (server/pages/atlas.py), coloured by the projects or partners
they have or by the budget of their projects (server/pages/choropleth.py), for the projects a view
keeps — filtered by programme, period, fund, domain or theme, the project table's own facets and
URL parameters. One view, several forms, all from the same parameters:

    /map             the page: a form of plain links and a submit button, no script needed
    /map/embed       the drawing with its legend, for an <iframe> on another site
    /map.svg         the drawing alone, for an <img>
    /map.geojson     the view's regions with their figures and shapes (RFC 7946)
    /map?format=csv  the view's table (also xlsx)

A region opens its own page (/region/<code>). A map view counts from the build's table index of
projects (loaders/publish/tables/places.py), in time that grows with the projects it keeps; a
build without one (older code, a remote engine) is read once into `Facts`, never per request.
A view's spreadsheet lists its first DOWNLOAD_ROWS projects (in IRI order) and their partners."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from loaders.core.queries import Readable, select_values
from loaders.core.vocab import NUTS
from loaders.publish.tables.read import TableIndex
from loaders.publish.tables.spec import TABLES
from server.backends.entities import EntityReader, labels_of
from server.pages import atlas, values
from server.pages import choropleth as maps
from server.pages.browse import DOWNLOAD_ROWS
from server.pages.spreadsheets import CSV, XLSX, Cell, Sheet, csv_bytes, xlsx_bytes
from server.web.languages import best_label, page_language, preferred_languages
from server.web.per_build import PerBuild
from server.web.templates import TEMPLATES

EUR = "http://publications.europa.eu/resource/authority/currency/EUR"
# Two queries, not one with a UNION: Oxigraph ran the UNION once per participation (11 s at 11,000)
_PARTNERS = [
    "SELECT ?p ?o ?r WHERE { ?p a s3:Project ; s3:hasParticipation ?x . ?x s3:participant ?o . ?o s3:region ?r }",
    "SELECT ?p ?o ?r WHERE { ?p a s3:Project ; s3:hasParticipation ?x . ?x s3:participant ?o ; s3:region ?r }",
]
_OWN = "SELECT ?p ?r WHERE { ?p a s3:Project ; s3:region ?r }"
_BUDGETS = f"SELECT ?p ?b WHERE {{ ?p a s3:Project ; s3:totalBudget ?m . ?m schema:value ?b ; s3:currency <{EUR}> }}"
_PROJECTS = "SELECT ?p WHERE { ?p a s3:Project }"
_NAMES = "SELECT ?code ?name WHERE { ?r a s3:Region ; skos:notation ?code ; skos:prefLabel ?name }"


def _code(iri: str) -> str | None:
    return iri[len(str(NUTS)) :] if iri.startswith(str(NUTS)) else None


def read_facts(store: Readable) -> maps.Facts:
    """Where every project is, who its partners are, its budget in euro and its filter values."""
    places: dict[str, set[str]] = defaultdict(set)
    partners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for project, organisation, region in (row for query in _PARTNERS for row in select_values(store, query)):
        if code := _code(region):
            places[project].add(code)
            partners[project].add((organisation, code))
    for project, region in select_values(store, _OWN):
        if code := _code(region):
            places[project].add(code)
    budget: dict[str, float] = defaultdict(float)
    for project, amount in select_values(store, _BUDGETS):
        try:
            budget[project] = max(budget[project], float(amount))
        except ValueError:
            continue
    facets: dict[str, dict[str, frozenset[str]]] = {}
    for name in maps.FILTERS:
        found: dict[str, set[str]] = defaultdict(set)
        path = TABLES["Project"].facets[name]
        for project, value in select_values(store, f"SELECT ?p ?v WHERE {{ ?p a s3:Project ; {path} ?v FILTER isIRI(?v) }}"):
            found[project].add(value)
        facets[name] = {p: frozenset(v) for p, v in found.items()}
    return maps.Facts(
        {p: frozenset(c) for p, c in places.items()},
        {p: frozenset(o) for p, o in partners.items()},
        dict(budget),
        facets,
        frozenset(project for (project,) in select_values(store, _PROJECTS)),
    )


def region_names(store: Readable) -> dict[str, str]:
    """NUTS code → the name the graph gives it (for codes no 2021 shape has: 2013 and 2016 codes)."""
    return dict((code, name) for code, name in select_values(store, _NAMES))


def figures(view: maps.MapView, counted: tuple[list[maps.Area], int, int], names: dict[str, str]) -> dict[str, Any]:
    """Everything a form of the view shows: regions with name, figures, fill and shape, from its
    regions' figures, the projects without a region and the projects it keeps (`counted`)."""
    shapes = atlas.shapes(view.level)
    found, unplaced, kept = counted
    bounds = maps.breaks([a.value(view.measure) for a in found])
    regions = [
        {"code": a.code, "name": shapes[a.code].name if a.code in shapes else names.get(a.code, a.code),
         "projects": a.projects, "partners": a.partners, "budget": round(a.budget, 2),
         "value": a.value(view.measure), "fill": maps.colour(a.value(view.measure), bounds),
         "drawn": a.code in shapes and bool(shapes[a.code].path)}
        for a in found
    ]  # fmt: skip
    by_code = {r["code"]: r for r in regions}
    drawn = [
        {"code": code, "path": shape.path, "fill": by_code[code]["fill"] if code in by_code else maps.NO_DATA,
         "title": _title(by_code.get(code), shape.name, code, view.measure)}
        for code, shape in shapes.items() if shape.path
    ]  # fmt: skip
    return {"regions": regions, "drawn": drawn, "bounds": bounds, "unplaced": unplaced, "kept": kept,
            "outlines": atlas.shapes(0) if view.level > 0 else {}}  # fmt: skip


def _title(region: dict[str, Any] | None, name: str, code: str, measure: str) -> str:
    if region is None:
        return f"{name} ({code})"
    figure = f"€ {values.number(str(round(region['budget'])))}" if measure == "budget" else str(region[measure])
    return f"{name} ({code}): {figure} {measure if measure != 'budget' else ''}".rstrip()


def geojson(view: maps.MapView, found: dict[str, Any], base: str) -> dict[str, Any]:
    """The view's regions as features with their figures (regions of the level without any: not listed)."""
    shapes = atlas.shapes(view.level)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r["code"],
                "geometry": shapes[r["code"]].geometry if r["code"] in shapes else None,
                "properties": {
                    "nuts": r["code"],
                    "iri": f"{NUTS}{r['code']}",
                    "name": r["name"],
                    "projects": r["projects"],
                    "organisations": r["partners"],
                    "budget_eur": r["budget"],
                    "fill": r["fill"],
                    "page": f"{base}region/{r['code']}",
                },
            }
            for r in found["regions"]
        ],
    }


HEADINGS = {"projects": "Projects by region", "partners": "Partners by region", "budget": "Budget of projects by region"}
UNITS = {"projects": "projects", "partners": "partners", "budget": "million euro"}


def legend(bounds: list[float], measure: str) -> list[tuple[str, str]]:
    """The legend's classes as (colour, text): '1', '2–4', '5–12' …; budgets in millions of euro."""
    if measure == "budget":
        return [(fill, f"{low / 1e6:.1f}–{high / 1e6:.1f}") for fill, low, high in maps.legend(bounds)]
    return [
        (fill, f"{low + 1:.0f}" if high == low + 1 else f"{low + 1:.0f}–{high:.0f}") for fill, low, high in maps.legend(bounds)
    ]


COLUMNS = ("region", "nuts", "projects", "partners", "budget_eur")


def table_rows(found: dict[str, Any]) -> list[tuple[str, str, int, int, float]]:
    return [(r["name"], r["code"], r["projects"], r["partners"], r["budget"]) for r in found["regions"]]


def as_csv(found: dict[str, Any]) -> bytes:
    return csv_bytes(list(COLUMNS), (list(row) for row in table_rows(found)))


def view_sheets(store: Readable, listed: maps.Listed, view: maps.MapView, langs: list[str]) -> list[Sheet]:
    """The view's projects (name in the reader's language, budget, regions at the view's level)
    and their partners (by region), as the map counts them (`listed`: at most DOWNLOAD_ROWS)."""
    only = atlas.single_regions(view.level)
    labels = labels_of(store, [*(p for p, _, _ in listed.projects), *dict.fromkeys(o for _, o, _ in listed.partners)])
    name = {iri: best_label(labels.get(iri, []), langs) or iri for iri in labels}
    projects: list[list[Cell]] = [
        [p, name.get(p, p), "" if budget is None else budget,
         " ".join(sorted({c for c in (maps.at_level(x, view.level, only) for x in codes) if c}))]
        for p, budget, codes in listed.projects
    ]  # fmt: skip
    rows: list[list[Cell]] = [[p, name.get(p, p), name.get(o, o), o, code] for p, o, code in listed.partners]
    return [
        ("projects", ["project_iri", "project", "budget_eur", f"nuts{view.level}"], projects),
        ("partners", ["project_iri", "project", "organisation", "organisation_iri", "nuts"], rows),
    ]


def as_xlsx(found: dict[str, Any], view: maps.MapView, more: list[Sheet]) -> bytes:
    """The regions' figures, the view's projects and partners (`more`), and the view's parameters."""
    parameters: list[list[Cell]] = [["level", str(view.level)], ["measure", view.measure]]
    parameters += [[name, value] for name, value in view.filters]
    regions: Sheet = ("regions", list(COLUMNS), (list(row) for row in table_rows(found)))
    return xlsx_bytes([regions, *more, ("view", ["parameter", "value"], parameters)])


def facts_areas(facts: maps.Facts, view: maps.MapView) -> tuple[list[maps.Area], int, int]:
    """The view's regions' figures, projects without a region and projects kept, from the facts."""
    kept = maps.kept(facts, view)
    found, unplaced = maps.areas(facts, view, atlas.single_regions(view.level), kept)
    return found, unplaced, len(kept)


def facts_counted(facts: maps.Facts) -> dict[str, list[tuple[str, int]]]:
    """Each filter's values with their projects, from the facts."""
    return {name: list(Counter(v for vs in facts.facets[name].values() for v in vs).items()) for name in maps.FILTERS}


def options(
    store: Readable, counted: dict[str, list[tuple[str, int]]], langs: list[str]
) -> dict[str, list[tuple[str, str, int]]]:
    """Each filter's values (IRI, label in the reader's language, projects), most projects first,
    then by label and IRI."""
    labels = labels_of(store, [iri for counts in counted.values() for iri, _ in counts])
    return {
        name: sorted(((iri, best_label(labels.get(iri, []), langs) or iri.rsplit("/", 1)[-1], n)
                      for iri, n in counts), key=lambda o: (-o[2], o[1], o[0]))
        for name, counts in counted.items()
    }  # fmt: skip


def add_routes(app: FastAPI, reader: EntityReader, public_url: str) -> None:
    per_build = PerBuild(limit=8)  # the facts, the names and each language's filter options

    def view_of(request: Request) -> maps.MapView:
        return maps.MapView.from_query(list(request.query_params.multi_items()))

    def facts() -> maps.Facts:
        build, store = reader.store()
        return per_build.get(build, "facts", lambda: read_facts(store))

    def indexed() -> TableIndex | None:
        """The build's index of projects with their places (none: the map reads the build's facts)."""
        index = reader.tables().get("Project")
        return index if index is not None and index.places is not None else None

    def current(view: maps.MapView) -> dict[str, Any]:
        build, store = reader.store()
        names = per_build.get(build, "names", lambda: region_names(store))
        index = indexed()
        if index is not None:
            return figures(view, maps.placed_areas(index, view, atlas.single_regions(view.level)), names)
        return figures(view, facts_areas(facts(), view), names)

    def listed(view: maps.MapView) -> maps.Listed:
        index = indexed()
        if index is not None:
            return maps.placed_listed(index, view, DOWNLOAD_ROWS)
        return maps.facts_listed(facts(), view, DOWNLOAD_ROWS)

    def counted() -> dict[str, list[tuple[str, int]]]:
        index = indexed()
        return {name: index.counted(name) for name in maps.FILTERS} if index is not None else facts_counted(facts())

    def render(request: Request, template: str, view: maps.MapView) -> str:
        langs = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
        build, store = reader.store()
        choices = per_build.get(build, ("options", langs[0]), lambda: options(store, counted(), langs))
        found = current(view)
        labels = {(name, iri): label for name in choices for iri, label, _ in choices[name]}
        removable = [(name, labels.get((name, value), value), "/map?" + view.query(**{name: ""})) for name, value in view.filters]
        return TEMPLATES.get_template(template).render(
            lang=page_language(langs), view=view, found=found, choices=choices, chosen=dict(view.filters),
            measures=maps.MEASURES, levels=maps.LEVELS, width=atlas.WIDTH, height=atlas.HEIGHT,
            heading=HEADINGS[view.measure], unit=UNITS[view.measure], legend=legend(found["bounds"], view.measure),
            removable=removable, query=view.query(), table_query=urlencode(view.filters), public_url=public_url,
            amounts={r["code"]: values.number(f"{r['budget']:.0f}") for r in found["regions"]},
        )  # fmt: skip

    @app.get("/map.geojson")
    async def map_geojson(request: Request) -> Response:
        view = view_of(request)
        found = await asyncio.to_thread(current, view)
        return JSONResponse(geojson(view, found, public_url), media_type="application/geo+json")

    @app.get("/map.svg")
    async def map_svg(request: Request) -> Response:
        svg = await asyncio.to_thread(render, request, "map_drawing.svg.html", view_of(request))
        return Response(svg, media_type="image/svg+xml")

    @app.get("/map/embed", response_class=HTMLResponse)
    async def map_embed(request: Request) -> str:
        return await asyncio.to_thread(render, request, "map_embed.html", view_of(request))

    @app.get("/map")
    async def map_page(request: Request) -> Response:
        view = view_of(request)
        download = request.query_params.get("format")
        if download in ("csv", "xlsx"):
            found = await asyncio.to_thread(current, view)
            name = f'attachment; filename="map-nuts{view.level}.{download}"'
            if download == "csv":
                return Response(as_csv(found), media_type=CSV, headers={"Content-Disposition": name})
            langs = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
            _, store = await asyncio.to_thread(reader.store)
            more = await asyncio.to_thread(lambda: view_sheets(store, listed(view), view, langs))
            body = await asyncio.to_thread(as_xlsx, found, view, more)
            return Response(body, media_type=XLSX, headers={"Content-Disposition": name})
        return HTMLResponse(await asyncio.to_thread(render, request, "map.html", view))
