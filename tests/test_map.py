"""The map: NUTS regions as shapes coloured by projects, partners or budget, filtered by the
project table's facets in the URL. The pure parts as table tests; then the page, the embeddable
page, the SVG, the GeoJSON and the CSV/XLSX of one view on a live server over the real default
build, their figures checked against SPARQL counts of the same store; then Chromium, with and
without JavaScript, at 1280 and 375 px."""

from __future__ import annotations

import csv
import io
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import httpx
import pyoxigraph as ox
import pytest
from chromium import OVERFLOWING
from openpyxl import load_workbook
from playwright.sync_api import Browser

from loaders.core.queries import select_values
from loaders.core.vocab import PREFIXES
from server.pages import atlas
from server.pages import choropleth as maps

NUTS = "http://data.europa.eu/nuts/code/"
SVG = "{http://www.w3.org/2000/svg}"
CENTRAL_EUROPE = "https://w3id.org/s3kg/id/programme/2014TC16RFTN003"


# ---- the pure parts ----


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [("DEG01", 2, "DEG0"), ("DEG01", 0, "DE"), ("DEG0", 2, "DEG0"), ("DE", 2, None), ("DEG", 2, "DEG0"), ("SE3", 2, None)],
)
def test_a_code_lies_in_one_region_of_a_level_or_in_its_only_one(code: str, level: int, expected: str | None) -> None:
    only = atlas.only_regions(atlas.shapes(level), level)
    assert maps.at_level(code, level, only) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([0, 0], []),
        ([1] * 10, [1.0]),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2.0, 4.0, 6.0, 8.0, 10.0]),
        ([1, 1, 1, 1, 2910], [1.0, 2910.0]),
        ([150_000, 1_234_567, 9_000_000], [150_000.0, 1_300_000.0, 9_000_000.0]),
    ],
)
def test_colour_classes_are_quantiles_that_never_repeat_and_end_at_the_largest(
    values: list[float], expected: list[float]
) -> None:
    assert maps.breaks(values) == expected


def test_zero_is_grey_and_the_classes_spread_over_the_palette() -> None:
    bounds = [2.0, 4.0, 6.0, 8.0, 10.0]
    assert maps.colour(0, bounds) == maps.NO_DATA
    assert [maps.colour(v, bounds) for v in (1, 3, 5, 7, 10, 99)] == [*maps.PALETTE, maps.PALETTE[-1]]
    assert maps.colour(5, [1.0, 9.0]) == maps.PALETTE[-1] and maps.colour(1, [1.0, 9.0]) == maps.PALETTE[0]
    assert maps.legend([2.0, 4.0]) == [(maps.PALETTE[0], 0.0, 2.0), (maps.PALETTE[-1], 2.0, 4.0)]


