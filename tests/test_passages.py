"""Every curated statement with the passage that states it, in the published build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from loaders.core.provenance import sha256_of
from loaders.core.quotes import Document
from loaders.core.vocab import PREFIXES

PROJECT = Path(__file__).resolve().parent.parent
QUALITY = PROJECT / "tests" / "quality" / "published_every_curated_statement_has_a_passage.rq"
ID = "https://w3id.org/s3kg/id/"


def _rows(store: ox.Store, query: str) -> list[Any]:
    return list(store.query(query, prefixes=PREFIXES))  # type: ignore[arg-type]


def test_every_quote_stands_at_its_positions_in_the_file_the_build_checksummed(built: Any) -> None:
    rows = _rows(
        built.store,
        """SELECT ?file ?sha ?exact ?start ?end WHERE {
            ?passage oa:hasSource/s3:fileName ?file ; s3:sha256 ?sha ;
                     oa:hasSelector [ oa:exact ?exact ] , [ oa:start ?start ; oa:end ?end ] }""",
    )
    assert len(rows) > 100
    for row in rows:
        path = built.config.data_dir / row["file"].value
        assert sha256_of(path) == row["sha"].value
        text = Document.read(path).text
        assert text[int(row["start"].value) : int(row["end"].value)] == row["exact"].value


def test_each_language_of_a_value_cites_the_document_that_states_it(built: Any) -> None:
    """GoSmart BSR cites two seeds: its Polish aim is from the Polish one, its Swedish aim from the Swedish one."""
    rows = _rows(
        built.store,
        f"""SELECT ?lang ?doc ?evidence WHERE {{
            GRAPH ?g {{ <{ID}project/gosmart-bsr> s3:aim ?aim }}
            ?g s3:evidence ?evidence ; prov:wasDerivedFrom/oa:hasSource ?doc .
            BIND (LANG(?aim) AS ?lang) }}""",
    )
    found = {(r["lang"].value, r["doc"].value.rsplit("/", 1)[1], r["evidence"].value.rsplit("#", 1)[1]) for r in rows}
    assert found == {("pl", "seed-003", "Stated"), ("sv", "seed-001", "Stated")}


def test_an_editors_translation_and_inference_say_so_with_the_reason(built: Any) -> None:
    textiles = _rows(
        built.store,
        f"""SELECT ?lang ?evidence WHERE {{
            GRAPH ?g {{ <{ID}concept/gotos3-domains/textiles> skos:prefLabel ?label }}
            ?g s3:evidence ?evidence . BIND (LANG(?label) AS ?lang) }}""",
    )
    assert {(r["lang"].value, r["evidence"].value.rsplit("#", 1)[1]) for r in textiles} == {
        ("nl", "Stated"),
        ("en", "Translated"),
        ("fr", "Translated"),
    }
    period = _rows(
        built.store,
        f"""SELECT ?exact ?reason WHERE {{
            GRAPH ?g {{ <{ID}concept/programming-periods/2021-2027> skos:notation ?n }}
            ?g s3:evidence s3:Inferred ; skos:editorialNote ?reason ;
               prov:wasDerivedFrom/oa:hasSelector/oa:exact ?exact }}""",
    )
    assert [r["exact"].value for r in period] == ["Interreg VI"]
    assert "2021-2027" in period[0]["reason"].value


def test_statement_groups_are_named_graphs_outside_the_default_graph_that_holds_each_fact_once(built: Any) -> None:
    twice = _rows(built.store, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{ID}project/gotos3> s3:partnerCount ?c }}")
    assert int(twice[0]["n"].value) == 1
    groups = _rows(built.store, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { ?g a s3:StatementGroup GRAPH ?g { ?s ?p ?o } }")
    assert int(groups[0]["n"].value) > 150


def test_every_curated_statement_has_a_passage_and_every_citation_a_quote(built: Any) -> None:
    assert _rows(built.store, QUALITY.read_text(encoding="utf-8")) == []


def test_the_passage_check_can_fail(built: Any) -> None:
    """A copy of the build without two statement groups (a record's, a strategy's): the quality query
    names what they supported."""
    copy = ox.Store()
    record = f"{ID}graph/statements/project/gotos3/seed-000/1410-1564/stated"
    strategy = f"{ID}graph/statements/strategy/flanders-2014-2020/"
    copy.extend(
        q
        for q in built.store.quads_for_pattern(None, None, None)
        if not (
            isinstance(q.graph_name, ox.NamedNode) and (q.graph_name.value == record or q.graph_name.value.startswith(strategy))
        )
    )
    found = _rows(copy, QUALITY.read_text(encoding="utf-8"))
    names = {(r["p"].value.rsplit("#", 1)[-1], r["problem"].value) for r in found}
    assert ("activityType", "no passage states it") in names
    assert any(r["s"].value == f"{ID}strategy/flanders-2014-2020" for r in found)


def test_a_strategy_file_quotes_the_document_it_cites_with_the_editors_reason(built: Any) -> None:
    rows = _rows(
        built.store,
        f"""SELECT ?evidence ?reason (COUNT(*) AS ?n) WHERE {{
            ?g dcterms:subject <{ID}strategy/flanders-2014-2020> ; s3:evidence ?evidence ; skos:editorialNote ?reason ;
               prov:wasDerivedFrom/oa:hasSource <{ID}source/seed-000> .
            GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?evidence ?reason""",
    )
    assert len(rows) == 1 and rows[0]["evidence"].value.endswith("#Inferred")
    assert "common to the three regions" in rows[0]["reason"].value and int(rows[0]["n"].value) > 10
