"""What the map shows, as pure functions over the build's facts or its table index: which projects
a view keeps, each region's projects, partners and budget at a NUTS level, and the colour classes
of a measure. No store, no HTTP: table tests call these directly (tests/test_map.py,
tests/test_map_index.py)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

from loaders.publish.tables.read import Ask, TableIndex

MEASURES = ("projects", "partners", "budget")
LEVELS = (0, 1, 2, 3)
# The project table's facets a map filters by, with the same names and meaning (server/pages/browse.py)
FILTERS = ("programme", "period", "fund", "domain", "theme")
# ColorBrewer YlGnBu, 5 classes (colour-blind safe, prints in grey); land without data is grey
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA = "#d9d9d9"


class BadView(ValueError):
    """A map parameter the map does not take: says which and what it takes."""


@dataclass(frozen=True)
class Facts:
    """What the map needs of a build, read once per build (server/pages/geo.py)."""

    places: dict[str, frozenset[str]]  # project → the NUTS codes it is placed at (its partners', its own)
    partners: dict[str, frozenset[tuple[str, str]]]  # project → (organisation, NUTS code) of its partners
    budget: dict[str, float]  # project → its total budget
    facets: dict[str, dict[str, frozenset[str]]]  # filter → project → its values
    projects: frozenset[str] = field(default_factory=frozenset)  # every project of the build


@dataclass(frozen=True)
class MapView:
    level: int = 2
    measure: str = "projects"
    filters: tuple[tuple[str, str], ...] = ()  # (filter, IRI), sorted

    @classmethod
    def from_query(cls, params: list[tuple[str, str]]) -> MapView:
        given = dict(params)
        level_text = given.get("level") or "2"
        if level_text not in {str(level) for level in LEVELS}:
            raise BadView(f"level takes a NUTS level, 0 to 3, not {level_text!r}.")
        measure = given.get("measure") or "projects"
        if measure not in MEASURES:
            raise BadView(f"measure takes one of {', '.join(MEASURES)}, not {measure!r}.")
        filters = set()
        for name, value in params:
            if name in FILTERS and value:
                try:
                    ox.NamedNode(value)
                except ValueError:
                    raise BadView(f"the {name} filter takes an IRI, not {value!r}.") from None
                filters.add((name, value))
        return cls(int(level_text), measure, tuple(sorted(filters)))

    def query(self, **changes: str) -> str:
        """The view's URL parameters (defaults left out), with some changed or dropped ('')."""
        params = [("level", str(self.level)), ("measure", self.measure), *self.filters]
        for name, value in changes.items():
            params = [(n, v) for n, v in params if n != name] + ([(name, value)] if value else [])
        return urlencode([(n, v) for n, v in params if (n, v) not in (("level", "2"), ("measure", "projects"))])


@dataclass(frozen=True)
class Area:
    code: str
    projects: int
    partners: int
    budget: float

    def value(self, measure: str) -> float:
        return float(getattr(self, measure))


def kept(facts: Facts, view: MapView) -> set[str]:
    """The projects the view's filters keep: each filter must hold (as in the project table)."""
    chosen = set(facts.projects)
    for name, value in view.filters:
        values = facts.facets.get(name, {})
        chosen = {p for p in chosen if value in values.get(p, ())}
    return chosen


def at_level(code: str, level: int, only: Mapping[str, str] | None = None) -> str | None:
    """The region of `level` a NUTS code lies in ('DEG0' at level 1 is 'DEG'). A coarser code is
    that region only when it has a single region at the level (`only`: Thüringen DEG is DEG0,
    the same land); else None (a partner known only by its country has no NUTS 2 region)."""
    length = level + 2
    return code[:length] if len(code) >= length else (only or {}).get(code)


def areas(
    facts: Facts, view: MapView, only: Mapping[str, str] | None = None, chosen: set[str] | None = None
) -> tuple[list[Area], int]:
    """Each region's figures at the view's level, largest first, and how many of the kept projects
    (`chosen`, when the caller has them: `kept`) have no region at that level. A project with
    partners in three regions counts in each, with its whole budget: a region's budget is that of
    the projects it takes part in."""
    projects: dict[str, set[str]] = defaultdict(set)
    partners: dict[str, set[str]] = defaultdict(set)
    unplaced = 0
    for project in kept(facts, view) if chosen is None else chosen:
        codes = {c for c in (at_level(code, view.level, only) for code in facts.places.get(project, ())) if c}
        if not codes:
            unplaced += 1
        for code in codes:
            projects[code].add(project)
        for organisation, code in facts.partners.get(project, ()):
            region = at_level(code, view.level, only)
            if region:
                partners[region].add(organisation)
    found = [
        Area(code, len(members), len(partners[code]), sum(facts.budget.get(p, 0.0) for p in members))
        for code, members in projects.items()
    ]
    return sorted(found, key=lambda a: (-a.value(view.measure), a.code)), unplaced


