"""Golden tests: each loader's output for a small input, compared by graph isomorphism.

Cases are folders under tests/golden/: `input.*` and `expected.ttl`. After a deliberate
change of mapping, regenerate with `S3KG_UPDATE_GOLDEN=1 pytest tests/test_golden.py`
and review the diff of expected.ttl like any other code change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from openpyxl import load_workbook
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, to_isomorphic

from loaders.core.iris import IriMinter
from loaders.core.paths import DATA_DIR
from loaders.core.terms import TripleSink, canonical_decimal
from loaders.core.vocab import PREFIXES
from loaders.map.curated.load import load_curated
from loaders.map.curated.registry import Context
from loaders.map.exports import cordis
from loaders.map.exports.keep_eu import load_keep_eu
from loaders.map.exports.kohesio import load_kohesio_projects
from loaders.map.exports.kohesio_beneficiaries import load_beneficiaries
from loaders.map.exports.load import programme_names
from loaders.map.reference.cci import load_cci_table
from loaders.map.reference.countries import load_country_table
from loaders.map.reference.programmes import load_programme_table
from loaders.map.tabular import ProgrammeNames

GOLDEN = Path(__file__).parent / "golden"
MINTER = IriMinter("http://example.org/id/")
SOURCE = URIRef("http://example.org/id/source/reference")
CURATED_CASES = sorted(p for p in (GOLDEN / "curated").iterdir() if p.is_dir())


def _compare(actual: Graph, case: Path) -> None:
    expected_file = case / "expected.ttl"
    if os.environ.get("S3KG_UPDATE_GOLDEN") == "1":  # pyoxigraph keeps lexical forms as they are
        parsed = ox.parse(actual.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        triples = sorted(parsed, key=str)  # grouped by subject, so the file reads entity by entity
        ox.serialize(triples, str(expected_file), ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    expected = Graph().parse(expected_file, format="turtle")
    if to_isomorphic(actual) != to_isomorphic(expected):
        _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
        pytest.fail(
            f"{case.name}: output differs from expected.ttl\n"
            f"only in output:\n{only_actual.serialize(format='nt')}\nonly expected:\n{only_expected.serialize(format='nt')}"
        )


@pytest.mark.parametrize("case", CURATED_CASES, ids=[c.name for c in CURATED_CASES])
def test_curated_loader_output_matches_golden(case: Path) -> None:
    ctx = Context(MINTER, case, frozenset({"FRA", "ITA", "POL"}), frozenset({"2014TC16RFTN001"}))
    curated = load_curated([case / "input.yaml"], ctx)
    assert curated.problems == []
    _compare(curated.graphs[case / "input.yaml"], case)


def test_country_table_loader_output_matches_golden() -> None:
    table, problems = load_country_table(GOLDEN / "country" / "input.rdf", "input.rdf", SOURCE)
    assert problems == []
    assert table.codes == {"BEL", "GRC"}
    assert (table.from_alpha2("BE"), table.from_alpha2("EL"), table.from_alpha2("GR"), table.from_alpha2("UK")) == (
        "BEL",
        "GRC",
        "GRC",
        "GBR",
    )
    _compare(table.graph, GOLDEN / "country")


def test_cci_table_loader_output_matches_golden() -> None:
    countries, _ = load_country_table(GOLDEN / "country" / "input.rdf", "input.rdf", SOURCE)
    table, problems = load_cci_table(GOLDEN / "cci" / "input.csv", "input.csv", MINTER, countries, SOURCE)
    assert problems == []
    assert table.codes == {"2014BE16RFOP002", "2014TC16RFCB044", "2014TC16RFTN001", "2014GR16RFOP001"}
    _compare(table.graph, GOLDEN / "cci")


@pytest.mark.parametrize(
    ("written", "canonical"),
    [("2500000", "2500000"), ("2500000.00", "2500000"), ("0.50", "0.5"), ("1900000.5", "1900000.5"), ("0", "0"), ("0.0", "0")],
)
def test_amounts_are_written_in_canonical_decimal_form(written: str, canonical: str) -> None:
    assert canonical_decimal(Decimal(written)) == canonical


CORDIS = GOLDEN / "cordis-projects" / "project.csv", GOLDEN / "cordis-organisations" / "organization.csv"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[TripleSink]:
    """Where a loader under test writes its triples."""
    with TripleSink(tmp_path / "out.nt") as sink:
        yield sink


def test_cordis_projects_load_as_golden_and_bad_rows_are_rejected_with_reasons(sink: TripleSink) -> None:
    load, problems = cordis.load_projects(CORDIS[0], "project.csv", MINTER, sink)
    assert problems == []
    assert (load.summary.read, load.summary.loaded, load.summary.merged, load.summary.rejected) == (6, 2, 0, 4)
    rejects = [(r.row, r.column) for r in load.summary.rejects]
    assert rejects == [(4, "startDate"), (5, "totalCost"), (6, "id"), (8, "ecMaxContribution")]
    _compare(sink.graph(), GOLDEN / "cordis-projects")


def test_cordis_organisations_merge_repeats_map_eu_country_codes_and_reject_bad_rows(sink: TripleSink, tmp_path: Path) -> None:
    countries, _ = load_country_table(DATA_DIR / "reference" / "eu-authority-country-skos.rdf", "countries", SOURCE)
    with TripleSink(tmp_path / "projects.nt") as project_sink:
        projects, _ = cordis.load_projects(CORDIS[0], "project.csv", MINTER, project_sink)
    load, problems = cordis.load_organisations(CORDIS[1], "organization.csv", MINTER, countries, projects.projects, sink)
    assert problems == []
    assert (load.summary.read, load.summary.loaded, load.summary.merged, load.summary.rejected) == (7, 3, 1, 3)
    assert [(r.row, r.column) for r in load.summary.rejects] == [(5, "country"), (6, "projectID"), (8, "organisationID")]
    _compare(sink.graph(), GOLDEN / "cordis-organisations")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b'"projectID";"name"\n"1";"x"\n', "lacks the columns id, acronym, title"),
        ("\ufeff".encode() + b"\xff\xfe\x00", "is not UTF-8"),
    ],
)
def test_a_cordis_file_of_the_wrong_kind_is_refused_whole(tmp_path: Path, sink: TripleSink, content: bytes, message: str) -> None:
    path = tmp_path / "project.csv"
    path.write_bytes(content)
    _, problems = cordis.load_projects(path, "project.csv", MINTER, sink)
    assert len(problems) == 1 and message in problems[0].message and problems[0].fix
    assert sink.lines == 0


def _keep_inputs() -> tuple[ProgrammeNames, Any]:
    """The programme names of both programme tables (2014-2020 CCI codes, 2021-2027 programmes), as a build knows them."""
    countries, _ = load_country_table(DATA_DIR / "reference" / "eu-authority-country-skos.rdf", "countries", SOURCE)
    cci, _ = load_cci_table(DATA_DIR / "reference" / "cci_codes_2014-2020.csv", "cci.csv", MINTER, countries, SOURCE)
    table = DATA_DIR / "reference" / "programmes-2021-2027.csv"
    programmes, problems = load_programme_table(table, "programmes.csv", MINTER, SOURCE, None)
    assert problems == []
    return programme_names([cci.graph, programmes.graph]), countries


def test_keep_eu_workbook_loads_as_golden_with_programmes_matched_by_name(sink: TripleSink) -> None:
    names, countries = _keep_inputs()
    load, problems = load_keep_eu(GOLDEN / "keep-eu" / "keep-eu.xlsx", "keep-eu.xlsx", MINTER, names, countries, sink)
    assert problems == []
    accounts = [(s.read, s.loaded, s.merged, s.rejected) for s in load.summaries]
    assert accounts == [(8, 5, 0, 3), (6, 3, 0, 3)]
    _compare(sink.graph(), GOLDEN / "keep-eu")


@pytest.mark.parametrize("damage", ["truncated", "no partners sheet"])
def test_a_damaged_workbook_is_refused_whole(tmp_path: Path, sink: TripleSink, damage: str) -> None:
    names, countries = _keep_inputs()
    path = tmp_path / "keep.xlsx"
    original = (GOLDEN / "keep-eu" / "keep-eu.xlsx").read_bytes()
    if damage == "truncated":
        path.write_bytes(original[: len(original) // 2])
    else:
        book = load_workbook(GOLDEN / "keep-eu" / "keep-eu.xlsx")
        del book["Search results, partners"]
        book.save(path)
    _, problems = load_keep_eu(path, "keep.xlsx", MINTER, names, countries, sink)
    assert len(problems) == 1 and "cannot be read as a keep.eu workbook" in problems[0].message
    assert sink.lines == 0


def test_kohesio_projects_load_as_golden_and_the_eu_rules_reject_rows(sink: TripleSink) -> None:
    names, countries = _keep_inputs()
    cci = frozenset(str(iri).rsplit("/", 1)[-1] for iri, _ in names.values())
    load, problems = load_kohesio_projects(
        GOLDEN / "kohesio" / "BE-pp14-20-test.csv", "kohesio.csv", MINTER, countries, cci, sink
    )
    assert problems == []
    assert (load.summary.read, load.summary.loaded, load.summary.rejected) == (8, 2, 6)
    reasons = [r.reason.split(" (")[0].split(":")[0] for r in load.summary.rejects]
    assert reasons == [
        "not a date",
        "ends before it starts",
        "no location",
        "not EUR, and the export has no exchange rate.",
        "duplicate operation; the first row was loaded.",
        "the EU contribution is more than the total budget",
    ]
    _compare(sink.graph(), GOLDEN / "kohesio")


def test_a_csv_that_is_not_a_kohesio_export_is_refused(sink: TripleSink) -> None:
    _, countries = _keep_inputs()
    _, problems = load_kohesio_projects(GOLDEN / "cci" / "input.csv", "cci.csv", MINTER, countries, frozenset(), sink)
    assert len(problems) == 1 and "lacks the columns Operation_Unique_Identifier" in problems[0].message and problems[0].line == 1


def test_kohesio_beneficiaries_read_scientific_notation_and_names_in_any_script(sink: TripleSink) -> None:
    _, countries = _keep_inputs()
    path = GOLDEN / "kohesio-beneficiaries" / "beneficiaries.tsv"
    load, problems = load_beneficiaries(path, "beneficiaries.tsv", MINTER, countries, sink)
    assert problems == []
    assert (load.summary.read, load.summary.loaded, load.summary.rejected) == (4, 2, 2)
    assert [(r.row, r.column) for r in load.summary.rejects] == [(4, "Country"), (5, "Total Budget")]
    _compare(sink.graph(), GOLDEN / "kohesio-beneficiaries")
