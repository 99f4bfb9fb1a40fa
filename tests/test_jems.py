"""The Jems partner-list loader: golden output from JSON, the same graph from CSV (another
publisher's headers and country names) and XLSX, bad rows rejected with their reasons."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from openpyxl import Workbook
from rdflib import SKOS, Graph
from rdflib.compare import to_isomorphic
from seed_data import copy_seed_data
from test_golden import GOLDEN, MINTER, _compare, _keep_inputs
from test_real_exports import _without_file_identity

from loaders.build import BuildConfig, build
from loaders.core.terms import TripleSink
from loaders.core.vocab import S3
from loaders.map.exports import jems
from loaders.map.exports.jems import load_jems_partners
from loaders.map.tabular import Summary
from loaders.publish.store import PublishedStore

ROWS = json.loads((GOLDEN / "jems" / "partners.json").read_text(encoding="utf-8"))
POLISH = {
    "Programme": "Program", "Project name": "Nazwa projektu", "Project acronym": "Akronim", "Partner name": "Nazwa partnera",
    "Partner role": "Rola partnera", "Partner budget": "Budżet partnera", "Start date": "Data rozpoczęcia",
    "End date": "Data zakończenia", "NUTS region": "Region NUTS", "Policy objective": "Cel polityki",
    "Specific objective": "Cel szczegółowy", "Country": "Kraj",
}  # fmt: skip
POLISH_COUNTRIES = {"Belgium": "Belgia", "Denmark": "Dania", "Danmark": "Dania"}


def _load(path: Path, out: Path) -> tuple[Graph, Summary]:
    names, countries = _keep_inputs()
    with TripleSink(out) as sink:
        load, problems = load_jems_partners(path, "partners", MINTER, countries, names, sink)
        assert problems == [], problems
        return sink.graph(), load.summary


def test_jems_partner_list_loads_as_golden_with_bad_rows_rejected(tmp_path: Path) -> None:
    graph, summary = _load(GOLDEN / "jems" / "partners.json", tmp_path / "out.nt")
    assert (summary.read, summary.loaded, summary.rejected) == (10, 4, 6)
    reasons = {r.row: (r.column, r.reason.split(" (")[0].split(";")[0]) for r in summary.rejects}
    assert reasons == {
        4: ("budget", "an associated partner"),
        5: ("specific_objective", "not a 2021-2027 specific objective code"),
        6: ("end", "ends before it starts"),
        7: ("role", "this project already has a lead partner"),
        8: ("policy_objective", "RSO2.8 belongs to PO2."),
        9: ("region", "no NUTS 2021 or 2024 region in BE is named so."),
    }
    _compare(graph, GOLDEN / "jems")


def test_the_same_rows_as_csv_with_another_publishers_headers_and_as_xlsx_give_the_same_graph(tmp_path: Path) -> None:
    reference, _ = _load(GOLDEN / "jems" / "partners.json", tmp_path / "json.nt")
    polish = tmp_path / "partners.csv"
    with polish.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([POLISH[c] for c in ROWS[0]])
        for row in ROWS:
            writer.writerow([POLISH_COUNTRIES.get(v, v) if c == "Country" else v for c, v in row.items()])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(ROWS[0]))
    for row in ROWS:
        sheet.append(list(row.values()))
    workbook = tmp_path / "partners.xlsx"
    book.save(workbook)
    for path in (polish, workbook):
        graph, summary = _load(path, tmp_path / f"{path.suffix}.nt")
        assert (summary.read, summary.loaded, summary.rejected) == (10, 4, 6)
        assert to_isomorphic(_without_file_identity(graph)) == to_isomorphic(_without_file_identity(reference)), path.name


def test_a_jems_project_reconciles_with_its_keep_eu_row_by_programme_and_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    copy_seed_data(data)
    (data / "exports").mkdir()
    shutil.copy(GOLDEN / "keep-eu" / "keep-eu.xlsx", data / "exports" / "keep-eu.xlsx")
    row = dict(ROWS[0]) | {"Programme": "Interreg Europe 2021-2027", "Project name": "A new one", "Project acronym": ""}
    older = dict(ROWS[0]) | {"Programme": "Interreg V-B - Alpine Space", "Project name": "Alpine clusters", "Project acronym": ""}
    (data / "exports" / "partners.json").write_text(json.dumps([row, older]), encoding="utf-8")
    with (data / "sources.yaml").open("a", encoding="utf-8") as sources:
        sources.write("  - {kind: keep-eu, path: exports/keep-eu.xlsx}\n  - {kind: jems-partners, path: exports/partners.json}\n")
    config = BuildConfig(
        data_dir=data,
        sources_file=data / "sources.yaml",
        store_dir=tmp_path / "store",
        report_dir=tmp_path / "r",
        max_reject_share=1,
    )  # the golden keep.eu workbook is half bad rows by design
    build(config)
    store = PublishedStore(config.store_dir).open()
    query = "SELECT ?a ?b WHERE { GRAPH <https://w3id.org/s3kg/id/graph/reconciliation-programme-name> { ?a owl:sameAs ?b } }"
    solutions = store.query(query, prefixes={"owl": "http://www.w3.org/2002/07/owl#"})
    assert isinstance(solutions, ox.QuerySolutions)
    links = {(row["a"].value, row["b"].value) for row in solutions}
    assert any("jems-" in a + b and "keep-" in a + b for a, b in links), links
    assert not any("alpine-clusters" in a + b for a, b in links), "a 2021-2027 row never meets a 2014-2020 project by name"
    query = """SELECT ?period WHERE { ?p s3:programme/s3:programmingPeriod ?period
        FILTER(CONTAINS(STR(?p), 'jems-') && CONTAINS(STR(?p), 'alpine')) }"""
    periods = store.query(query, prefixes={"s3": str(S3)})
    assert isinstance(periods, ox.QuerySolutions)
    assert [str(r["period"].value).rsplit("/", 1)[-1] for r in periods] == ["2021-2027"], (
        "not the 2014-2020 programme of that name"
    )


def test_a_publishers_table_maps_its_own_spellings_of_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A publisher writes codes its own way (`SO 1.1`, `Lead`): its table maps values as well as columns."""
    tables = yaml.safe_load(jems.PUBLISHERS_FILE.read_text(encoding="utf-8"))
    tables["test-publisher"] = {
        "description": "a publisher that spells codes its own way",
        "columns": {**tables["jems-english"]["columns"], "role": "Role"},
        "roles": {"Lead": "LP", "Partner": "PP"},
        "values": {"specific_objective": {"SO 1.1": "RSO1.1", "so1.2": "RSO1.2"}, "policy_objective": {"Smarter Europe": "PO1"}},
    }
    publishers = tmp_path / "publishers.yaml"
    publishers.write_text(yaml.safe_dump(tables, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(jems, "PUBLISHERS_FILE", publishers)
    good = [row for row in ROWS if row["Specific objective"] in ("RSO1.1", "RSO1.2") and row["Partner role"] in ("LP", "PP")][:2]
    assert len(good) == 2
    spelled = {"RSO1.1": "SO 1.1", "RSO1.2": "so1.2", "LP": "Lead", "PP": "Partner", "PO1": "Smarter Europe"}
    rows = [{("Role" if k == "Partner role" else k): spelled.get(v, v) for k, v in row.items()} for row in good]
    path = tmp_path / "partners.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    graph, summary = _load(path, tmp_path / "out.nt")
    assert (summary.read, summary.loaded, summary.rejected) == (2, 2, 0), summary.rejects
    notations = {str(n) for o in graph.objects(None, S3.specificObjective) for n in graph.objects(o, SKOS.notation)}
    assert notations == {row["Specific objective"] for row in good}, "the publisher's spellings became the codes"


def test_an_unknown_layout_is_refused_with_its_columns_and_the_nearest_table(tmp_path: Path) -> None:
    path = tmp_path / "partners.json"
    finnish = {"Program": "Interreg Aurora", "Nazwa projektu": "X", "Hankkeen nimi": "X", "Kraj": "Suomi", "Budjetti": "1"}
    path.write_text(json.dumps([finnish]), encoding="utf-8")
    names, countries = _keep_inputs()
    with TripleSink(tmp_path / "out.nt") as sink:
        _, problems = load_jems_partners(path, "partners.json", MINTER, countries, names, sink)
    assert len(problems) == 1
    message = problems[0].message
    assert "The file's columns: Program, Nazwa projektu, Hankkeen nimi, Kraj, Budjetti." in message
    assert "the nearest table, 'jems-polish' (27% of its columns are in the file)" in message, message


def test_an_organisation_in_several_projects_keeps_each_participations_region(tmp_path: Path) -> None:
    first = next(row for row in ROWS if row["NUTS region"] and row["Partner role"] == "LP")
    second = dict(first) | {"Project name": first["Project name"] + " II", "NUTS region": "Vlaams-Brabant", "Country": "Belgium"}
    first = dict(first) | {"NUTS region": "West-Vlaanderen", "Country": "Belgium"}
    path = tmp_path / "partners.json"
    path.write_text(json.dumps([first, second]), encoding="utf-8")
    graph, summary = _load(path, tmp_path / "out.nt")
    assert (summary.read, summary.loaded) == (2, 2), summary.rejects
    participations = {str(r)[-4:] for p, r in graph.subject_objects(S3.region) if "/participation/" in str(p)}
    assert participations == {"BE24", "BE25"}, "each participation has its row's region"
    organisation = next(graph.objects(None, S3.participant))
    assert {str(r)[-4:] for r in graph.objects(organisation, S3.region)} == {"BE24", "BE25"}
