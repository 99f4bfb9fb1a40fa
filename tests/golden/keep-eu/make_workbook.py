"""Writes keep-eu.xlsx: a small workbook in keep.eu's export layout (see data/README.md), with
the quirks the loader must handle: dates as Excel dates, programme names without CCI codes,
identifiers only for 2021-2027, EU country codes, and some bad rows.

    python tests/golden/keep-eu/make_workbook.py
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from loaders.map.exports.keep_eu_layouts import SEARCH_PARTNER_COLUMNS as PARTNER_COLUMNS
from loaders.map.exports.keep_eu_layouts import SEARCH_PROJECT_COLUMNS as PROJECT_COLUMNS


def project(programme: str, period: str, ident: str | None, acronym: str | None, name: str, start: object, end: object,
            total: object, eu: object) -> list[object]:  # fmt: skip
    website = "https://example.org/" + (acronym or "none").lower().replace(" ", "-")
    texts = [f"About {acronym or 'nothing'}.", None, None, None]
    return [programme, period, ident, acronym, name, None, None, None, *texts, start, end, total, eu, 0.85, website,
            "Innovation capacity and awareness-raising", None, None]  # fmt: skip


def partner(programme: str, ident: str | None, acronym: str, name: str, lead: str, country: str, pic: str | None,
            other_id: str | None, nuts2: str | None, budget: object) -> list[object]:  # fmt: skip
    return [programme, ident, acronym, name, None, None, None, lead, country, pic, other_id,
            "Higher education and research organisations", nuts2, None, None, None, budget, None, None]  # fmt: skip


def main() -> None:
    book = Workbook()
    book.active.title = "Info"
    book["Info"].append(["Export of keep.eu search results (test fixture)"])
    projects = book.create_sheet("Search results, projects")
    projects.append(PROJECT_COLUMNS)
    alpine, baltic = "Interreg V-B - Alpine Space", "Interreg V-B - Baltic Sea"
    projects.append(
        project(
            alpine,
            "2014-2020",
            None,
            "S3-4AlpClusters",
            "Alpine clusters",
            datetime(2016, 11, 1),
            datetime(2019, 4, 30),
            2500000,
            1900000,
        )
    )
    projects.append(
        project(
            baltic, "2014-2020", None, "GoSmart BSR", "Go smart", datetime(2017, 1, 1), datetime(2019, 12, 31), 2000000.5, 1500000
        )
    )
    projects.append(
        project(
            "Interreg Europe 2021-2027",
            "2021-2027",
            "IE-0001",
            "NEWPROJ",
            "A new one",
            "01/09/2022",
            "31/08/2025",
            "1000000",
            "800000",
        )
    )
    fwvl = "Interreg V-A - Belgium-France (France-Wallonie-Vlaanderen)"  # the seeds' GoToS3 portfolio
    projects.append(project(fwvl, "2014-2020", None, "GoToS3", "Go to S3", "01/01/2016", "31/12/2020", 500000, 250000))
    projects.append(project(baltic, "2014-2020", None, "BADDATE", "Broken", "31/02/2020", "31/12/2021", 1, 1))
    projects.append(project(baltic, "2014-2020", None, None, "No acronym", datetime(2018, 1, 1), datetime(2019, 1, 1), 1, 1))
    projects.append(project(baltic, "2014-2020", None, "TOOMUCH", "EU share above total", "01/01/2018", "31/12/2019", 1, 2))
    # a website N-Triples cannot carry as an IRI ("{}"): the project loads without it
    projects.append(project(baltic, "2014-2020", None, "Odd{Site}", "Odd website", "01/01/2018", "31/12/2019", 10, 5))
    partners = book.create_sheet("Search results, partners")
    partners.append(PARTNER_COLUMNS)
    partners.append(partner(alpine, None, "S3-4AlpClusters", "FEMTO-ST", "No", "FR", "999990010", None, "FRC2", 200000))
    partners.append(
        partner(baltic, None, "GoSmart BSR", "Bialystok University of Technology", "Yes", "PL", "999990001", None, "PL84", 300000)
    )
    partners.append(
        partner(
            "Interreg Europe 2021-2027", "IE-0001", "NEWPROJ", "Aristotle University", "Yes", "EL", None, "EL-77", "EL52", 100000
        )
    )
    partners.append(partner(baltic, None, "GHOST", "Nobody", "Yes", "DE", None, "X1", None, 1))
    partners.append(partner(baltic, None, "GoSmart BSR", "Somewhere Ltd", "No", "XX", None, "X2", None, 1))
    partners.append(  # the same organisation twice in one project
        partner(baltic, None, "GoSmart BSR", "Bialystok University of Technology", "No", "PL", "999990001", None, "PL84", 1)
    )
    book.save(Path(__file__).with_name("keep-eu.xlsx"))


if __name__ == "__main__":
    main()
