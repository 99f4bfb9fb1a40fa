"""What a person sees, in a real headless Chromium (Debian's, installed by .ci/run).

Opens the home page, a project page and the query editor; runs an example query by
clicking, and reads the table the page shows.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from playwright.sync_api import Browser


def test_home_page_shows_counts_and_a_chart(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="en-GB")
    page.goto(site)
    assert page.title().startswith("The S3 knowledge graph")
    projects = page.locator("tr", has=page.get_by_role("link", name="Project", exact=True)).locator("td").inner_text()
    assert int(projects.replace("\u202f", "")) > 4000  # the default build's real projects
    assert page.locator("svg[role=img]").first.is_visible()
    page.close()


def test_project_page_reads_like_a_description(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="nl-BE")
    page.goto(site + "id/project/gotos3")
    assert page.locator("h1").inner_text() == "GoToS3"
    assert page.locator("p.subtitle").inner_text() == "Op weg naar een slimme specialisatie strategie"
    page.get_by_role("link", name="Interreg V France-Wallonie-Vlaanderen").first.click()
    page.wait_for_url("**/id/programme/2014TC16RFCB044")
    assert "2014TC16RFCB044" in page.content()
    page.close()


def test_query_editor_runs_an_example_and_shows_the_table(browser: Browser, site: str) -> None:
    page = browser.new_page()
    page.goto(site + "sparql")
    page.wait_for_function("document.querySelectorAll('#examples option').length > 40")
    page.select_option("#examples", label="cq01: Which S3 domains does the GoToS3 portfolio cover?")
    assert page.locator("#highlight .kw").first.is_visible(), "the query is highlighted"
    page.get_by_role("button", name="Run query").click()
    page.wait_for_selector("#results table")
    cells = sorted(page.locator("#results td").all_inner_texts())
    domains = ["Culturele en Creative Industrieën", "Gezondheid en zorg", "Landbouw en voeding",
               "Mechatronica en werktuigbouwkunde", "Nieuwe materialen en chemie", "Textiel"]  # fmt: skip
    assert cells == [f"{d}@nl" for d in domains]
    assert "6 row(s)" in page.locator("#status").inner_text()
    page.close()


def test_search_works_from_the_keyboard_alone(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="en-GB")
    page.goto(site)
    for _ in range(15):  # Tab through the header's links to the search field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("textiles")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=textiles")
    first_hit = page.locator("ol.hits a").first
    first_hit.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/id/**")
    assert page.locator("h1").inner_text() == "Textiles"
    page.close()


@pytest.mark.parametrize("path", ["browse/Project", "map", "", "search?q=smart"])
def test_pages_fit_a_phone_screen(browser: Browser, site: str, path: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740}, locale="en-GB")
    page.goto(site + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling of the page"
    shot = tmp_path / "phone.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # the PNG header's size
    assert width == 375 and height >= 740
    page.close()


def test_project_facets_filter_the_table_by_clicking(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="en-GB")
    page.goto(site + "browse/Project")
    assert page.locator("table.rows tbody tr").count() == 50  # a page of thousands
    page.locator("aside section.facet a", has_text="Interreg V-A - Latvia-Lithuania").first.click()
    page.wait_for_url("**programme=**")
    assert page.locator("table.rows tbody tr").count() == 45  # the programme's projects in keep.eu's closed-projects file
    page.close()


def test_table_facets_and_sorting_work_from_the_keyboard(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="en-GB")
    page.goto(site + "browse/Organisation")
    before = page.locator("table.rows tbody tr").count()
    page.locator("aside section.facet a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/browse/Organisation?**")
    after = page.locator("table.rows tbody tr").count()
    assert 0 < after <= before and page.locator("aside a.on").count() == 1
    page.get_by_role("link", name="label", exact=False).first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=label**")
    assert page.locator("th[aria-sort]").count() == 1
    page.close()


def test_a_values_source_link_opens_the_document_with_the_passage_marked(browser: Browser, site: str) -> None:
    page = browser.new_page(locale="en-GB")
    page.goto(site + "id/project/gosmart-bsr")
    page.locator("details.statements summary").click()  # the statements, one click below the fact sheet
    link = page.locator('a.passage[href^="/sources/seed-001#char="]').first
    quote = link.get_attribute("title") or ""
    link.click()
    page.wait_for_url("**/sources/seed-001#char=*")
    marked = page.locator("mark#passage")
    assert marked.is_visible()
    assert quote.startswith("“" + marked.inner_text() + "”")
    assert marked.inner_text().startswith("där man kom fram till en metodik")
    page.close()
