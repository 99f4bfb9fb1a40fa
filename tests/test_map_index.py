"""The map from the build's table index (loaders/publish/tables/places.py) against the map from the
build's facts read into Python (server/pages/geo.py's `read_facts`), on the real default build:
for every NUTS level and measure, with no filter, with each filter's most and least common values,
with two filters and with a value no project has, the regions, their projects, partners and
budget, the unplaced projects and the projects kept are the same; so are the filters' options.
Served, the map's forms and a table page are the same with the index, without it, and with it
damaged (not used: the map and the tables then read the build)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import numpy as np
import pytest
from live_server import live_server

from loaders.publish.store import PublishedStore
from loaders.publish.tables.read import TableIndex
from loaders.publish.tables.spec import TABLES
from loaders.publish.tables.write import TABLES_FOLDER
from server.backends.embedded.backend import EmbeddedBackend
from server.pages import atlas, geo
from server.pages import choropleth as maps


@pytest.fixture(scope="module")
def folder(built: Any) -> Path:
    published = PublishedStore(built.config.store_dir)
    return published.dumps_dir(published.current().build_id) / TABLES_FOLDER


@pytest.fixture(scope="module")
def index(folder: Path) -> TableIndex:
    found = TableIndex.open(folder / "Project", TABLES["Project"])
    assert found is not None and found.places is not None, "published with the build, with its places"
    return found


@pytest.fixture(scope="module")
def facts(built: Any) -> maps.Facts:
    return geo.read_facts(built.store)


def _views(facts: maps.Facts) -> list[maps.MapView]:
    filters: list[tuple[tuple[str, str], ...]] = [()]
    for name in maps.FILTERS:
        counted = geo.facts_counted(facts)[name]
        ordered = sorted(counted, key=lambda c: (-c[1], c[0]))
        assert ordered, f"the build has {name} values"
        filters += [((name, ordered[0][0]),), ((name, ordered[-1][0]),)]
    programme, fund = (
        sorted(geo.facts_counted(facts)[name], key=lambda c: (-c[1], c[0]))[0][0] for name in ("programme", "fund")
    )
    filters += [(("fund", fund), ("programme", programme)), (("programme", "https://example.org/no-such-programme"),)]
    return [maps.MapView(level, "budget" if level == 1 else "projects", chosen) for chosen in filters for level in maps.LEVELS]


def _rounded(found: tuple[list[maps.Area], int, int]) -> tuple[list[tuple[str, int, int]], dict[str, float], int, int]:
    areas, unplaced, kept = found
    return [(a.code, a.projects, a.partners) for a in areas], {a.code: a.budget for a in areas}, unplaced, kept


def test_every_map_view_counts_from_the_index_what_it_counts_from_the_facts(index: TableIndex, facts: maps.Facts) -> None:
    views = _views(facts)
    assert len(views) == 4 * (1 + 2 * len(maps.FILTERS) + 2)
    placed = 0
    for view in views:
        only = atlas.single_regions(view.level)
        expected = _rounded(geo.facts_areas(facts, view))
        found = _rounded(maps.placed_areas(index, view, only))
        assert found[0] == expected[0], view
        assert found[1] == pytest.approx(expected[1], rel=1e-12), view
        assert found[2:] == expected[2:], view
        placed += len(found[0])
    assert placed > 500, "the views place projects in many regions"
    assert geo.facts_areas(facts, views[0])[1] > 0, "some projects have no region at a level: unplaced counts are compared too"


def test_a_views_list_of_projects_and_partners_is_the_same_from_the_index_as_from_the_facts(
    index: TableIndex, facts: maps.Facts
) -> None:
    views = _views(facts)[::4]  # each filter set, at NUTS 0 (the list does not depend on the level)
    listed = 0
    for view in views:
        expected = maps.facts_listed(facts, view, 100_000)
        assert maps.placed_listed(index, view, 100_000) == expected, view
        assert maps.placed_listed(index, view, 7) == maps.facts_listed(facts, view, 7), view
        listed += len(expected.partners)
    assert listed > 1000, "the lists name partners"
    budgets = [budget for _, budget, _ in maps.facts_listed(facts, views[0], 100_000).projects]
    assert None in budgets and any(budget for budget in budgets), "projects with and without a budget in euro"


def test_the_filters_options_are_counted_from_the_index_as_from_the_facts(index: TableIndex, facts: maps.Facts) -> None:
    expected = geo.facts_counted(facts)
    for name in maps.FILTERS:
        assert index.counted(name) == sorted(expected[name]), name


def test_regions_the_codes_give_out_of_order_are_still_counted_once(index: TableIndex, facts: maps.Facts) -> None:
    """The counting takes one pass when each row's codes give its regions in order; a lookup that
    does not (each country's codes sent to the countries in reverse order) must give what counting
    by set gives."""
    assert index.places is not None
    countries = sorted({code[:2] for code in index.places.codes})
    swapped = dict(zip(countries, reversed(countries), strict=True))
    counted = index.places.areas(None, index.size, [swapped[code[:2]] for code in index.places.codes])
    expected: dict[str, set[str]] = {}
    for project, places in facts.places.items():
        for code in places:
            expected.setdefault(swapped[code[:2]], set()).add(project)
    assert len(expected) > 3
    assert {r: int(n) for r, n in zip(counted.regions, counted.projects, strict=True) if n} == {
        r: len(p) for r, p in expected.items()
    }


@pytest.mark.parametrize("damage", ["cut", "missing"])
def test_a_damaged_index_is_not_used(folder: Path, tmp_path: Path, damage: str) -> None:
    copy = tmp_path / "Project"
    shutil.copytree(folder / "Project", copy)
    assert TableIndex.open(copy, TABLES["Project"]) is not None
    target = copy / "facet-programme.npy"
    if damage == "cut":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    else:
        target.unlink()
    assert TableIndex.open(copy, TABLES["Project"]) is None


def test_the_places_arrays_hold_every_row_once_per_code(index: TableIndex) -> None:
    assert index.places is not None
    rows, codes = np.load(index.folder / "places.npy")
    keys = rows.astype(np.int64) * len(index.places.codes) + codes
    assert len(keys) and bool(np.all(np.diff(keys) > 0)), "sorted by row then code, each pair once"


def test_map_and_table_pages_are_the_same_from_the_index_without_it_and_with_it_damaged(built: Any, tmp_path: Path) -> None:
    """The same build served three times: with its index, without it (read from the store), and
    with one of its files cut short (not used: read from the store, not answered 500)."""
    stores = {"indexed": built.config.store_dir, "plain": tmp_path / "plain", "damaged": tmp_path / "damaged"}
    for name in ("plain", "damaged"):
        shutil.copytree(built.config.store_dir, stores[name], symlinks=True)
        published = PublishedStore(stores[name])
        tables = published.dumps_dir(published.current().build_id) / TABLES_FOLDER
        if name == "plain":
            shutil.rmtree(tables)
        else:  # a copy, not the hard link the build may share with another
            cut = tables / "Project" / "facet-programme.npy"
            kept = cut.read_bytes()
            cut.unlink()
            cut.write_bytes(kept[: len(kept) // 2])
    programme = "https://w3id.org/s3kg/id/programme/2014TC16RFTN003"
    asked = [
        "map",
        f"map?{urlencode({'level': '1', 'measure': 'budget', 'programme': programme})}",
        f"map.geojson?{urlencode({'level': '3', 'programme': programme})}",
        "map?level=0&measure=partners&format=csv",
        "map.svg?level=2",
        "map/embed?programme=https://example.org/no-such-programme",
        "browse/Project?sort=budget&order=desc",
    ]
    with (
        live_server(EmbeddedBackend(stores["indexed"]), workers=1) as indexed,
        live_server(EmbeddedBackend(stores["plain"]), workers=1) as plain,
        live_server(EmbeddedBackend(stores["damaged"]), workers=1) as damaged,
    ):
        bases = (indexed, plain, damaged)
        for path in asked:
            pages = [httpx.get(base + path, headers={"Accept-Language": "en"}, timeout=120) for base in bases]
            assert [p.status_code for p in pages] == [200, 200, 200], path
            texts = [
                page.text.replace(base, "/").replace(base.replace("http://", "//"), "/")
                for page, base in zip(pages, bases, strict=True)
            ]
            assert texts[0] == texts[1] == texts[2], path
            assert "projects" in texts[0].casefold(), path
