"""A fact sheet's map inset: where a project's partners are, an organisation's region, a
programme's territory, a region itself — those NUTS regions drawn in colour over the countries
around them, zoomed to them, each linking to its region's page. The shapes and the projection are
the map's (server/pages/atlas.py); what a kind of entity places on the map is one query per kind
(`PLACES`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox

from loaders.core.queries import Readable, select_values
from loaders.core.vocab import NUTS
from server.pages import atlas

MOST = 500  # regions an inset highlights at most
MARGIN = 0.12  # of the highlighted regions' extent, on each side
SMALLEST = 90.0  # the inset shows at least this much of the map's width (800), so a small region has neighbours
# What places an entity on the map, by fact sheet kind: ?r binds the NUTS regions.
PLACES = {
    "project": "{ $e s3:region ?r } UNION { $e s3:hasParticipation/s3:participant/s3:region ?r } "
               "UNION { $e s3:hasParticipation/s3:region ?r }",
    "organisation": "$e s3:region ?r",
    "programme": "$e s3:territory ?r",
    "region": "BIND ($e AS ?r)",
    "strategy": "$e s3:region ?r",
    "priority": "$e s3:strategy/s3:region ?r",
}  # fmt: skip
_POINT = re.compile(r"(-?[0-9.]+),(-?[0-9.]+)")


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    path: str


@dataclass(frozen=True)
class Inset:
    box: tuple[float, float, float, float]  # the SVG viewBox: x, y, width, height
    context: tuple[str, ...]  # the countries around, as path data
    areas: tuple[Area, ...]  # the highlighted regions
    borders: tuple[str, ...] = ()  # the countries' borders, when the neighbours are regions

    @property
    def stroke(self) -> float:
        """A line width that looks the same whatever the zoom."""
        return round(self.box[2] / 300, 3)


def places(kind: str, iri: str, store: Readable) -> list[str]:
    """The NUTS codes an entity of a fact sheet kind is placed in (none for other kinds)."""
    pattern = PLACES.get(kind)
    if pattern is None:
        return []
    query = f"SELECT DISTINCT ?r WHERE {{ {pattern.replace('$e', str(ox.NamedNode(iri)))} }} LIMIT {MOST}"
    prefix = str(NUTS)
    return sorted({r[len(prefix) :] for (r,) in select_values(store, query) if r.startswith(prefix)})


@cache
def _bounds(level: int, code: str) -> tuple[float, float, float, float] | None:
    """A drawn region's bounds in the map's coordinates (x0, y0, x1, y1), or None when not drawn."""
    shape = atlas.shapes(level).get(code)
    points = [(float(x), float(y)) for x, y in _POINT.findall(shape.path)] if shape else []
    if not points:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def prepare() -> None:
    """Read, project and measure every level's regions once per process (the server's warm-up
    calls it, so that no reader's first region page pays for it: a second at NUTS 3)."""
    for level in atlas.LEVELS:
        atlas.single_regions(level)
        for code in atlas.shapes(level):
            _bounds(level, code)


def _level(code: str) -> int | None:
    level = len(code) - 2
    return level if level in atlas.LEVELS and code[:2].isalpha() else None


def inset(codes: Iterable[str]) -> Inset | None:
    """The inset of these regions (codes of any NUTS level; those not drawn are left out), or None
    when none of them is on the map (the outermost regions lie outside its frame)."""
    areas, boxes = [], []
    for code in dict.fromkeys(codes):
        level = _level(code)
        box = _bounds(level, code) if level is not None else None
        if level is None or box is None:
            continue
        shape = atlas.shapes(level)[code]
        areas.append(Area(code, shape.name, shape.path))
        boxes.append(box)
    if not areas:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    width, height = max(x1 - x0, SMALLEST), max(y1 - y0, SMALLEST * 0.75)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    width, height = width * (1 + 2 * MARGIN), height * (1 + 2 * MARGIN)
    box = (round(cx - width / 2, 1), round(cy - height / 2, 1), round(width, 1), round(height, 1))
    around = min(2, min(len(area.code) - 2 for area in areas))  # the neighbours at the regions' own level
    return Inset(box, _within(around, box), tuple(areas), _within(0, box) if around else ())


def _within(level: int, box: tuple[float, float, float, float]) -> tuple[str, ...]:
    """The path data of the regions of a level that reach into the box."""
    x, y, width, height = box
    return tuple(
        shape.path
        for code, shape in atlas.shapes(level).items()
        if (b := _bounds(level, code)) and b[0] < x + width and b[2] > x and b[1] < y + height and b[3] > y
    )
