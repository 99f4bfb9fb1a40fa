"""Real national lists of operations (tests/real/README.md) loaded as a user loads them: a German
list with the PDF's headers and natural persons withheld, a Polish one in Windows-1250, each row
accounted for and the graph's values compared with the files' own cells."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT
from rdflib import URIRef
from test_real_files import REAL, loaded_project, new_project, s3kg, select

from loaders.core.iris import IriMinter
from loaders.map.exports.operations import _Context, _Mapper
from loaders.map.reference.countries import load_country_table
from loaders.map.tabular import RowRejected

THUERINGEN = REAL / "ESF_Thueringen_2014_2020-excerpt.csv"
POLAND = REAL / "Poland_CF_2014_2020.csv"
WITHHELD = re.compile(r"^Begünstigte oder Begünstigter\b")


def cells(path: Path, encoding: str, delimiter: str) -> list[dict[str, str]]:
    """The file's rows read here without the loader, by Python's csv module."""
    with path.open(encoding=encoding, newline="") as handle:
        return [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(handle, delimiter=delimiter)]


@pytest.fixture(scope="module")
def thueringen(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    return loaded_project(tmp_path_factory.mktemp("thueringen"), "national-operations", THUERINGEN)


@pytest.fixture(scope="module")
def poland(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    return loaded_project(tmp_path_factory.mktemp("poland"), "national-operations", POLAND)


def test_a_list_with_the_pdfs_headers_is_read_to_its_end_and_the_account_adds_up(thueringen: Any) -> None:
    project, loaded = thueringen
    rows = cells(THUERINGEN, "utf-8", ",")
    nameless = [n for n, r in enumerate(rows, start=2) if not r["Bezeichnung des Vorhabens"].strip()]
    assert f"({len(rows)} rows read, {len(rows) - len(nameless)} loaded, 0 merged, {len(nameless)} rejected)" in loaded.stdout
    with (project / "var" / "reports" / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = [(r["row"], r["column"]) for r in csv.DictReader(handle)]
    assert rejects == [(str(n), "project") for n in nameless]
    assert "columns not read: Postleitzahl des Vorhabens" in " ".join((loaded.stdout + loaded.stderr).split())


def test_natural_persons_keep_their_operations_without_becoming_an_organisation(thueringen: Any) -> None:
    """162 rows name "Begünstigte oder Begünstigter (…)": each is its own operation (two pairs
    alike in every cell stay two), none has a beneficiary, and no organisation has that name."""
    project, loaded = thueringen
    rows = [r for r in cells(THUERINGEN, "utf-8", ",") if r["Bezeichnung des Vorhabens"].strip()]
    withheld = [r for r in rows if WITHHELD.match(r["Name des Begünstigten"].strip())]
    assert len(withheld) == 162 and len({tuple(r.values()) for r in withheld}) < len(withheld)
    query = """SELECT (COUNT(*) AS ?n) WHERE { ?p s3:programme ?g FILTER(CONTAINS(STR(?p), "/project/ops-"))
        FILTER NOT EXISTS { ?p s3:hasParticipation ?x } }"""
    assert int(select(project, query)[0]["n"]) == len(withheld)
    named = (
        """SELECT (COUNT(*) AS ?n) WHERE { ?o a s3:Organisation ; rdfs:label ?name FILTER(STRSTARTS(?name, "Begünstigte")) }"""
    )
    assert select(project, named)[0]["n"] == "0"
    said = " ".join((loaded.stdout + loaded.stderr).split())
    assert f"{len(withheld)} operations of beneficiaries whose names the list withholds" in said


def test_german_amounts_rates_and_dates_are_the_cells_values(thueringen: Any) -> None:
    project, _ = thueringen
    rows = [r for r in cells(THUERINGEN, "utf-8", ",") if r["Bezeichnung des Vorhabens"].strip()]
    query = """SELECT ?title ?total ?currency ?rate ?start ?end ?programme ?fund ?lang WHERE {
        ?p s3:programme ?programme ; dcterms:title ?title ; s3:totalBudget [ schema:value ?total ; s3:currency ?currency ] ;
           s3:cofinancingRate ?rate ; schema:startDate ?start ; schema:endDate ?end ; s3:fund/skos:notation ?fund
        BIND(LANG(?title) AS ?lang) }"""
    graph = select(project, query)
    assert {r["programme"].rsplit("/", 1)[-1] for r in graph} == {"2014DE05SFOP014"}
    assert {(r["currency"].rsplit("/", 1)[-1], r["rate"], r["fund"], r["lang"]) for r in graph} == {("EUR", "0.8", "ESF", "de")}
    expected = sum(
        Decimal(r["Gesamtbetrag der förderfähigen Ausgaben des Vorhabens"].replace(".", "").replace(",", ".")) for r in rows
    )
    assert sum(Decimal(r["total"]) for r in graph) == expected
    first = rows[0]  # 1. gemeinnütziger Aus- und Weiterbildungsverbund Altenburg: 13.074,00, 01.09.2015-31.07.2016
    found = [r for r in graph if r["title"] == first["Bezeichnung des Vorhabens"] and r["start"] == "2015-09-01"]
    assert [(Decimal(r["total"]), r["end"]) for r in found] == [(Decimal("13074.00"), "2016-07-31")]


def test_an_operation_in_switzerland_of_a_german_list_is_swiss(thueringen: Any) -> None:
    project, _ = thueringen
    swiss = {r["Bezeichnung des Vorhabens"] for r in cells(THUERINGEN, "utf-8", ",") if r["Land"].strip() == "CH"}
    query = """SELECT DISTINCT ?title WHERE { ?p dcterms:title ?title ; s3:country ?c FILTER(STRENDS(STR(?c), "/CHE")) }"""
    assert len(swiss) == 1 and {r["title"] for r in select(project, query)} == swiss
    regions = """SELECT ?region (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a s3:Project ; s3:country ?c
        OPTIONAL { ?p s3:region ?r } BIND(COALESCE(STR(?r), "none") AS ?region) } GROUP BY ?region"""
    by_region = {r["region"].rsplit("/", 1)[-1]: int(r["n"]) for r in select(project, regions)}
    assert set(by_region) == {"DEG", "none"} and by_region["none"] == 1, "the Land's region, but not for the Swiss one"


def test_a_windows_1250_list_is_read_as_such_and_every_title_is_the_files_own(poland: Any) -> None:
    project, loaded = poland
    rows = cells(POLAND, "cp1250", ";")
    said = " ".join((loaded.stdout + loaded.stderr).split())
    assert f"({len(rows)} rows read, {len(rows)} loaded, 0 merged, 0 rejected)" in said
    assert "read as semicolon-separated, quoted fields, CP1250" in said
    query = """SELECT ?title ?total ?eu ?currency ?beneficiary ?period ?fund WHERE {
        ?p dcterms:title ?title ; s3:programmingPeriod ?period ; s3:fund/skos:notation ?fund ;
           s3:totalBudget [ schema:value ?total ; s3:currency ?currency ] ; s3:euContribution/schema:value ?eu ;
           s3:hasParticipation/s3:participant/rdfs:label ?beneficiary
        FILTER(LANG(?title) = "pl") FILTER NOT EXISTS { ?p s3:programme ?programme } }"""
    graph = select(project, query)
    assert sorted(r["title"] for r in graph) == sorted(r["Tytuł projektu"].strip() for r in rows)
    assert {r["beneficiary"] for r in graph} == {r["Nazwa beneficjenta"].strip() for r in rows}
    kept = {(r["currency"].rsplit("/", 1)[-1], r["period"].rsplit("/", 1)[-1], r["fund"]) for r in graph}
    assert kept == {("PLN", "2014-2020", "CF")}, "no programme: the list mixes two (its table says why)"
    assert sum(Decimal(r["eu"]) for r in graph) == sum(Decimal(r["Dofinansowanie z EU"]) for r in rows)
    assert f"{len(rows)} operations name no programme" in said


def test_a_list_of_another_fund_with_the_same_columns_is_refused_not_given_this_ones_constants(tmp_path: Path) -> None:
    """The Polish lists of each fund and period share one header; the table's fund and period are
    the Cohesion Fund file's, so the ERDF file is refused until it has its own table."""
    project = new_project(tmp_path)
    shutil.copy(POLAND, project / "exports" / "Poland_ERDF_2014_2020.csv")
    before = (project / "data" / "sources.yaml").read_text(encoding="utf-8")
    loaded = s3kg(project, "load", "national-operations", "exports/Poland_ERDF_2014_2020.csv")
    assert loaded.returncode != 0
    said = " ".join(loaded.stderr.split())
    assert "'mapadotacji-pl-cf-2014-2020' (files Poland_CF_2014_2020*)" in said and "add a table for this file" in said
    assert (project / "data" / "sources.yaml").read_text(encoding="utf-8") == before


