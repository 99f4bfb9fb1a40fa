"""The map of partners and projects by region: counts per NUTS 2 region (a partner in a NUTS 3
region counts for the region above it), placed at the region's point as the build publishes it
(schema:latitude, schema:longitude), served as GeoJSON (/map.geojson) and drawn on the server as
an SVG (/map): no script, no tiles, nothing fetched from elsewhere."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from loaders.core.queries import Readable
from loaders.core.vocab import NUTS, PREFIXES
from server.backends.entities import EntityReader
from server.web.languages import page_language, preferred_languages
from server.web.per_build import PerBuild
from server.web.templates import TEMPLATES

WIDTH, HEIGHT = 720, 620
WEST, EAST, SOUTH, NORTH = -25.0, 45.0, 34.0, 71.5  # the NUTS points of Europe, the Azores and Cyprus
_REGIONS = """SELECT ?code ?level ?name ?lat ?long WHERE {
  ?r a s3:Region ; skos:notation ?code ; s3:nutsLevel ?level ; schema:latitude ?lat ; schema:longitude ?long .
  OPTIONAL { ?r skos:prefLabel ?name }
}"""
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


@dataclass(frozen=True)
class Place:
    name: str
    level: int
    longitude: float
    latitude: float


def places(store: Readable) -> dict[str, Place]:
    """The regions' points, by NUTS code, as the build publishes them."""
    solutions = store.query(_REGIONS, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    found: dict[str, Place] = {}
    for row in solutions:
        code, level, name, lat, long = (row[v] for v in ("code", "level", "name", "lat", "long"))
        if code is None or level is None or lat is None or long is None:
            continue
        found[code.value] = Place(
            name.value if name is not None else code.value, int(level.value), float(long.value), float(lat.value)
        )
    return found


def _placed(table: dict[str, Place], code: str) -> str | None:
    """The region a code is drawn at: itself up to level 2, else its nearest known ancestor."""
    while code and (code not in table or len(code) > 4):
        code = code[:-1]
    return code or None


def spots(store: Readable, table: dict[str, Place]) -> list[Spot]:
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
        region = table[code]
        found.append(Spot(code, region.name, region.longitude, region.latitude, len(members), len(projects[code])))
    return sorted(found, key=lambda s: (-s.organisations, s.code))


def countries(table: dict[str, Place]) -> list[Spot]:
    """The countries' points, drawn faintly to find one's way."""
    return [Spot(code, r.name, r.longitude, r.latitude, 0, 0) for code, r in sorted(table.items()) if r.level == 0]


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
    per_build = PerBuild(limit=2)  # the regions' places and the spots

    def regions() -> dict[str, Place]:
        build, store = reader.store()
        return per_build.get(build, "places", lambda: places(store))

    def current() -> list[Spot]:
        """The build's spots: one scan of every partner, once per build, not per request."""
        build, store = reader.store()
        table = per_build.get(build, "places", lambda: places(store))
        return per_build.get(build, "spots", lambda: spots(store, table))

    @app.get("/map.geojson")
    def map_geojson() -> Response:
        return JSONResponse(geojson(current()), media_type="application/geo+json")

    @app.get("/map", response_class=HTMLResponse)
    def map_page(request: Request) -> str:
        languages = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
        return TEMPLATES.get_template("map.html").render(
            lang=page_language(languages), spots=current(), countries=countries(regions()), width=WIDTH, height=HEIGHT
        )
