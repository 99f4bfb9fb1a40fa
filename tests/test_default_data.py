"""The default build publishes real open data: keep.eu's closed Interreg projects of 2014-2020,
Thüringen's ESF operations, Poland's Cohesion Fund projects and the Swedish partners of Interreg
2021-2027, each read to its end through the loaders `s3kg load` runs, each fact with its source.
The workbook is read here again, cell by cell, with openpyxl, and compared with the graph."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import PROJECT
from openpyxl import load_workbook

from loaders.map.exports.keep_eu_layouts import CLOSED_PROJECTS, SEARCH_RESULTS, as_fields, layout_of

KEEP = PROJECT / "data" / "exports" / "keep_closed_1420.xlsx"
ID = "https://w3id.org/s3kg/id/"
PREFIXES = """PREFIX s3: <https://w3id.org/s3kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""


def _select(built: Any, query: str) -> list[dict[str, str]]:
    solutions = built.store.query(PREFIXES + query)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def _count(built: Any, query: str) -> int:
    return int(_select(built, f"SELECT (COUNT(*) AS ?n) WHERE {{ {query} }}")[0]["n"])


def test_the_default_build_holds_thousands_of_real_projects_and_partners_each_with_its_source(built: Any) -> None:
    projects = _count(built, "SELECT DISTINCT ?p WHERE { ?p a s3:Project }")
    organisations = _count(built, "SELECT DISTINCT ?o WHERE { ?o a s3:Organisation }")
    participations = _count(built, "?x a s3:Participation")
    assert projects > 4500 and organisations > 5000 and participations > 9000, (projects, organisations, participations)
    sourceless = _count(built, "?p a s3:Project FILTER NOT EXISTS { ?p dcterms:source ?s }")
    assert sourceless == 0
    per_file = _select(
        built,
        """SELECT ?name (COUNT(DISTINCT ?p) AS ?n) WHERE {
             ?p a s3:Project ; dcterms:source ?doc . ?doc s3:fileName ?name } GROUP BY ?name""",
    )
    counts = {row["name"].rsplit("/", 1)[-1]: int(row["n"]) for row in per_file}
    assert counts["keep_closed_1420.xlsx"] == 1849  # 1,891 rows: 39 repeat a project per lead partner, 3 rejected
    assert counts["ESF_Thueringen_2014_2020.csv"] > 2800
    assert counts["Poland_CF_2014_2020.csv"] == 125


def test_every_row_of_the_real_exports_is_accounted_for(built: Any) -> None:
    accounts = {summary.file: summary for summary in built.summaries}
    book = load_workbook(KEEP, read_only=True)
    for sheet in (CLOSED_PROJECTS.projects_sheet, CLOSED_PROJECTS.partners_sheet):
        account = next(a for file, a in accounts.items() if file.endswith(f"keep_closed_1420.xlsx [{sheet}]"))
        rows = sum(1 for row in book[sheet].iter_rows(min_row=2, values_only=True) if any(row))
        assert account.read == rows == account.loaded + account.merged + account.rejected
        assert account.rejected / account.read < 0.01, [r.reason for r in account.rejects]
    assert len(accounts) == 5  # two sheets, two lists of operations, one partner list
    for name, account in accounts.items():
        assert account.read == account.loaded + account.merged + account.rejected > 0, name


def _first_row(acronym: str) -> dict[str, object]:
    book = load_workbook(KEEP, read_only=True)
    rows = book[CLOSED_PROJECTS.projects_sheet].iter_rows(values_only=True)
    header = [str(c) for c in next(rows)]
    return next(dict(zip(header, row, strict=False)) for row in rows if row[header.index("Acronym")] == acronym)


