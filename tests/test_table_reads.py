"""What the tables' index reads, kept by row between builds (loaders/publish/tables/reads.py):
which rows a changed node reaches along each path, and an index patched from the earlier
build's after each of a run of edits — a project's title, a new project, a partner's region two
steps away, an organisation's country, a programme's fund, a region's place in NUTS, a project's
participations, a project taken away — is the index written whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from index_rows import table_index
from test_link_inputs import _copy, _one, _set

from loaders.core.vocab import PREFIXES
from loaders.link.reads import predicates_read
from loaders.publish.tables import reads
from loaders.publish.tables.reads import every_read, reach_of
from loaders.publish.tables.spec import TABLES
from loaders.publish.tables.write import write_table_index

S3, RDFS, SKOS = PREFIXES["s3"], PREFIXES["rdfs"], PREFIXES["skos"]
NUTS = "http://data.europa.eu/nuts/code/"


@pytest.mark.parametrize(
    ("path", "reach"),
    [
        ("s3:programme", ()),  # a star: only the row's own triples
        ("s3:totalBudget/schema:value", ("?subject s3:totalBudget ?node",)),
        (
            "s3:hasParticipation/s3:participant/s3:country",
            ("?subject s3:hasParticipation ?node", "?subject s3:hasParticipation/s3:participant ?node"),
        ),
        # an inverse step's triple has the node after it as subject
        (
            "^s3:participant/^s3:hasParticipation",
            ("?subject ^s3:participant ?node", "?subject ^s3:participant/^s3:hasParticipation ?node"),
        ),
        # any node along a closure (the first included) is the subject of one of its triples
        ("s3:region/skos:broader*", ("?subject s3:region/skos:broader* ?node",)),
    ],
)
def test_a_changed_node_reaches_the_rows_whose_path_walks_its_triples(path: str, reach: tuple[str, ...]) -> None:
    assert reach_of(path) == reach


def test_every_read_reaches_only_along_predicates_it_reads() -> None:
    for read in every_read(list(TABLES.values())):
        if read.reach:
            walked = predicates_read([f"SELECT ?subject WHERE {{ {pattern} }}" for pattern in read.reach])
            assert walked is not None and walked <= (predicates_read([read.query]) or set()), read.query


def _triples(store: ox.Store, subject: str, predicate: str) -> list[ox.Quad]:
    return list(store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, ox.DefaultGraph()))


def _remove(store: ox.Store, subject: str, predicate: str | None = None) -> list[ox.Triple]:
    quads = list(
        store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate) if predicate else None, None, ox.DefaultGraph())
    )
    for quad in quads:
        store.remove(quad)
    return [q.triple for q in quads]


def _new_project(store: ox.Store) -> list[ox.Triple]:
    """A project copied under a new IRI that sorts first (every row after it is numbered anew)."""
    (project,) = _one(store, f"SELECT ?p WHERE {{ ?p a <{S3}Project> ; <{S3}programme> ?g ; <{S3}hasParticipation> ?x }}")
    new = ox.NamedNode(project.rsplit("/", 1)[0] + "/0-new-project")
    added = [
        ox.Quad(new, q.predicate, q.object, ox.DefaultGraph())
        for q in store.quads_for_pattern(ox.NamedNode(project), None, None, ox.DefaultGraph())
    ]
    store.extend(added)
    return [q.triple for q in added]


def _partner_moved(store: ox.Store) -> list[ox.Triple]:
    (partner,) = _one(store, f"SELECT ?o WHERE {{ ?p <{S3}hasParticipation>/<{S3}participant> ?o . ?o <{S3}region> ?r }}")
    return _set(store, partner, f"{S3}region", ox.NamedNode(f"{NUTS}MT001"))


_PROJECT = f"SELECT ?p WHERE {{ ?p a <{S3}Project> ; <{S3}hasParticipation> ?x }} ORDER BY DESC(?p)"
_EDITS: dict[str, Callable[[ox.Store], list[ox.Triple]]] = {
    "a project's title": lambda store: _set(
        store, _one(store, f"SELECT ?p WHERE {{ ?p a <{S3}Project> ; <{RDFS}label> ?l }}")[0], f"{RDFS}label",
        ox.Literal("Aaa", language="en"),
    ),
    "a new project": _new_project,
    "a partner's region (two steps away)": _partner_moved,
    "an organisation's country": lambda store: _set(
        store, _one(store, f"SELECT ?o WHERE {{ ?x <{S3}participant> ?o . ?o <{S3}country> ?c }}")[0], f"{S3}country",
        ox.NamedNode("http://publications.europa.eu/resource/authority/country/MLT"),
    ),
    "a programme's fund": lambda store: _set(
        store, _one(store, f"SELECT ?g WHERE {{ ?p <{S3}programme> ?g . ?g <{S3}fund> ?f }}")[0], f"{S3}fund",
        ox.NamedNode("https://w3id.org/s3kg/id/concept/funds/jtf"),
    ),
    "a region's place in NUTS": lambda store: _set(store, f"{NUTS}MT001", f"{SKOS}broader", ox.NamedNode(f"{NUTS}BE2")),
    "a project's participations": lambda store: _remove(store, _one(store, _PROJECT)[0], f"{S3}hasParticipation"),
    "a project taken away": lambda store: _remove(store, _one(store, _PROJECT)[0]),
}  # fmt: skip


def _touched(changed: list[ox.Triple]) -> set[str]:
    return {t.subject.value for t in changed if isinstance(t.subject, ox.NamedNode)}


def test_a_patched_index_is_the_index_written_whole_after_each_edit(built: Any, tmp_path: Path) -> None:
    """Edits one after another, as successive builds make them, each build's index patched from
    the one before: the same arrays, IRIs and reads as an index written whole. An array whose
    reads the edit left the same is linked from the index before, not derived again."""
    store = _copy(built.store)
    earlier = tmp_path / "0"
    write_table_index(store, earlier)
    for number, (edit, change) in enumerate(_EDITS.items(), start=1):
        touched = _touched(change(store))
        patched, whole = tmp_path / str(number), tmp_path / f"{number}-whole"
        reread = write_table_index(store, patched, earlier, touched)
        write_table_index(store, whole)
        expected = table_index(whole)
        rows = len(expected["Project/rows.sqlite"][0])  # type: ignore[index]
        assert 0 < reread < rows / 20, f"{edit}: only the rows the change reaches are read again ({reread})"
        assert expected != table_index(earlier), f"{edit}: the edit changes the index, so the check below can fail"
        assert table_index(patched) == expected, edit
        linked = {str(f.relative_to(patched)) for f in patched.rglob("*.npy") if (earlier / f.relative_to(patched)).exists()
                  and f.samefile(earlier / f.relative_to(patched))}  # fmt: skip
        if edit == "a project's title":  # what its reads left the same is linked from the index before
            assert {"Project/facet-programme.npy", "Project/range-0.npy", "Project/places.npy"} <= linked
            assert "Project/sort-label.npy" not in linked and "Project/sort-label.asc.npy" not in linked
            others = {str(f.relative_to(patched)) for f in (patched / "Organisation").glob("*.npy")}
            # the labels of both tables are one read (one query): a project's changed, it is derived again
            assert {name for name in others if "sort-label" not in name} <= linked
        if edit == "a new project":  # the rows are numbered again: nothing of the table can be kept
            assert not [name for name in linked if name.startswith("Project/")]
        earlier = patched


def test_without_its_reach_a_patch_would_miss_a_change_two_steps_away(
    built: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partner's region changed touches only the partner: without the reads' reach, the
    projects it takes part in would keep their old regions and countries."""
    monkeypatch.setattr(reads, "reach_of", lambda path: ())
    store = _copy(built.store)
    write_table_index(store, tmp_path / "earlier")
    touched = _touched(_partner_moved(store))
    write_table_index(store, tmp_path / "blind", tmp_path / "earlier", touched)
    write_table_index(store, tmp_path / "whole")
    assert table_index(tmp_path / "blind") != table_index(tmp_path / "whole")
