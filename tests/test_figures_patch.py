"""The fact sheets' figures patched from the build before's (`write_figures(..., FiguresPatch)`):
for each edit, the patched figures rank and count what figures written whole from the same store
do, and a patch ranks again only the owners the change reaches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from index_rows import figure_rows

from loaders.publish import figures as figures_module
from loaders.publish.figures import FiguresPatch, write_figures

S3, ID, NUTS = "https://w3id.org/s3kg/ontology#", "https://w3id.org/s3kg/id/", "http://data.europa.eu/nuts/code/"
TYPE, BROADER = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://www.w3.org/2004/02/skos/core#broader>"
VALUE = "<https://schema.org/value>"
BEFORE = f"""
@prefix s3: <{S3}> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix schema: <https://schema.org/> .
@prefix id: <{ID}> . @prefix nuts: <{NUTS}> .
nuts:BE2 skos:broader nuts:BE . nuts:BE25 skos:broader nuts:BE2 . nuts:BE3 skos:broader nuts:BE .
id:prog-a a s3:Programme . id:prog-b a s3:Programme .
id:p1 a s3:Project ; s3:programme id:prog-a ; s3:region nuts:BE25 ; s3:totalBudget id:p1-budget ; s3:euContribution id:p1-eu .
id:p1-budget schema:value 1000.50 . id:p1-eu schema:value 500.25 .
id:p2 a s3:Project ; s3:programme id:prog-a ; s3:totalBudget id:p2-budget ; s3:hasParticipation id:p2-x .
id:p2-budget schema:value 2000 .
id:p2-x s3:participant id:org1 .
id:org1 a s3:Organisation ; s3:region nuts:BE3 .
id:p3 a s3:Project ; s3:programme id:prog-b ; s3:region nuts:BE2 .
id:p4 a s3:Portfolio ; s3:region nuts:BE3 ; s3:totalBudget id:p4-budget . id:p4-budget schema:value 10 .
"""


EDITS = {  # name: (N-Triples removed, added)
    "a budget's value changed": (
        f'<{ID}p2-budget> {VALUE} "2000"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        f'<{ID}p2-budget> {VALUE} "5" .',
    ),
    "a project moved to another programme": (
        f"<{ID}p1> <{S3}programme> <{ID}prog-a> .",
        f"<{ID}p1> <{S3}programme> <{ID}prog-b> .",
    ),
    "a partner moved": (f"<{ID}org1> <{S3}region> <{NUTS}BE3> .", f"<{ID}org1> <{S3}region> <{NUTS}BE25> ."),
    "a participation's partner changed": (
        f"<{ID}p2-x> <{S3}participant> <{ID}org1> .",
        f"<{ID}p2-x> <{S3}participant> <{ID}org2> .\n<{ID}org2> {TYPE} <{S3}Organisation> .\n"
        f"<{ID}org2> <{S3}region> <{NUTS}BE2> .",
    ),
    "a project added": (
        "",
        f"<{ID}p5> {TYPE} <{S3}Project> .\n<{ID}p5> <{S3}programme> <{ID}prog-c> .\n<{ID}p5> <{S3}region> <{NUTS}BE3> .",
    ),
    "a project removed": (
        f"<{ID}p3> {TYPE} <{S3}Project> .\n<{ID}p3> <{S3}programme> <{ID}prog-b> .\n<{ID}p3> <{S3}region> <{NUTS}BE2> .",
        "",
    ),
    "a project's type changed": (f"<{ID}p4> {TYPE} <{S3}Portfolio> .", f"<{ID}p4> {TYPE} <{S3}Organisation> ."),
    "a region moved (written whole)": (f"<{NUTS}BE25> {BROADER} <{NUTS}BE2> .", f"<{NUTS}BE25> {BROADER} <{NUTS}BE3> ."),
    "nothing that counts": ("", f'<{ID}prog-a> <http://www.w3.org/2000/01/rdf-schema#label> "A" .'),
}


def _store() -> ox.Store:
    store = ox.Store()
    store.load(BEFORE.encode(), ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())
    return store


def _triples(lines: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(lines.encode(), ox.RdfFormat.N_TRIPLES)] if lines else []


def _edit(store: ox.Store, edit: str) -> frozenset[str]:
    removed, added = (_triples(lines) for lines in EDITS[edit])
    for t in removed:
        quad = ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
        assert quad in store, f"{edit}: {t} is not in the store to remove"
        store.remove(quad)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in added)
    return frozenset(t.subject.value for t in [*removed, *added] if isinstance(t.subject, ox.NamedNode))


@pytest.mark.parametrize("edit", list(EDITS))
def test_patched_figures_are_the_figures_written_whole(tmp_path: Path, edit: str) -> None:
    store = _store()
    write_figures(store, tmp_path / "before.sqlite")
    touched = _edit(store, edit)
    write_figures(store, tmp_path / "patched.sqlite", FiguresPatch(tmp_path / "before.sqlite", touched))
    write_figures(store, tmp_path / "whole.sqlite")
    assert figure_rows(tmp_path / "patched.sqlite") == figure_rows(tmp_path / "whole.sqlite")
    if edit != "nothing that counts":
        assert figure_rows(tmp_path / "patched.sqlite") != figure_rows(tmp_path / "before.sqlite"), (
            "the edit shows in the figures"
        )


def test_a_patch_reads_only_the_members_the_change_reaches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store()
    write_figures(store, tmp_path / "before.sqlite")
    touched = _edit(store, "a partner moved")
    assert FiguresPatch(tmp_path / "before.sqlite", touched).members(store) == [f"{ID}org1", f"{ID}p2"]
    asked: list[str] = []
    select = figures_module.select_values

    def recorded(s: ox.Store, query: str) -> Iterator[list[str]]:
        asked.append(query)
        return select(s, query)

    monkeypatch.setattr(figures_module, "select_values", recorded)
    write_figures(store, tmp_path / "patched.sqlite", FiguresPatch(tmp_path / "before.sqlite", touched))
    reads = [q for q in asked if "skos:broader" not in q]
    assert reads and all("VALUES" in q for q in reads), "every member query names its members"


def test_figures_made_by_other_code_are_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store()
    write_figures(store, tmp_path / "before.sqlite")
    with sqlite3.connect(tmp_path / "before.sqlite") as db:
        db.execute("DELETE FROM total")  # what other code might have left: nothing to patch from
        db.execute("PRAGMA user_version = 7")
    touched = _edit(store, "a budget's value changed")
    write_figures(store, tmp_path / "patched.sqlite", FiguresPatch(tmp_path / "before.sqlite", touched))
    write_figures(store, tmp_path / "whole.sqlite")
    assert figure_rows(tmp_path / "patched.sqlite") == figure_rows(tmp_path / "whole.sqlite")
