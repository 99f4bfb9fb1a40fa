"""Fact sheets as people read them, in a real headless Chromium over the default build's real
data, at a desktop width (1280 px) and a phone's (375 px): what a portal leads with (summary,
key facts, partners, projects), in the reader's language, nothing sticking out sideways, words
whole, and the full statement table one click away."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from chromium import OVERFLOWING
from playwright.sync_api import Browser, Page

FABLABNET = "id/project/keep-interreg-vb-central-europe-2014-2020-fablabnet"
MUSE = "id/organisation/keep-id-muse-science-museum-ita"
CENTRAL_EUROPE = "id/programme/2014TC16RFTN003"
WIDTHS = [1280, 375]


def _open(browser: Browser, url: str, width: int, locale: str = "en-GB") -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900}, locale=locale)
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


def _fits(page: Page, width: int, shot: Path) -> None:
    """Nothing sticks out sideways, words are not broken anywhere, and the screenshot is the viewport's width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("getComputedStyle(document.querySelector('main')).overflowWrap") != "anywhere"
    page.screenshot(path=str(shot), full_page=True)
    assert struct.unpack(">II", shot.read_bytes()[16:24])[0] == width


def _fact(page: Page, name: str) -> str:
    return page.locator("dl.facts div", has=page.locator("dt", has_text=name)).locator("dd").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_project_leads_with_its_facts_and_partners(browser: Browser, site: str, width: int, tmp_path: Path) -> None:
    page = _open(browser, site + FABLABNET, width)
    assert page.locator("h1").inner_text() == "FabLabNet"
    assert page.locator("p.subtitle").inner_text().startswith("Making Central Europe more competitive")
    assert page.locator("p.summary").first.inner_text().startswith("The new phenomenon of fabrication laboratories")
    assert page.locator("details.more p.summary").is_hidden()  # the rest of a long summary: one click away
    assert _fact(page, "Programme") == "Interreg V-B - Central Europe"
    assert _fact(page, "Period") == "2014-2020"
    assert _fact(page, "Dates") == "1 July 2016 – 30 June 2019"
    assert _fact(page, "Status") == "completed"
    assert _fact(page, "Total budget") == "€ 2\u202f685\u202f782.95"
    assert _fact(page, "EU contribution").endswith("(83 %)")
    partners = page.locator("table.sheet-table tbody tr")
    assert partners.count() == 9
    assert partners.first.locator("th").inner_text() == "MUSE – Science Museum"  # the lead partner first
    assert "Lead partner" in partners.first.inner_text()
    assert page.locator("table.properties").is_hidden()  # the statements: one click away
    page.locator("details.statements summary").click()
    assert page.locator("table.properties").is_visible()
    _fits(page, width, tmp_path / f"project-{width}.png")
    page.close()


def test_a_partners_region_opens_the_regions_sheet_with_its_strategy(browser: Browser, site: str) -> None:
    page = _open(browser, site + "id/project/keep-interreg-vb-central-europe-2014-2020-ecrr", 1280)
    page.locator("table.sheet-table a[href*='/region/DEG01']").first.click()
    page.wait_for_url("**/region/DEG01")
    assert page.locator("h1").inner_text() == "Erfurt, Kreisfreie Stadt"
    assert "Thüringen" in _fact(page, "Part of")
    strategies = page.locator("section.sheet h2", has_text="Strategies")
    assert "(1)" in strategies.inner_text()
    assert page.get_by_role("link", name="RIS3 Thuringia", exact=False).count() == 1
    assert page.get_by_role("link", name="ECRR").count() == 1
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_organisation_lists_its_projects_with_role_and_programme(
    browser: Browser, site: str, width: int, tmp_path: Path
) -> None:
    page = _open(browser, site + MUSE, width)
    assert page.locator("h1").inner_text() == "MUSE – Science Museum"
    assert _fact(page, "Country") == "Italy" and _fact(page, "Projects") == "1"
    row = page.locator("table.sheet-table tbody tr").first
    assert row.locator("th").inner_text() == "FabLabNet"
    assert "Lead partner" in row.inner_text() and "Interreg V-B - Central Europe" in row.inner_text()
    _fits(page, width, tmp_path / f"organisation-{width}.png")
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_programme_shows_its_projects_largest_first_and_its_totals(
    browser: Browser, site: str, width: int, tmp_path: Path
) -> None:
    page = _open(browser, site + CENTRAL_EUROPE, width)
    assert _fact(page, "CCI code") == "2014TC16RFTN003"
    assert _fact(page, "Projects") == "34"
    rows = page.locator("table.sheet-table tbody tr")
    assert rows.count() == 34
    budgets = [
        float(t.replace("€", "").replace("\u202f", "").strip())
        for t in page.locator("table.sheet-table td.number").all_inner_texts()
    ]
    assert budgets == sorted(budgets, reverse=True) and len(budgets) == 34
    _fits(page, width, tmp_path / f"programme-{width}.png")
    page.close()


