"""The NUTS regions as shapes for the map: Eurostat GISCO's NUTS 2021 polygons
(data/reference/nuts-shapes/, © EuroGeographics), read once per level, projected with Lambert's
azimuthal equal-area projection centred on Europe (EPSG:3035's projection, on a sphere: areas
compare truly, as a choropleth needs) and turned into SVG path data. Nothing is fetched: the
shapes are files of the product."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from loaders.core.paths import REFERENCE_DIR

SHAPES_DIR = REFERENCE_DIR / "nuts-shapes"
LEVELS = (0, 1, 2, 3)
CENTRE = (10.0, 52.0)  # EPSG:3035's centre: 10° E, 52° N
# What the drawing shows, in degrees (west, south, east, north): Iceland to Cyprus and the North
# Cape to Crete. The Canaries, the Azores, Madeira and France's outermost regions lie outside it;
# their figures stay in the table and the GeoJSON.
EXTENT = (-24.0, 34.5, 34.5, 71.2)
WIDTH = 800.0


@dataclass(frozen=True)
class Shape:
    code: str
    name: str  # NAME_LATN: the official name in Latin script
    geometry: dict[str, Any]  # GeoJSON geometry in WGS 84, as the file has it
    path: str  # SVG path data in the drawing's coordinates; empty when the region lies outside it


def _laea(longitude: float, latitude: float) -> tuple[float, float]:
    """Lambert azimuthal equal-area on the unit sphere, centred on CENTRE."""
    lam, phi = math.radians(longitude - CENTRE[0]), math.radians(latitude)
    phi0 = math.radians(CENTRE[1])
    k = math.sqrt(2 / (1 + math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)))
    return k * math.cos(phi) * math.sin(lam), k * (
        math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam)
    )


def _frame() -> tuple[float, float, float, float]:
    """The projected bounds of EXTENT (its edges sampled: they are curves once projected)."""
    west, south, east, north = EXTENT
    edge = [(west + (east - west) * i / 50, lat) for i in range(51) for lat in (south, north)]
    edge += [(lon, south + (north - south) * i / 50) for i in range(51) for lon in (west, east)]
    xs, ys = zip(*(_laea(lon, lat) for lon, lat in edge), strict=True)
    return min(xs), max(xs), min(ys), max(ys)


_X0, _X1, _Y0, _Y1 = _frame()
SCALE = WIDTH / (_X1 - _X0)
HEIGHT = round((_Y1 - _Y0) * SCALE)


def project(longitude: float, latitude: float) -> tuple[float, float]:
    """A point's place in the drawing (x to the right, y down), in pixels of WIDTH × HEIGHT."""
    x, y = _laea(longitude, latitude)
    return round((x - _X0) * SCALE, 1), round((_Y1 - y) * SCALE, 1)


def _ring(points: list[list[float]]) -> str:
    placed: list[tuple[float, float]] = []
    for longitude, latitude in points:
        point = project(longitude, latitude)
        if not placed or point != placed[-1]:
            placed.append(point)
    xs = [x for x, _ in placed]
    ys = [y for _, y in placed]
    if len(placed) < 3 or max(xs) < 0 or min(xs) > WIDTH or max(ys) < 0 or min(ys) > HEIGHT:
        return ""  # too small to see, or outside the drawing
    return "M" + "L".join(f"{x:g},{y:g}" for x, y in placed) + "Z"


def path_of(geometry: dict[str, Any]) -> str:
    """SVG path data of a GeoJSON Polygon or MultiPolygon (holes drawn with the even-odd rule)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return "".join(_ring(ring) for polygon in polygons for ring in polygon)


@cache
def shapes(level: int, directory: Path = SHAPES_DIR) -> dict[str, Shape]:
    """The regions of one NUTS level, by code (read and projected once per process)."""
    if level not in LEVELS:
        raise ValueError(f"NUTS has levels {LEVELS}, not {level}")
    with (directory / f"nuts-2021-level-{level}.geojson").open(encoding="utf-8") as file:
        features = json.load(file)["features"]
    found = {}
    for feature in features:
        properties, geometry = feature["properties"], feature["geometry"]
        found[properties["code"]] = Shape(properties["code"], properties["name"], geometry, path_of(geometry))
    return found


def only_regions(codes: Iterable[str], level: int) -> dict[str, str]:
    """Coarser codes that hold a single region of `level` among `codes` (the level's regions),
    with that region: NUTS regions partition their parent, so the two are the same land."""
    within: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        for length in range(2, level + 2):
            within[code[:length]].append(code)
    return {parent: inside[0] for parent, inside in within.items() if len(inside) == 1}


@cache
def single_regions(level: int) -> dict[str, str]:
    """The coarser codes with a single region at `level` among the drawn regions (once per level)."""
    return only_regions(shapes(level), level)