def placed_areas(index: TableIndex, view: MapView, only: Mapping[str, str] | None = None) -> tuple[list[Area], int, int]:
    """What `areas` tells, and how many projects the view keeps, from the build's table index of
    projects (its places: loaders/publish/tables/places.py) instead of the build's facts."""
    assert index.places is not None
    kept = index.rows(Ask(filters=view.filters))
    counted = index.places.areas(index.mask(kept), len(kept), [at_level(code, view.level, only) for code in index.places.codes])
    found = [
        Area(code, int(projects), int(partners), float(budget))
        for code, projects, partners, budget in zip(
            counted.regions, counted.projects, counted.partners, counted.budget, strict=True
        )
        if projects
    ]
    return sorted(found, key=lambda a: (-a.value(view.measure), a.code)), counted.unplaced, len(kept)


@dataclass(frozen=True)
class Listed:
    """A view's projects as its spreadsheet lists them, in IRI order: (IRI, budget in euro or
    None, NUTS codes), and their partners: (project, organisation, NUTS code)."""

    projects: list[tuple[str, float | None, list[str]]]
    partners: list[tuple[str, str, str]]


def facts_listed(facts: Facts, view: MapView, most: int) -> Listed:
    """The first `most` projects the view keeps, from the facts."""
    chosen = sorted(kept(facts, view))[:most]
    return Listed(
        [(p, facts.budget.get(p), sorted(facts.places.get(p, ()))) for p in chosen],
        [(p, o, code) for p in chosen for o, code in sorted(facts.partners.get(p, ()))],
    )


def placed_listed(index: TableIndex, view: MapView, most: int) -> Listed:
    """The first `most` projects the view keeps, from the build's table index of projects."""
    assert index.places is not None
    rows = index.rows(Ask(filters=view.filters))[:most]
    listed = index.places.listed(rows)
    iris = index.iris(rows)
    return Listed(
        [(iri, found.budget, found.codes) for iri, found in zip(iris, listed, strict=True)],
        [(iri, o, code) for iri, found in zip(iris, listed, strict=True) for o, code in found.partners],
    )


def breaks(values: list[float], classes: int = len(PALETTE)) -> list[float]:
    """The upper bounds of up to `classes` colour classes: quantiles of the values above zero,
    rounded up to a readable number and never repeated (ten regions of 1 make one class)."""
    shown = sorted(v for v in values if v > 0)
    if not shown:
        return []
    bounds: list[float] = []
    for i in range(1, classes + 1):
        bound = _readable(shown[min(len(shown) - 1, math.ceil(i * len(shown) / classes) - 1)])
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    bounds[-1] = float(math.ceil(shown[-1]))  # the last class ends at the largest value, as it is
    if len(bounds) > 1 and bounds[-1] <= bounds[-2]:
        bounds.pop(-2)
    return bounds


def _readable(value: float) -> float:
    """Rounded up to two significant digits (1 234 567 → 1 300 000), integers stay themselves."""
    if value <= 100:
        return float(math.ceil(value))
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return float(math.ceil(value / step) * step)


def colour(value: float, bounds: list[float]) -> str:
    """The fill of a value: its class's colour (the palette spread over however many classes there
    are), or the no-data grey for zero."""
    if value <= 0 or not bounds:
        return NO_DATA
    index = next((i for i, bound in enumerate(bounds) if value <= bound), len(bounds) - 1)
    return PALETTE[round(index * (len(PALETTE) - 1) / max(1, len(bounds) - 1))] if len(bounds) > 1 else PALETTE[-1]


def legend(bounds: list[float]) -> list[tuple[str, float, float]]:
    """(colour, lower, upper) per class; the first class starts just above zero; none without classes."""
    if not bounds:
        return []
    lows = [0.0, *bounds[:-1]]
    return [(colour(upper, bounds), low, upper) for low, upper in zip(lows, bounds, strict=True)]
