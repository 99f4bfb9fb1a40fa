"""A fact sheet's map inset: the regions an entity is placed in, drawn over their neighbours and
zoomed to them. The drawing as table tests; what each kind places, checked against SPARQL over
the real default build; then the page in Chromium at 1280 and 375 px, where a region of the
inset opens its own sheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium import OVERFLOWING
from conftest import Built
from playwright.sync_api import Browser

from loaders.core.queries import select_values
from server.pages import atlas, inset

NUTS = "http://data.europa.eu/nuts/code/"
ECRR = "https://w3id.org/s3kg/id/project/keep-interreg-vb-central-europe-2014-2020-ecrr"
CENTRAL_EUROPE = "https://w3id.org/s3kg/id/programme/2014TC16RFTN003"


def _inside(inner: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    x, y, width, height = box
    return x <= inner[0] and y <= inner[1] and inner[2] <= x + width and inner[3] <= y + height


def test_a_region_is_drawn_whole_among_its_neighbours_at_its_level_with_the_borders_of_countries() -> None:
    drawn = inset.inset(["DEG0"])
    assert drawn is not None and [a.code for a in drawn.areas] == ["DEG0"]
    assert drawn.areas[0].name == "Thüringen"
    bounds = inset._bounds(2, "DEG0")
    assert bounds is not None and _inside(bounds, drawn.box)
    assert drawn.box[2] > bounds[2] - bounds[0]  # a margin around it
    assert len(drawn.context) > 10  # Sachsen, Hessen, Bayern's regions…
    assert atlas.shapes(2)["DEG0"].path in drawn.context and drawn.borders  # Germany's border with Czechia


def test_several_regions_are_all_inside_the_inset_and_countries_need_no_borders() -> None:
    drawn = inset.inset(["SE", "PT", "CY"])
    assert drawn is not None and {a.code for a in drawn.areas} == {"SE", "PT", "CY"}
    for code in ("SE", "PT", "CY"):
        bounds = inset._bounds(0, code)
        assert bounds is not None and _inside(bounds, drawn.box)
    assert drawn.borders == ()


@pytest.mark.parametrize(
    "codes",
    [[], ["FRY10"], ["ZZZ"], ["DE0", "not a code"], ["12"]],
    ids=["none", "outermost region outside the frame", "extra-regio", "codes that are not NUTS 2021", "digits"],
)
def test_an_inset_of_nothing_drawable_is_none(codes: list[str]) -> None:
    assert inset.inset(codes) is None


def test_a_small_region_is_shown_with_room_around_it() -> None:
    drawn = inset.inset(["BE100"])  # Brussels, a few pixels on the whole map
    assert drawn is not None and drawn.box[2] >= inset.SMALLEST


def test_each_kind_places_what_the_graph_says(built: Built) -> None:
    query = f"SELECT ?r WHERE {{ <{ECRR}> s3:hasParticipation/s3:participant/s3:region ?r }}"
    partners = {r for (r,) in select_values(built.store, query)}
    assert partners and {NUTS + c for c in inset.places("project", ECRR, built.store)} >= partners
    territory = {r for (r,) in select_values(built.store, f"SELECT ?r WHERE {{ <{CENTRAL_EUROPE}> s3:territory ?r }}")}
    assert {NUTS + c for c in inset.places("programme", CENTRAL_EUROPE, built.store)} == territory
    assert inset.places("region", NUTS + "DEG0", built.store) == ["DEG0"]
    assert inset.places("dataset", ECRR, built.store) == []


@pytest.mark.parametrize("width", [1280, 375])
def test_a_project_sheet_maps_its_partners_regions_and_a_click_opens_one(
    browser: Browser, site: str, width: int, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(site + "id/project/keep-interreg-vb-central-europe-2014-2020-ecrr")
    figure = page.locator("figure.inset")
    assert figure.is_visible()
    drawn = figure.locator("svg a")
    codes = {(drawn.nth(i).get_attribute("href") or "").rsplit("/", 1)[-1] for i in range(drawn.count())}
    assert "DEG01" in codes and len(codes) >= 3
    assert "Erfurt" in figure.locator("figcaption").inner_text()
    assert figure.bounding_box()["width"] <= width  # type: ignore[index]
    assert page.evaluate(OVERFLOWING) == []
    page.screenshot(path=str(tmp_path / f"inset-{width}.png"), full_page=True)
    figure.locator("svg a[href$='/region/DEG01'] path").click()
    page.wait_for_url("**/region/DEG01")
    assert page.locator("figure.inset svg a[href$='/region/DEG01']").count() == 1
    page.close()


def test_a_regions_sheet_counts_the_projects_the_map_counts_there(built: Built, site: str, browser: Browser) -> None:
    """Thüringen's ESF list names DEG, whose only region is DEG0: the sheet and the map agree."""
    page = browser.new_page()
    page.goto(site + "region/DEG0")
    heading = page.locator("section.sheet h2", has_text="Projects").inner_text()
    page.close()
    found = select_values(
        built.store,
        """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a s3:Project .
           { ?p s3:region ?r } UNION { ?p s3:hasParticipation/s3:participant/s3:region ?r }
           UNION { ?p s3:hasParticipation/s3:region ?r }
           FILTER (?r IN (<http://data.europa.eu/nuts/code/DEG>, <http://data.europa.eu/nuts/code/DEG0>)
                   || STRSTARTS(STR(?r), "http://data.europa.eu/nuts/code/DEG0")) }""",
    )
    assert f"({next(iter(found))[0]})" in heading