def test_a_fact_sheet_speaks_the_readers_language_and_marks_a_summary_in_another(browser: Browser, site: str) -> None:
    page = _open(browser, site + FABLABNET, 1280, locale="nl-BE")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("dl.facts dt").all_inner_texts()[:3] == ["Programma", "Periode", "Looptijd"]
    assert _fact(page, "Status") == "afgerond"
    first = page.locator("table.sheet-table tbody tr").first  # the lead partner first, told by its role, not its label
    assert first.locator("th").inner_text() == "MUSE – Science Museum" and "Hoofdpartner" in first.inner_text()
    assert page.locator("p.note").count() == 1 and "English" in page.locator("p.note").inner_text()  # no Dutch summary
    page.close()
    page = _open(
        browser, site + "id/project/keep-interreg-v-a-germany-saxony-czech-republic-2014-2020-elbe-ruderakademie", 1280, "de-DE"
    )
    summary = page.locator("p.summary").first
    assert summary.get_attribute("lang") == "de" and summary.inner_text().startswith("Das Ziel des Vorhabens")
    assert "Deutsch" in page.locator("p.note").inner_text()  # the page is in English, the summary is not
    page.close()


def test_the_status_follows_the_dates() -> None:
    from datetime import date

    from server.pages.factsheet import status

    today = date(2026, 12, 5)
    assert status("2016-07-01", "2019-06-30", today) == "completed"
    assert status("2026-01-01", "2027-12-31", today) == "ongoing"
    assert status("2027-01-01", None, today) == "planned"
    assert status(None, None, today) is None
    assert status("not a date", None, today) is None


@pytest.mark.parametrize(
    ("text", "lead", "rest"),
    [
        ("Short.", "Short.", ""),
        ("A" * 300 + ".\n\n" + "B" * 400, "A" * 300 + ".", "B" * 400),  # the first paragraph
        ("One. " * 200, ("One. " * 119 + "One.").strip(), ("One. " * 80).strip()),  # whole sentences up to 600
        ("x" * 700, "x" * 700, ""),  # nowhere to cut: all of it
    ],
)
def test_a_long_summary_shows_its_lead_and_keeps_the_rest_one_click_away(text: str, lead: str, rest: str) -> None:
    from server.pages.factsheet import lead_and_rest

    assert lead_and_rest(text) == (lead, rest)


def test_every_name_a_fact_sheet_shows_is_written_in_every_page_language() -> None:
    """The facts' and tables' names (message keys in server/pages/factsheet.py) are in messages.yaml
    with a translation for each page language."""
    import re

    import yaml
    from conftest import PROJECT

    from server.web.languages import PAGE_LANGUAGES

    source = (PROJECT / "server" / "pages" / "factsheet.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'\("([A-Z][\w ]+)", (?:S3|DCT|SKOS|SDO|\[)', source))
    for title, columns in re.findall(r'Table\("([^"]+)", \[([^\]]*)\]', source):
        keys |= {title, *re.findall(r'"([^"]+)"', columns)}
    messages = yaml.safe_load((PROJECT / "server" / "pages" / "templates" / "messages.yaml").read_text(encoding="utf-8"))
    assert len(keys) > 30 and {"Partners", "Part of", "Projects that serve it", "Sectors"} <= keys
    others = [language for language in PAGE_LANGUAGES if language != "en"]
    assert sorted(k for k in keys if set(others) - set(messages.get(k, {}))) == []