def test_a_keep_eu_project_is_its_rows_cells(built: Any) -> None:
    cells = _first_row("FabLabNet")
    project = _select(
        built,
        """SELECT ?p ?programme ?title ?start ?end ?total ?eu WHERE {
             ?p s3:acronym "FabLabNet" ; s3:programme ?programme ; dcterms:title ?title ;
                schema:startDate ?start ; schema:endDate ?end ;
                s3:totalBudget/schema:value ?total ; s3:euContribution/schema:value ?eu }""",
    )
    assert len(project) == 1
    row = project[0]
    assert row["programme"] == ID + "programme/2014TC16RFTN003"  # "2014 - 2020 INTERREG VB Central Europe", by its CCI title
    assert row["title"] == cells["Project Name"]
    assert row["start"] == str(cells["Project start"]).replace("/", "-")
    assert row["end"] == str(cells["Project end"]).replace("/", "-")
    assert Decimal(row["total"]) == Decimal(str(cells["Budget"]).replace(",", ""))
    assert Decimal(row["eu"]) == Decimal(str(cells["EU Funding"]).replace(",", ""))
    partners = _select(
        built,
        f"""SELECT ?name ?role ?region WHERE {{ <{row["p"]}> s3:hasParticipation ?x .
             ?x s3:participant ?o ; s3:partnerRole ?role . ?o rdfs:label ?name ; s3:region ?region }}""",
    )
    book = load_workbook(KEEP, read_only=True)
    rows = book[CLOSED_PROJECTS.partners_sheet].iter_rows(values_only=True)
    header = [str(c) for c in next(rows)]
    expected = {
        (r[header.index("Project Partner")], r[header.index("Lead Partner")], r[header.index("NUTS3 (or equivalent)")].split()[0])
        for r in rows
        if r[header.index("Acronym")] == "FabLabNet"
    }
    found = {(p["name"], "Yes" if p["role"].endswith("lead-partner") else "No", p["region"].rsplit("/", 1)[-1]) for p in partners}
    assert found == expected and len(found) == 9


def test_descriptions_in_the_programmes_languages_carry_the_language_they_are_written_in(built: Any) -> None:
    cells = _first_row('"Elbe Ruderakademie"')
    found = {
        (r["d"], r["lang"])
        for r in _select(
            built, 'SELECT ?d (LANG(?d) AS ?lang) WHERE { ?p s3:acronym "\\"Elbe Ruderakademie\\"" ; dcterms:description ?d }'
        )
    }
    assert found == {(cells["Description 1"], "de"), (cells["Description 2"], "cs")}


@pytest.mark.parametrize(
    ("column", "cell", "value"),
    [
        ("Programme", "2014 - 2020 INTERREG VB Danube", "INTERREG VB Danube"),
        ("Programme", "ESPON 2020", "ESPON 2020"),
        ("Project's total budget / expenditure", "892,228.58", "892228.58"),
        ("Project's total budget / expenditure", "1,015,455.00", "1015455.00"),
        ("Project's total budget / expenditure", "892228,58", "892228,58"),  # not English: left to the amount rule
        ("Country code", "DE Germany / DEUTSCHLAND", "DE"),
        ("NUTS3 code (or equivalent)", "DEG01  / Erfurt, Kreisfreie Stadt", "DEG01"),
        ("NUTS2 code (or equivalent)", "ITH2  / Provincia Autonoma di Trento", "ITH2"),
        ("NUTS3 code (or equivalent)", "Erfurt", "Erfurt"),  # no code: the loader says so
    ],
)
def test_the_closed_projects_layout_writes_values_its_own_way(column: str, cell: str, value: str) -> None:
    columns = {**CLOSED_PROJECTS.projects, **CLOSED_PROJECTS.partners}
    assert as_fields(CLOSED_PROJECTS, [], {column: columns[column]}, {columns[column]: cell})[column] == value


@pytest.mark.parametrize(
    ("sheets", "layout"),
    [
        (["Search results, projects", "Search results, partners"], SEARCH_RESULTS),
        (["Projects (lead partners)", "Partners", "Calls"], CLOSED_PROJECTS),
        (["Projects (lead partners)"], None),
        (["Sheet1"], None),
    ],
)
def test_a_workbooks_layout_is_told_by_its_sheets(sheets: list[str], layout: object) -> None:
    assert layout_of(sheets) is layout
