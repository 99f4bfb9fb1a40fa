"""Hostile text from loaded data is inert on every page kind and export (issue 21).

Organisation names that try to end the embedded JSON-LD (`<!--<script>`), reverse the text around
them (U+202E), run as spreadsheet formulas (`=HYPERLINK(…)`, `+`, `-`, `@`) or break a workbook
(control characters) are loaded as a user loads an export, `s3kg load`, then every page kind is
fetched from a real server, and the entity page read in a real browser."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from chromium import CHROMIUM, FLAGS
from live_server import live_server
from openpyxl import load_workbook
from playwright.sync_api import sync_playwright
from seed_data import copy_seed_data
from test_cli import s3kg

from server.backends.embedded.backend import EmbeddedBackend

NAMES = {
    "script": "<!--<script>Hostile Script Org</script>",
    "rtl": "Hostile \u202eRTL Org gnp.exe",
    "formula": '=HYPERLINK("http://evil.example/","Hostile Formula Org")',
    "plus": "+Hostile Plus Org",
    "minus": "-2+3 Hostile Minus Org",
    "at": "@SUM(1) Hostile At Org",
    "controls": "Hostile\x0bControl\x1bOrg",
}
HEADER = "Country\tRegion\tBeneficiary Name\tTotal Budget\tEU Contribution\tNumber of Projects\tTransliterated Name\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("hostile")
    data, store = root / "data", root / "store"
    copy_seed_data(data)
    export = root / "hostile.tsv"
    rows = [f"Belgium\tWest-Vlaanderen\t{name}\t1000\t500\t1\t{name}\n" for name in NAMES.values()]
    export.write_text(HEADER + "".join(rows), encoding="utf-8")
    loaded = s3kg("load", "kohesio-beneficiaries", str(export), "--data-dir", str(data), store=store)
    assert loaded.returncode == 0, loaded.stderr
    with live_server(EmbeddedBackend(store), workers=1, cache_bytes=0) as url:
        yield url


def test_the_embedded_json_ld_cannot_end_its_block_and_the_page_shows_whole(base: str) -> None:
    pages = httpx.get(base + "search", params={"q": "Hostile Script Org", "format": "json"}, timeout=60).json()
    iri = next(hit["iri"] for hit in pages["hits"] if "Script" in hit["label"])
    page = base + "id/" + iri.split("/id/", 1)[1]
    html = httpx.get(page, headers={"Accept": "text/html"}, timeout=60).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None and "<" not in block.group(1) and ">" not in block.group(1) and "&" not in block.group(1)
    assert json.loads(block.group(1))["name"].startswith("<!--<script>")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page()
        tab.goto(page)
        heading, body = tab.inner_text("h1"), tab.inner_text("body")
        browser.close()
    assert "Hostile Script Org" in heading
    assert "Statements" in body or "Property" in body or len(body) > 300, "the page after the JSON-LD block is shown"


@pytest.mark.parametrize(
    "path", ["", "browse/Organisation", "browse/Organisation?q=Hostile", "search?q=Hostile", "map", "id/", "sitemap.xml"]
)
def test_no_direction_control_reaches_a_page_unisolated(base: str, path: str) -> None:
    response = httpx.get(base + path, headers={"Accept": "text/html"}, timeout=60, follow_redirects=True)
    assert response.status_code in (200, 404)
    text = response.text
    for found in re.finditer("\u202e", text):
        before = text[: found.start()]
        assert before.rfind("\u2068") > before.rfind("\u2069"), f"U+202E at {found.start()} is not inside an isolate"


def test_the_entity_page_of_a_reversed_name_isolates_it_in_title_heading_and_cells(base: str) -> None:
    hits = httpx.get(base + "search", params={"q": "RTL Org", "format": "json"}, timeout=60).json()["hits"]
    iri = next(hit["iri"] for hit in hits if "RTL" in hit["label"])
    html = httpx.get(base + "id/" + iri.split("/id/", 1)[1], headers={"Accept": "text/html"}, timeout=60).text
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None and "\u2068" in title.group(1)
    assert html.count("\u202e") >= 2 and html.count("\u202e") <= html.count("\u2068")


def test_csv_export_cells_never_start_a_formula(base: str) -> None:
    response = httpx.get(base + "browse/Organisation", params={"format": "csv"}, timeout=60)
    assert response.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]
    assert any("Hostile Formula Org" in cell for cell in cells)
    risky = [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not _number(cell))]
    assert risky == []


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_xlsx_export_holds_text_as_text_and_survives_control_characters(base: str) -> None:
    response = httpx.get(base + "browse/Organisation", params={"format": "xlsx"}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    texts = [str(cell.value) for cell in cells if cell.value is not None]
    assert any(text.startswith('=HYPERLINK("http://evil.example/"') for text in texts), "the name, exactly, as text"
    assert all(cell.data_type != "f" for cell in cells), "no cell is a formula"
    assert "'" not in [cell.value for cell in cells], "an empty cell stays empty"
    assert any("Hostile\ufffdControl\ufffdOrg" in text for text in texts)


def test_a_char_range_of_thousands_of_digits_is_400(base: str) -> None:
    listing = httpx.get(base + "sources/", headers={"Accept": "application/json"}, timeout=60)
    doc = next(iter(re.findall(r"/sources/([\w.-]+)", listing.text)), "seed-000")
    response = httpx.get(base + f"sources/{doc}", params={"char": "9" * 5000}, timeout=60)
    assert response.status_code == 400 and "character range" in response.text


def test_opensearch_names_the_configured_address_whatever_the_host_header(base: str) -> None:
    response = httpx.get(base + "opensearch.xml", headers={"Host": "evil.example:666"}, timeout=60)
    assert response.status_code == 200 and "evil.example" not in response.text and base in response.text
