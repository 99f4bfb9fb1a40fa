"""Real exports in the build: bad rows are reported and skipped, or fail the build with --strict."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PROJECT
from seed_data import copy_seed_data

from loaders.build import BuildConfig, build
from loaders.core.errors import BuildError
from loaders.core.progress import Advance
from loaders.core.vocab import PREFIXES
from loaders.map.exports import load as exports
from loaders.map.tabular import CsvRows, RowRejected, Summary, parse_amount, read_rows
from loaders.publish.store import PublishedStore

GOLDEN = Path(__file__).parent / "golden"
KOHESIO_REJECTS = [
    (5, "Operation_Start_Date"),
    (6, "Operation_End_Date"),
    (7, "NUTS2_Code"),
    (8, "Total_Eligible_Expenditure_Currency"),
    (9, "Operation_Unique_Identifier"),
    (10, "Project_EU_Budget"),
]


def _data_with_cordis(root: Path) -> Path:
    data = root / "data"
    copy_seed_data(data)
    (data / "exports").mkdir()
    shutil.copy(GOLDEN / "cordis-projects" / "project.csv", data / "exports" / "project.csv")
    shutil.copy(GOLDEN / "cordis-organisations" / "organization.csv", data / "exports" / "organization.csv")
    shutil.copy(GOLDEN / "keep-eu" / "keep-eu.xlsx", data / "exports" / "keep-eu.xlsx")
    shutil.copy(GOLDEN / "kohesio" / "BE-pp14-20-test.csv", data / "exports" / "BE-pp14-20-test.csv")
    shutil.copy(GOLDEN / "kohesio-beneficiaries" / "beneficiaries.tsv", data / "exports" / "beneficiaries.tsv")
    with (data / "sources.yaml").open("a", encoding="utf-8") as sources:
        sources.write("  - {kind: keep-eu, path: exports/keep-eu.xlsx}\n")
        sources.write("  - {kind: kohesio-projects, path: exports/BE-pp14-20-test.csv}\n")
        sources.write("  - {kind: kohesio-beneficiaries, path: exports/beneficiaries.tsv}\n")
        sources.write("  - {kind: cordis-projects, path: exports/project.csv}\n")
        sources.write("  - {kind: cordis-organisations, path: exports/organization.csv}\n")
    return data


def _config(data: Path, root: Path, strict: bool = False) -> BuildConfig:
    """The golden exports are mostly bad rows by design: no share of rejects fails these builds."""
    return BuildConfig(
        data_dir=data,
        sources_file=data / "sources.yaml",
        store_dir=root / "store",
        report_dir=root / "reports",
        strict=strict,
        max_reject_share=1.0,
    )


def test_good_rows_publish_and_every_bad_row_is_in_the_rejects_file(tmp_path: Path) -> None:
    data = _data_with_cordis(tmp_path)
    info, outcome = build(_config(data, tmp_path))
    assert outcome is not None
    accounts = {s.file: (s.read, s.loaded, s.merged, s.rejected) for s in outcome.summaries}
    assert accounts == {
        "data/exports/project.csv": (6, 2, 0, 4),
        "data/exports/organization.csv": (7, 3, 1, 3),
        "data/exports/keep-eu.xlsx [Search results, projects]": (8, 5, 0, 3),
        "data/exports/keep-eu.xlsx [Search results, partners]": (6, 3, 0, 3),
        "data/exports/BE-pp14-20-test.csv": (8, 2, 0, 6),
        "data/exports/beneficiaries.tsv": (4, 2, 0, 2),
    }
    with (tmp_path / "reports" / "rejects.csv").open(encoding="utf-8") as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["file"], r["row"], r["column"]) for r in rejects] == [
        ("data/exports/keep-eu.xlsx [Search results, projects]", "6", "Project start"),
        ("data/exports/keep-eu.xlsx [Search results, projects]", "7", "Project acronym"),
        ("data/exports/keep-eu.xlsx [Search results, projects]", "8", "Project's EU funding"),
        ("data/exports/keep-eu.xlsx [Search results, partners]", "5", "Project acronym"),
        ("data/exports/keep-eu.xlsx [Search results, partners]", "6", "Country code"),
        ("data/exports/keep-eu.xlsx [Search results, partners]", "7", "Participant Identification Code"),
        *[("data/exports/BE-pp14-20-test.csv", str(line), column) for line, column in KOHESIO_REJECTS],
        ("data/exports/beneficiaries.tsv", "4", "Country"),
        ("data/exports/beneficiaries.tsv", "5", "Total Budget"),
        ("data/exports/project.csv", "4", "startDate"),
        ("data/exports/project.csv", "5", "totalCost"),
        ("data/exports/project.csv", "6", "id"),
        ("data/exports/project.csv", "8", "ecMaxContribution"),
        ("data/exports/organization.csv", "5", "country"),
        ("data/exports/organization.csv", "6", "projectID"),
        ("data/exports/organization.csv", "8", "organisationID"),
    ]
    store = PublishedStore(tmp_path / "store").open()
    ask = "ASK { <https://w3id.org/s3kg/id/project/cordis-101000001> <https://w3id.org/s3kg/ontology#hasParticipation> ?p }"
    assert store.query(ask)
    assert any(g.endswith("/graph/cordis-projects-" + g.rsplit("-", 1)[-1]) for g in info.graphs)


def test_strict_build_fails_on_a_rejected_row_and_publishes_nothing(tmp_path: Path) -> None:
    good = _config(PROJECT / "data", tmp_path)
    before = build(good)[0]
    data = _data_with_cordis(tmp_path)
    with pytest.raises(BuildError) as failure:
        build(_config(data, tmp_path, strict=True))
    assert "--strict" in failure.value.summary
    assert any(p.file == "data/exports/project.csv" and p.line == 4 for p in failure.value.problems)
    assert PublishedStore(tmp_path / "store").current().build_id == before.build_id


def test_seed_projects_and_organisations_connect_to_their_rows_with_the_rule_that_linked_them(tmp_path: Path) -> None:
    data = _data_with_cordis(tmp_path)
    build(_config(data, tmp_path))
    store = PublishedStore(tmp_path / "store").open()
    query = """
        SELECT ?g ?rule ?a ?b WHERE {
            GRAPH ?g { ?a <http://www.w3.org/2002/07/owl#sameAs> ?b }
            GRAPH <https://w3id.org/s3kg/id/graph/provenance> { ?g prov:wasGeneratedBy/rdfs:comment ?rule }
        }"""
    links = {
        (
            frozenset((r["a"].value.rsplit("/", 1)[-1], r["b"].value.rsplit("/", 1)[-1])),
            r["g"].value.rsplit("/reconciliation-", 1)[-1],
        )
        for r in store.query(query, prefixes=PREFIXES)  # type: ignore[union-attr]
    }
    assert links == {
        (frozenset(("gosmart-bsr", "keep-interreg-v-b-baltic-sea-2014-2020-gosmart-bsr")), "programme-acronym"),
        (
            frozenset(("gotos3", "keep-interreg-v-a-belgium-france-france-wallonie-vlaanderen-2014-2020-gotos3")),
            "programme-acronym",
        ),
        (frozenset(("s3-4alpclusters", "keep-interreg-v-b-alpine-space-2014-2020-s3-4alpclusters")), "programme-acronym"),
        (frozenset(("cordis-999990001", "keep-pic-999990001")), "same-pic"),
        (frozenset(("femto-st", "keep-pic-999990010")), "name-country"),
        (frozenset(("bialystok-university-of-technology", "keep-pic-999990001")), "name-country"),
        (frozenset(("tillvaxtverket", "kohesio-tillvaxtverket-swe")), "name-country"),
    }


def test_unchanged_exports_are_not_mapped_again_and_a_changed_one_is(tmp_path: Path) -> None:
    data = _data_with_cordis(tmp_path)
    config = _config(data, tmp_path)
    first_steps: list[str | Advance] = []
    first = build(config, first_steps.append)[0]
    second_steps: list[str | Advance] = []
    second = build(config, second_steps.append, force=True)[0]
    assert sum("reusing its mapped graph" in str(step) for step in first_steps) == 0
    assert sum("reusing its mapped graph" in str(step) for step in second_steps) == 5, second_steps
    assert first.graphs == second.graphs, "the reused graphs are the same graphs"
    projects = data / "exports" / "project.csv"
    # a project id changes: the organisations file refers to project ids, so it is mapped again too
    projects.write_text(
        projects.read_text(encoding="utf-8").replace('"101000004";"HEU1"', '"101000005";"HEU1"'), encoding="utf-8"
    )
    third_steps: list[str | Advance] = []
    build(config, third_steps.append)
    assert "loading data/exports/project.csv" in third_steps
    assert "loading data/exports/organization.csv" in third_steps
    assert "data/exports/keep-eu.xlsx unchanged: reusing its mapped graph" in third_steps


def test_two_cordis_project_files_listed_apart_both_load_as_two_source_documents(tmp_path: Path) -> None:
    data = _data_with_cordis(tmp_path)
    horizon = (data / "exports" / "project.csv").read_text(encoding="utf-8").replace('"1010000', '"1020000')
    (data / "exports" / "horizon-project.csv").write_text(horizon, encoding="utf-8")
    with (data / "sources.yaml").open("a", encoding="utf-8") as sources:
        sources.write("  - {kind: cordis-projects, path: exports/horizon-project.csv}\n")
    info, _ = build(_config(data, tmp_path))
    assert sum("/graph/cordis-projects-" in graph for graph in info.graphs) == 2, list(info.graphs)
    store = PublishedStore(tmp_path / "store").open()
    query = "SELECT ?doc WHERE { ?doc a s3:SourceDocument ; s3:fileName ?name FILTER CONTAINS(?name, 'project.csv') }"
    documents = {row["doc"].value for row in store.query(query, prefixes=PREFIXES)}  # type: ignore[union-attr]
    assert len(documents) == 2


def test_exports_mapped_by_other_loader_code_are_mapped_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(_data_with_cordis(tmp_path), tmp_path)
    build(config)
    monkeypatch.setattr(exports, "code_version", lambda: "a changed loader")
    steps: list[str | Advance] = []
    build(config, steps.append, force=True)
    assert not any("reusing its mapped graph" in str(step) for step in steps), steps
    assert "loading data/exports/keep-eu.xlsx" in steps


def test_long_loads_report_how_far_into_the_file_they_are(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id;name\n" + "".join(f"{n};name {n}\n" for n in range(25)), encoding="utf-8")
    rows = read_rows(path, "big.csv", ["id", "name"], ";")
    assert isinstance(rows, CsvRows)
    summary = Summary("big.csv")
    heard: list[str | Advance] = []

    def handle(line: int, row: dict[str, str]) -> bool:
        if row["id"] == "13":
            raise RowRejected("id", "13", "unlucky")
        return False

    summary.account(rows, handle, heard.append, every=10)
    assert all(isinstance(step, Advance) for step in heard)
    advances = [step for step in heard if isinstance(step, Advance)]
    assert [(a.rows, a.rejected) for a in advances] == [(10, 0), (20, 1), (25, 1)]
    assert {(a.task, a.unit, a.total) for a in advances} == {("big.csv", "bytes", path.stat().st_size)}
    assert advances[-1].done == path.stat().st_size, "the last report says the whole file is read"
    assert 0 < advances[0].done <= advances[1].done <= advances[-1].done
    assert str(advances[1]) == "loading big.csv: 20 rows, 1 rejected"


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("475 000€", "475000"),  # as a spreadsheet formats euro amounts (national lists of operations)
        ("EUR 1 234,50", "1234.50"),
        ("4\u00a0750\u00a0000.5 €", "4750000.5"),  # no-break spaces between thousands
        ("960619,95", "960619.95"),
        ("1200", "1200"),
    ],
)
def test_an_amount_in_euro_as_spreadsheets_write_it_is_read(cell: str, amount: str) -> None:
    assert parse_amount("budget", cell) == Decimal(amount)


@pytest.mark.parametrize("cell", ["1,234.56", "1.234,56", "1 23", "12 000 USD", "€", "twelve"])
def test_an_amount_that_is_ambiguous_or_not_in_euro_is_rejected(cell: str) -> None:
    with pytest.raises(RowRejected):
        parse_amount("budget", cell)
