"""The map of partners and projects by region: counts per NUTS 2 region (a partner in a NUTS 3
region counts for the region above it), placed at the region's point from the NUTS table,
served as GeoJSON (/map.geojson) and drawn on the server as an SVG (/map): no script, no tiles,
nothing fetched from elsewhere."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from loaders.core.vocab import NUTS, PREFIXES
from loaders.map.reference.nuts import NutsTable
from loaders.publish.store import Readable
from server.pages.linked_data import TEMPLATES, page_language, preferred_languages
from server.web.entities import EntityReader
from server.web.per_build import PerBuild

WIDTH, HEIGHT = 720, 620
WEST, EAST, SOUTH, NORTH = -25.0, 45.0, 34.0, 71.5  # the NUTS points of Europe, the Azores and Cyprus
_PARTNERS = """SELECT ?o ?r ?p WHERE {
  ?o a s3:Organisation ; s3:region ?r .
  OPTIONAL { ?p s3:hasParticipation/s3:participant ?o }
}"""


@dataclass(frozen=True)
class Spot:
    code: str
    name: str
    longitude: float
    latitude: float
    organisations: int
    projects: int

    @property
    def x(self) -> float:
        return round((self.longitude - WEST) / (EAST - WEST) * WIDTH, 1)

    @property
    def y(self) -> float:
        return round((NORTH - self.latitude) / (NORTH - SOUTH) * HEIGHT, 1)

    @property
    def radius(self) -> float:
        return round(3 + 3 * math.sqrt(self.organisations), 1)


def _placed(table: NutsTable, code: str) -> str | None:
    """The region a code is drawn at: itself up to level 2, else its nearest known ancestor."""
    while code and (code not in table or len(code) > 4):
        code = code[:-1]
    return code or None


def spots(store: Readable, table: NutsTable) -> list[Spot]:
    organisations: dict[str, set[str]] = defaultdict(set)
    projects: dict[str, set[str]] = defaultdict(set)
    solutions = store.query(_PARTNERS, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        region = row["r"]
        if not isinstance(region, ox.NamedNode) or not region.value.startswith(str(NUTS)):
            continue
        code = _placed(table, region.value[len(str(NUTS)) :])
        if code is None:
            continue
        organisations[code].add(str(row["o"]))
        if isinstance(row["p"], ox.NamedNode):
            projects[code].add(row["p"].value)
    found = []
    for code, members in organisations.items():
        region = table.regions[code]
        found.append(Spot(code, region.name, region.longitude, region.latitude, len(members), len(projects[code])))
    return sorted(found, key=lambda s: (-s.organisations, s.code))


def countries(table: NutsTable) -> list[Spot]:
    """The countries' points, drawn faintly to find one's way."""
    return [Spot(r.code, r.name, r.longitude, r.latitude, 0, 0) for r in table.regions.values() if r.level == 0]


def geojson(found: list[Spot]) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": s.code,
                "geometry": {"type": "Point", "coordinates": [s.longitude, s.latitude]},
                "properties": {
                    "nuts": s.code,
                    "iri": f"{NUTS}{s.code}",
                    "name": s.name,
                    "organisations": s.organisations,
                    "projects": s.projects,
                },
            }
            for s in found
        ],
    }


def add_routes(app: FastAPI, reader: EntityReader) -> None:
    table = NutsTable.read()
    per_build = PerBuild(limit=1)

    def current() -> list[Spot]:
        """The build's spots: one scan of every partner, once per build, not per request."""
        build, store = reader.store()
        return per_build.get(build, "spots", lambda: spots(store, table))

    @app.get("/map.geojson")
    def map_geojson() -> Response:
        return JSONResponse(geojson(current()), media_type="application/geo+json")

    @app.get("/map", response_class=HTMLResponse)
    def map_page(request: Request) -> str:
        languages = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
        return TEMPLATES.get_template("map.html").render(
            lang=page_language(languages), spots=current(), countries=countries(table), width=WIDTH, height=HEIGHT
        )