def test_a_list_of_an_unknown_publisher_is_refused_with_its_columns_and_the_nearest_table(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    with THUERINGEN.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()[:3]
    lines[0] = lines[0].replace("Bezeichnung des Vorhabens", "Vorhaben")
    (project / "exports" / "liste.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = s3kg(project, "load", "national-operations", "exports/liste.csv")
    said = " ".join(loaded.stderr.split())
    assert loaded.returncode != 0
    assert (
        "the nearest table, 'thueringen-esf-2014-2020' (50% of its columns are in the file), lacks Bezeichnung des Vorhabens"
        in said
    )
    assert "The file's columns: Name des Begünstigten, Vorhaben," in said


def test_a_dot_that_does_not_group_thousands_is_refused_not_read_as_one(tmp_path: Path) -> None:
    """With the table's thousands separator "." an amount like "288.11" is ambiguous (288.11 or
    288,110?): the row is rejected with that reason, never loaded as 28811."""
    project = new_project(tmp_path)
    lines = THUERINGEN.read_text(encoding="utf-8").splitlines()
    assert '"13.074,00"' in lines[1]
    lines[1] = lines[1].replace('"13.074,00"', '"288.11"')
    (project / "exports" / THUERINGEN.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = s3kg(project, "load", "national-operations", f"exports/{THUERINGEN.name}")
    assert loaded.returncode == 0, loaded.stderr
    with (project / "var" / "reports" / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = {(r["row"], r["column"], r["value"], r["reason"][:40]) for r in csv.DictReader(handle)}
    assert ("2", "total", "288.11", "not an amount: '.' here must group thous") in rejects
    query = """SELECT (COUNT(*) AS ?n) WHERE { ?p s3:totalBudget/schema:value 28811 }"""
    assert select(project, query)[0]["n"] == "0"


def test_a_row_with_more_cells_than_the_header_is_rejected_not_cut_short(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    lines = THUERINGEN.read_text(encoding="utf-8").splitlines()
    lines[1] += ",an eleventh cell"
    (project / "exports" / THUERINGEN.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = s3kg(project, "load", "national-operations", f"exports/{THUERINGEN.name}")
    assert loaded.returncode == 0, loaded.stderr
    with (project / "var" / "reports" / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = {(r["row"], r["reason"]) for r in csv.DictReader(handle)}
    assert ("2", "the row has 11 cells, the header 10") in rejects


@pytest.mark.parametrize(
    ("row", "constant", "expected"),
    [
        ({"region": "DEG"}, "", "DEG"),  # the row's code
        ({"region": "Thüringen"}, "", "DEG0"),  # the row's name: its deepest code (DEG and DEG0 are one territory)
        ({}, "DEG", "DEG"),  # the table's region
        ({"region": "DEG02"}, "DEG", "DEG02"),  # the row's, more precise than the table's
    ],
)
def test_an_operation_is_placed_in_the_region_its_row_or_its_table_names(
    row: dict[str, str], constant: str, expected: str
) -> None:
    assert _mapper(constant).region(row, "DEU") == expected


def test_the_tables_region_is_not_given_to_an_operation_in_another_country() -> None:
    assert _mapper("DEG").region({}, "CHE") is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [("BE2", "not a region of the operation's country (DEU)"), ("Atlantis", "not a NUTS code or region name")],
)
def test_a_region_the_row_names_outside_its_country_or_nowhere_is_rejected(value: str, reason: str) -> None:
    with pytest.raises(RowRejected) as refused:
        _mapper("").region({"region": value}, "DEU")
    assert refused.value.column == "region" and refused.value.value == value and reason in refused.value.reason


def _mapper(region: str) -> Any:
    countries, problems = load_country_table(
        PROJECT / "data" / "reference" / "eu-authority-country-skos.rdf", "countries", URIRef("x:")
    )
    assert problems == []
    context = _Context("test", IriMinter("http://example.org/id/"), countries, {}, frozenset(), URIRef("x:source"))
    return _Mapper({"constants": {"region": region} if region else {}}, context)
