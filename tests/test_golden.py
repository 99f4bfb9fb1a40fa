"""Golden tests: each loader's output for a small input, compared by graph isomorphism.

Cases are folders under tests/golden/: `input.*` and `expected.ttl`. After a deliberate
change of mapping, regenerate with `S3KG_UPDATE_GOLDEN=1 pytest tests/test_golden.py`
and review the diff of expected.ttl like any other code change.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, to_isomorphic

from loaders.cci_table import load_cci_table
from loaders.country_table import load_country_table
from loaders.curated.load import load_curated
from loaders.curated.mapper import canonical_decimal
from loaders.curated.registry import Context
from loaders.iris import IriMinter
from loaders.vocab import PREFIXES

GOLDEN = Path(__file__).parent / "golden"
MINTER = IriMinter("http://example.org/id/")
SOURCE = URIRef("http://example.org/id/source/reference")
CURATED_CASES = sorted(p for p in (GOLDEN / "curated").iterdir() if p.is_dir())


def _compare(actual: Graph, case: Path) -> None:
    expected_file = case / "expected.ttl"
    if os.environ.get("S3KG_UPDATE_GOLDEN") == "1":  # pyoxigraph keeps lexical forms as they are
        triples = ox.parse(actual.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
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
    graphs, _, problems = load_curated([case / "input.yaml"], ctx)
    assert problems == []
    _compare(graphs[case / "input.yaml"], case)


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
