"""A build's search index patched from the build before's (`write_search_index(..., Patch)`): for
each edit, the patched index holds what one written whole from the same store holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest
from index_rows import index_rows

from loaders.publish.search_index import Patch, SearchIndex, write_search_index

S3, ID = "https://w3id.org/s3kg/ontology#", "https://w3id.org/s3kg/id/"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL, DESCRIPTION = "<http://www.w3.org/2000/01/rdf-schema#label>", "<http://purl.org/dc/terms/description>"
BEFORE = f"""
@prefix s3: <{S3}> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
<{ID}strategy/fl> a s3:Strategy ; rdfs:label "Flanders S3"@en .
<{ID}domain/textiles> a s3:S3Domain ; skos:prefLabel "Textiles"@en, "Textiel"@nl ; s3:strategy <{ID}strategy/fl> .
<{ID}domain/food> a s3:S3Domain ; skos:prefLabel "Food"@en ; s3:strategy <{ID}strategy/fl> ;
    dcterms:description "Agri-food chains" .
<{ID}project/p1> a s3:Project ; rdfs:label "Smart looms"@en ; dcterms:description "Weaving with sensors" .
"""

# name: (triples removed, triples added), as N-Triples lines
EDITS = {
    "a parent renamed: its children are shown within the new name": (
        f'<{ID}strategy/fl> {LABEL} "Flanders S3"@en .',
        f'<{ID}strategy/fl> {LABEL} "Vlaanderen S3"@en .',
    ),
    "an entity added": (
        "",
        f'<{ID}project/p2> {TYPE} <{S3}Project> .\n<{ID}project/p2> {LABEL} "Dye works"@en .',
    ),
    "an entity removed": (
        f'<{ID}project/p1> {TYPE} <{S3}Project> .\n<{ID}project/p1> {LABEL} "Smart looms"@en .\n'
        f'<{ID}project/p1> {DESCRIPTION} "Weaving with sensors" .',
        "",
    ),
    "a description changed": (
        f'<{ID}domain/food> {DESCRIPTION} "Agri-food chains" .',
        f'<{ID}domain/food> {DESCRIPTION} "Fermentation and proteins" .',
    ),
    "a more specific class added": ("", f"<{ID}project/p1> {TYPE} <{S3}Portfolio> ."),
}


def _store(turtle: str) -> ox.Store:
    store = ox.Store()
    store.load(turtle.encode(), ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())
    return store


def _triples(lines: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(lines.encode(), ox.RdfFormat.N_TRIPLES)] if lines else []


def _default(triple: ox.Triple) -> ox.Quad:
    return ox.Quad(triple.subject, triple.predicate, triple.object, ox.DefaultGraph())


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_patched_index_is_the_index_written_whole(tmp_path: Path, edit: str) -> None:
    store = _store(BEFORE)
    write_search_index(store, tmp_path / "before.sqlite")
    removed, added = (_triples(lines) for lines in EDITS[edit])
    for triple in removed:
        store.remove(_default(triple))
    store.extend(_default(triple) for triple in added)
    touched = frozenset(t.subject.value for t in [*removed, *added] if isinstance(t.subject, ox.NamedNode))
    write_search_index(store, tmp_path / "patched.sqlite", Patch(tmp_path / "before.sqlite", touched))
    write_search_index(store, tmp_path / "whole.sqlite")
    assert index_rows(tmp_path / "patched.sqlite") == index_rows(tmp_path / "whole.sqlite")
    assert index_rows(tmp_path / "patched.sqlite") != index_rows(tmp_path / "before.sqlite"), "the edit shows in the index"


def test_a_patched_index_finds_the_new_words_and_not_the_old(tmp_path: Path) -> None:
    store = _store(BEFORE)
    write_search_index(store, tmp_path / "before.sqlite")
    removed, added = (_triples(lines) for lines in EDITS["a description changed"])
    store.remove(_default(removed[0]))
    store.add(_default(added[0]))
    write_search_index(store, tmp_path / "patched.sqlite", Patch(tmp_path / "before.sqlite", frozenset({f"{ID}domain/food"})))
    with SearchIndex(tmp_path / "patched.sqlite") as index:
        assert [hit.iri for hit in index.search("fermentation", ["en"]).hits] == [f"{ID}domain/food"]
        assert index.search("chains", ["en"]).total == 0


def test_an_index_made_by_other_code_is_written_whole_not_patched(tmp_path: Path) -> None:
    store = _store(BEFORE)
    write_search_index(store, tmp_path / "before.sqlite")
    with sqlite3.connect(tmp_path / "before.sqlite") as db:  # as other code would have left it: a row less
        db.execute("DELETE FROM entities WHERE iri = ?", (f"{ID}project/p1",))
        db.execute("PRAGMA user_version = 1")
    write_search_index(store, tmp_path / "patched.sqlite", Patch(tmp_path / "before.sqlite", frozenset()))
    write_search_index(store, tmp_path / "whole.sqlite")
    assert index_rows(tmp_path / "patched.sqlite") == index_rows(tmp_path / "whole.sqlite")
