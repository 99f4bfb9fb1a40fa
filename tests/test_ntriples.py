"""The N-Triples sink the export loaders write through: exact literals, rows all or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDFS, XSD, Literal, URIRef

from loaders.core.terms import Lit, TripleSink, boolean, day, decimal, integer, is_safe_iri, plain, text

THING = URIRef("http://example.org/thing")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (text('say "hi"\\\nand\r\tgo', "en"), Literal('say "hi"\\\nand\r\tgo', lang="en")),
        (text("Αριστοτέλειο", "und-latn"), Literal("Αριστοτέλειο", lang="und-latn")),
        (plain("ID-7"), Literal("ID-7")),
        (day(date(2016, 11, 1)), Literal("2016-11-01", datatype=XSD.date)),
        (decimal(Decimal("2500000.00")), Literal("2500000", datatype=XSD.decimal)),
        (integer(12), Literal("12", datatype=XSD.integer)),
        (boolean(False), Literal("false", datatype=XSD.boolean)),
    ],
)
def test_literals_read_back_as_the_same_value(tmp_path: Path, written: Lit, expected: Literal) -> None:
    with TripleSink(tmp_path / "out.nt") as sink:
        with sink.row() as row:
            row.add(THING, RDFS.label, written)
        graph = sink.graph()
    assert list(graph.objects(THING, RDFS.label)) == [expected]


def test_a_row_that_raises_leaves_nothing_behind(tmp_path: Path) -> None:
    other = URIRef("http://example.org/other")
    with TripleSink(tmp_path / "out.nt") as sink:
        with pytest.raises(ValueError), sink.row() as row:
            assert row.first(other)
            row.add(other, RDFS.label, plain("half"))
            raise ValueError("rejected")
        with sink.row() as row:
            assert row.first(other), "a rejected row did not describe the entity"
            row.add(other, RDFS.label, plain("whole"))
            assert not row.first(other)
        with sink.row() as row:
            assert not row.first(other), "described once per file"
        assert sink.lines == 1
        assert [str(o) for o in sink.graph().objects(other, RDFS.label)] == ["whole"]


def test_a_malformed_language_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="language tag"):
        text("x", "en gb")


@pytest.mark.parametrize(
    ("iri", "safe"),
    [("https://example.org/a-b?c=1", True), ("https://example.org/a b", False), ("https://x.org/{id}", False), ("x", False)],
)
def test_only_iris_n_triples_can_carry_are_safe(iri: str, safe: bool) -> None:
    assert is_safe_iri(iri) is safe