def test_a_view_with_nothing_placed_has_no_legend() -> None:
    """A programme none of whose projects is placed: no classes, no legend (it used to fail the page with a 500)."""
    assert maps.breaks([0.0, 0.0]) == [] and maps.legend([]) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("level", "4")], "level takes a NUTS level, 0 to 3, not '4'."),
        ([("measure", "people")], "measure takes one of projects, partners, budget, not 'people'."),
        ([("programme", "> } DROP ALL")], "the programme filter takes an IRI, not '> } DROP ALL'."),
    ],
)
def test_a_parameter_the_map_does_not_take_is_refused_naming_it(params: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(maps.BadView) as raised:
        maps.MapView.from_query(params)
    assert str(raised.value) == message


def test_a_project_counts_once_in_every_region_it_has_a_partner_in() -> None:
    facts = maps.Facts(
        places={"p1": frozenset({"DEG01", "SE332"}), "p2": frozenset({"DEG02"}), "p3": frozenset({"SE"})},
        partners={"p1": frozenset({("o1", "DEG01"), ("o2", "SE332")}), "p2": frozenset({("o1", "DEG01"), ("o3", "DEG02")})},
        budget={"p1": 100.0, "p2": 50.0},
        facets={"programme": {"p1": frozenset({"urn:a"}), "p2": frozenset({"urn:b"})}},
        projects=frozenset({"p1", "p2", "p3"}),
    )
    found, unplaced = maps.areas(facts, maps.MapView(level=2))
    assert found == [maps.Area("DEG0", 2, 2, 150.0), maps.Area("SE33", 1, 1, 100.0)] and unplaced == 1
    found, unplaced = maps.areas(facts, maps.MapView(level=2, filters=(("programme", "urn:b"),)))
    assert found == [maps.Area("DEG0", 1, 2, 50.0)] and unplaced == 0
    assert maps.areas(facts, maps.MapView(level=0, measure="budget"))[0][0] == maps.Area("DE", 2, 2, 150.0)


def test_the_drawing_projects_europe_with_north_up_and_keeps_the_outermost_regions_out() -> None:
    helsinki, lisbon = atlas.project(24.9, 60.2), atlas.project(-9.1, 38.7)
    assert lisbon[0] < helsinki[0] and helsinki[1] < lisbon[1]
    assert all(0 <= c <= atlas.WIDTH for c in (helsinki[0], lisbon[0]))
    assert atlas.shapes(2)["ES70"].path == "" and atlas.shapes(2)["DEG0"].path.startswith("M")
    assert {len(atlas.shapes(level)) for level in atlas.LEVELS} == {37, 125, 334, 1514}


# ---- one view in every form, on a live server over the real build ----


def _count(store: ox.Store, query: str) -> int:
    solutions = store.query(query, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    return int(next(iter(solutions))[0].value)


def _projects_in(store: ox.Store, code: str, programme: str | None = None) -> int:
    """Independently of the map: projects with a partner (or a place of their own) in a region."""
    kept = f"?p s3:programme <{programme}> ." if programme else ""
    return _count(
        store,
        f"""SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a s3:Project . {kept}
          {{ ?p s3:hasParticipation/s3:participant/s3:region ?r }} UNION {{ ?p s3:hasParticipation/s3:region ?r }}
          UNION {{ ?p s3:region ?r }} FILTER STRSTARTS(STR(?r), "{NUTS}{code}") }}""",
    )


def _features(site: str, **params: str) -> dict[str, dict[str, Any]]:
    answer = httpx.get(site + "map.geojson", params=params)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/geo+json"
    return {f["id"]: f for f in answer.json()["features"]}


def test_the_geojson_gives_each_regions_shape_and_figures_as_sparql_counts_them(site: str, built: Any) -> None:
    features = _features(site)
    for code in ("SE33", "BG41", "ITH1"):
        assert features[code]["properties"]["projects"] == _projects_in(built.store, code) > 0
    thuringia = features["DEG0"]
    assert thuringia["geometry"]["type"] in ("Polygon", "MultiPolygon")
    ring = thuringia["geometry"]["coordinates"][0] if thuringia["geometry"]["type"] == "Polygon" else []
    assert ring and all(9.8 < lon < 12.7 and 50.2 < lat < 51.7 for lon, lat in ring)
    assert thuringia["properties"]["projects"] >= 2900  # Thüringen's ESF list names its region DEG: the same land
    assert thuringia["properties"]["page"] == site + "region/DEG0" and thuringia["properties"]["iri"] == NUTS + "DEG0"


def test_a_filter_in_the_url_keeps_the_projects_the_project_table_keeps(site: str, built: Any) -> None:
    everything, central = _features(site), _features(site, programme=CENTRAL_EUROPE)
    assert set(central) < set(everything)
    for code in ("ITH3", "DE21", "PL21"):
        assert central[code]["properties"]["projects"] == _projects_in(built.store, code, CENTRAL_EUROPE) > 0
    countries = _features(site, programme=CENTRAL_EUROPE, level="0")
    table = httpx.get(
        site + "browse/Project",
        params={
            "programme": CENTRAL_EUROPE,
            "country": "http://publications.europa.eu/resource/authority/country/AUT",
            "format": "csv",
        },
    )
    assert countries["AT"]["properties"]["projects"] == len(list(csv.DictReader(io.StringIO(table.text))))


def test_the_views_table_downloads_as_csv_and_xlsx_with_numbers_as_numbers(site: str) -> None:
    features = _features(site, measure="budget", level="1")
    rows = list(
        csv.DictReader(io.StringIO(httpx.get(site + "map", params={"measure": "budget", "level": "1", "format": "csv"}).text))
    )
    assert [r["nuts"] for r in rows] == list(features)  # the same regions, largest budget first
    assert float(rows[0]["budget_eur"]) == features[rows[0]["nuts"]]["properties"]["budget_eur"] > 0
    answer = httpx.get(site + "map", params={"measure": "budget", "level": "1", "format": "xlsx", "programme": CENTRAL_EUROPE})
    assert 'filename="map-nuts1.xlsx"' in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    sheet = list(book["regions"].iter_rows(values_only=True))
    assert sheet[0] == ("region", "nuts", "projects", "partners", "budget_eur") and isinstance(sheet[1][2], int)
    assert ("programme", CENTRAL_EUROPE) in list(book["view"].iter_rows(values_only=True))
    assert book.sheetnames == ["regions", "projects", "partners", "view"]


def test_the_xlsx_of_a_map_view_lists_its_projects_and_partners_as_the_table_does(site: str, built: Any) -> None:
    params = {"level": "2", "format": "xlsx", "programme": CENTRAL_EUROPE, "lang": "fr"}
    book = load_workbook(io.BytesIO(httpx.get(site + "map", params=params).content), read_only=True)
    projects = list(book["projects"].iter_rows(values_only=True))
    partners = list(book["partners"].iter_rows(values_only=True))
    table = httpx.get(site + "browse/Project", params={"programme": CENTRAL_EUROPE, "format": "csv"}).text
    assert {r[0] for r in projects[1:]} == {r["iri"] for r in csv.DictReader(io.StringIO(table))}
    fablabnet = next(r for r in projects[1:] if r[0].endswith("-fablabnet"))
    assert fablabnet[1] == "FabLabNet" and isinstance(fablabnet[2], float) and "ITH2" in str(fablabnet[3]).split()
    query = f"""SELECT ?p ?o WHERE {{ ?p s3:programme <{CENTRAL_EUROPE}> ; s3:hasParticipation/s3:participant ?o .
                ?o s3:region ?r }}"""
    placed = {(p, o) for p, o in select_values(built.store, query)}
    assert {(r[0], r[3]) for r in partners[1:]} == placed
    assert "MUSE – Science Museum" in {r[2] for r in partners[1:]}


def test_the_svg_links_every_region_to_its_page_and_credits_eurogeographics(site: str) -> None:
    answer = httpx.get(site + "map.svg", params={"level": "3", "measure": "partners"})
    assert answer.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(answer.text)
    links = root.findall(f".//{SVG}a")
    assert len(links) > 1000 and all(a.get("href", "").startswith(site + "region/") for a in links)
    assert any(a.get("href") == site + "region/DEG01" and "Erfurt" in (a.get("aria-label") or "") for a in links)
    assert "© EuroGeographics" in answer.text


def test_the_embeddable_page_has_no_site_navigation_and_opens_links_in_the_top_window(site: str) -> None:
    page = httpx.get(site + "map/embed", params={"programme": CENTRAL_EUROPE}).text
    assert "<header>" not in page and 'target="_top"' in page and "/static/pages.css" not in page
    assert f"{site}map?programme=" in page
    assert "x-frame-options" not in httpx.get(site + "map/embed").headers


def test_bad_map_parameters_answer_400_naming_them(site: str) -> None:
    for params, words in [({"level": "9"}, "level takes"), ({"theme": "not an iri"}, "theme filter takes an IRI")]:
        for path in ("map", "map.geojson", "map.svg", "map/embed"):
            answer = httpx.get(site + path, params=params)
            assert answer.status_code == 400 and words in answer.text, path


# ---- in a browser ----


@pytest.mark.parametrize("width", [1280, 375])
def test_the_map_page_fits_the_screen_and_a_region_opens_its_page(
    browser: Browser, site: str, width: int, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="nl-NL")
    assert (response := page.goto(site + "map")) is not None and response.status == 200
    assert page.locator("h1").inner_text() == "Projecten per regio"
    assert page.evaluate("document.documentElement.scrollWidth") <= width and page.evaluate(OVERFLOWING) == []
    shot = tmp_path / f"map-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert struct.unpack(">II", shot.read_bytes()[16:24])[0] == width
    page.locator('svg.choropleth a[href$="/region/DEG0"]').click()
    page.wait_for_url("**/region/DEG0")
    assert page.locator("h1").inner_text() == "Thüringen"
    page.close()


def test_the_form_works_without_javascript_and_the_url_holds_the_view(browser: Browser, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "map")
    page.select_option("select[name=measure]", "partners")
    page.select_option("select[name=level]", "1")
    page.select_option("select[name=programme]", CENTRAL_EUROPE)
    page.locator("form.map-form button").click()
    page.wait_for_load_state()
    chosen = dict(parse_qsl(urlparse(page.url).query))
    assert chosen["measure"] == "partners" and chosen["level"] == "1" and chosen["programme"] == CENTRAL_EUROPE
    assert page.locator("h1").inner_text() == "Partners by region"
    first = page.locator("table.sheet-table tbody tr").first.locator("td").first.inner_text()
    assert len(first.rstrip(" *")) == 3  # NUTS 1 codes
    page.locator("p.filters a").click()  # remove the programme filter: the other choices stay
    assert "programme" not in dict(parse_qsl(urlparse(page.url).query)) and "measure=partners" in page.url
    context.close()
