"""Incremental builds publish exactly what a full build publishes.

A base build of the seed data and one real export (Poland's Cohesion Fund list) is edited
one way per test; the edited sources are then built twice on copies of the base store: once
incrementally (the default: the copy of the current build, only the changed graphs replaced,
validation limited to what the change reaches) and once from scratch (`incremental=False`).
Both must publish the same named graphs, the same dumps and the same changes. The load
times in the provenance graph are left out of the comparison: they are the time each build
read a changed file.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import PROJECT
from index_rows import figure_rows, index_rows, table_index
from rdflib import Graph
from seed_data import copy_seed_data

from loaders.build import BuildConfig, build
from loaders.core import paths
from loaders.core.provenance import sha256_of
from loaders.publish import increment
from loaders.publish.changes import ADDED, CHANGES, REMOVED
from loaders.publish.feed import FEED, STATE, write_feed
from loaders.publish.figures import FIGURES_FILE, Figures, write_figures
from loaders.publish.overview import OVERVIEW_FILE, count_overview, read_overview
from loaders.publish.search_index import SEARCH_FILE, write_search_index
from loaders.publish.store import PublishedStore
from loaders.publish.tables.write import TABLES_FOLDER, write_table_index

TIMES = ("<http://www.w3.org/ns/prov#startedAtTime>", "<http://www.w3.org/ns/prov#endedAtTime>")
EXPORT = "Poland_CF_2014_2020.csv"
SHAPES_GRAPH = "https://w3id.org/s3kg/id/graph/shapes"


@dataclass(frozen=True)
class Sources:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    def config(self, store: str, **overrides: object) -> BuildConfig:
        return BuildConfig(
            data_dir=self.data,
            sources_file=self.data / "sources.yaml",
            store_dir=self.root / store,
            report_dir=self.root / f"{store}-reports",
            shapes_dir=self.root / "shapes",
            ontology_file=self.root / "ontology.ttl",
            **overrides,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    """The seed data with one real export, the Walloon strategy of 2014 set aside, built once."""
    sources = Sources(tmp_path_factory.mktemp("incremental-base"))
    copy_seed_data(sources.data)
    (sources.data / "exports").mkdir()
    shutil.copy(PROJECT / "data" / "exports" / EXPORT, sources.data / "exports" / EXPORT)
    with (sources.data / "sources.yaml").open("a", encoding="utf-8") as listing:
        listing.write(f"  - {{kind: national-operations, path: exports/{EXPORT}}}\n")
    shutil.move(sources.data / "strategies" / "wallonia.yaml", sources.root / "wallonia.yaml")
    shutil.copytree(paths.SHAPES_DIR, sources.root / "shapes")
    shutil.copy(paths.ONTOLOGY_FILE, sources.root / "ontology.ttl")
    config = sources.config("store")
    build(config)
    return sources


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _drop_last_row(path: Path) -> None:
    rows = path.read_bytes().rstrip(b"\r\n").split(b"\n")
    path.write_bytes(b"\n".join(rows[:-1]) + b"\n")


EDITS: dict[str, tuple[Callable[[Path], object], bool]] = {  # edit of the copied sources, whether validation is partial
    "add a source": (lambda root: shutil.move(root / "wallonia.yaml", root / "data" / "strategies" / "wallonia.yaml"), True),
    "change a curated file": (
        lambda root: _replace(root / "data" / "curated" / "projects.yaml", "GoToS3", "GoToS3 (renamed)"),
        True,
    ),
    "change an export": (lambda root: _drop_last_row(root / "data" / "exports" / EXPORT), True),
    "change a curated budget": (  # the programme's and the regions' figures change
        lambda root: _replace(root / "data" / "curated" / "projects.yaml", "amount: 42000000,", "amount: 41000000,"),
        True,
    ),
    "remove a source": (
        lambda root: _replace(root / "data" / "sources.yaml", f"  - {{kind: national-operations, path: exports/{EXPORT}}}\n", ""),
        True,
    ),
    "change a shape": (
        lambda root: _replace(root / "shapes" / "rules.ttl", "is after the end date", "comes after the end date"),
        False,
    ),
    "change the ontology": (
        lambda root: (root / "ontology.ttl").open("a", encoding="utf-8").write('\ns3:Project rdfs:comment "An edit."@en .\n'),
        False,
    ),
}


LINKS_CARRIED = {"change a curated budget"}  # no predicate the linking reads changed


def _lines(path: Path) -> set[str]:
    """A dump's lines, less the load times."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return {line for line in data.decode().splitlines() if "startedAtTime" not in line and "endedAtTime" not in line}


def _published(store_dir: Path) -> tuple[dict[str, set[str]], Graph, Path]:
    """Each named graph's N-Triples lines (less the load times), the shapes graph, the dumps folder."""
    published = PublishedStore(store_dir)
    store = published.open()
    graphs: dict[str, set[str]] = {}
    shapes = Graph()
    for graph in store.named_graphs():
        quads = store.quads_for_pattern(None, None, None, graph)
        lines = [ox.serialize([q.triple], format=ox.RdfFormat.N_TRIPLES) or b"" for q in quads]
        if graph.value == SHAPES_GRAPH:  # blank nodes: compared as graphs
            shapes.parse(data=b"".join(lines), format="nt")
        else:
            graphs[graph.value] = {line.decode() for line in lines if not any(t.encode() in line for t in TIMES)}
    default = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    graphs["(default)"] = {f"{q.subject} {q.predicate} {q.object}" for q in default if f"<{q.predicate.value}>" not in TIMES}
    return graphs, shapes, published.dumps_dir(published.current().build_id)


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_incremental_build_publishes_what_a_full_build_publishes(base: Sources, tmp_path: Path, edit: str) -> None:
    sources = Sources(tmp_path)
    for name in ("data", "shapes"):
        shutil.copytree(base.root / name, tmp_path / name)
    shutil.copy(base.root / "ontology.ttl", tmp_path / "ontology.ttl")
    shutil.copy(base.root / "wallonia.yaml", tmp_path / "wallonia.yaml")
    for store in ("incremental", "full"):
        shutil.copytree(base.root / "store", tmp_path / store, symlinks=True)
    change, partial = EDITS[edit]
    change(tmp_path)
    said: list[str] = []
    _, incremental = build(sources.config("incremental"), lambda message: said.append(str(message)))
    _, full = build(sources.config("full", incremental=False))
    assert incremental is not None and full is not None
    assert any(message.startswith("updating build 1:") for message in said), said
    carried = any(message.startswith("carrying the links over") for message in said)
    assert carried == (edit in LINKS_CARRIED), "the links are made again when a change can reach them, else carried over"
    assert (incremental.focus is not None) == partial, "validation is partial for a source edit, whole for shapes or ontology"
    assert full.focus is None
    graphs, shapes, dumps = _published(tmp_path / "incremental")
    expected_graphs, expected_shapes, expected_dumps = _published(tmp_path / "full")
    assert graphs.keys() == expected_graphs.keys()
    for name in graphs:
        assert graphs[name] == expected_graphs[name], f"{name} differs after '{edit}'"
    assert shapes.isomorphic(expected_shapes)
    shapes_lines = f"<{SHAPES_GRAPH}> ."  # blank nodes, labelled afresh by each build: compared as graphs above
    for dump in ("s3kg.nt.gz", "s3kg.nq.gz", "s3kg.ttl", ADDED, REMOVED):
        got, expected = ({line for line in _lines(d / dump) if not line.endswith(shapes_lines)} for d in (dumps, expected_dumps))
        assert got == expected, dump
    write_search_index(PublishedStore(tmp_path / "full").open(), tmp_path / "whole.sqlite")  # both builds patched theirs
    write_figures(PublishedStore(tmp_path / "full").open(), tmp_path / "figures.sqlite")
    for folder in (dumps, expected_dumps):
        assert index_rows(folder / SEARCH_FILE) == index_rows(tmp_path / "whole.sqlite"), (
            "a patched search index is the one written whole"
        )
        assert figure_rows(folder / FIGURES_FILE) == figure_rows(tmp_path / "figures.sqlite"), "and so are the figures"
        with Figures(tmp_path / "figures.sqlite") as figures:
            assert read_overview(folder / OVERVIEW_FILE) == count_overview(PublishedStore(tmp_path / "full").open(), figures)
    write_table_index(PublishedStore(tmp_path / "full").open(), tmp_path / "tables")
    assert table_index(dumps / TABLES_FOLDER) == table_index(tmp_path / "tables"), "and the tables' index"
    changes, expected_changes = (json.loads((folder / CHANGES).read_text()) for folder in (dumps, expected_dumps))
    assert changes["sources"] == expected_changes["sources"]
    assert changes["sources"], "the edit changed something"
    for store in ("incremental", "full"):  # the feed described only the changed subjects: as if it described all
        feed = tmp_path / store / FEED
        shutil.copytree(feed, tmp_path / f"{store}-feed")
        shutil.rmtree(tmp_path / f"{store}-feed" / "2")
        write_feed(PublishedStore(tmp_path / store).open(), tmp_path / f"{store}-feed", 2, "again", "", 1)
        assert _feed(feed / "2") == _feed(tmp_path / f"{store}-feed" / "2"), f"the {store} build's feed"
    loads = "/id/load/"  # a load's description holds its time, which differs between the two builds
    (members, state), (expected_members, expected_state) = (_feed(tmp_path / s / FEED / "2") for s in ("incremental", "full"))
    assert members == expected_members
    assert {line for line in state if loads not in line} == {line for line in expected_state if loads not in line}


def _feed(version: Path) -> tuple[set[str], set[str]]:
    """A feed version's members (entity and kind) and its state (every entity, digest, version)."""
    members = {line for page in version.glob("page-*.jsonl") for line in page.read_text().splitlines()}
    return members, set(gzip.decompress((version / STATE).read_bytes()).decode().splitlines())


def test_a_forced_build_of_unchanged_sources_validates_nothing_and_publishes_the_same(base: Sources, tmp_path: Path) -> None:
    shutil.copytree(base.root / "store", tmp_path / "store", symlinks=True)
    config = dataclasses.replace(base.config("store"), store_dir=tmp_path / "store", report_dir=tmp_path / "reports")
    before, _, earlier = _published(config.store_dir)
    info, outcome = build(config, force=True)
    assert outcome is not None and outcome.focus == 0
    after, _, dumps = _published(config.store_dir)
    assert info.version == 2 and after == before
    assert json.loads((dumps / CHANGES).read_text())["sources"] == []
    manifest, earlier_manifest = ({e["name"]: e for e in json.loads((f / "manifest.json").read_text())} for f in (dumps, earlier))
    for dump in ("s3kg.nt.gz", "s3kg.ttl", "s3kg.jsonld"):  # the same default graph: not serialised again
        assert (dumps / dump).samefile(earlier / dump), dump
        assert manifest[dump] == earlier_manifest[dump], dump
    assert (dumps / FIGURES_FILE).samefile(earlier / FIGURES_FILE), "nor counted again"
    assert (dumps / OVERVIEW_FILE).samefile(earlier / OVERVIEW_FILE)
    assert (dumps / TABLES_FOLDER / "Project" / "facet-region.npy").samefile(
        earlier / TABLES_FOLDER / "Project" / "facet-region.npy"
    )
    for entry in manifest.values():
        assert sha256_of(dumps / entry["name"]) == entry["sha256"], entry["name"]


def test_dumps_made_by_other_code_are_written_again(base: Sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(base.root / "store", tmp_path / "store", symlinks=True)
    config = dataclasses.replace(base.config("store"), store_dir=tmp_path / "store", report_dir=tmp_path / "reports")
    earlier = PublishedStore(config.store_dir)
    earlier_dumps = earlier.dumps_dir(earlier.current().build_id)
    monkeypatch.setattr("loaders.build.code_version", lambda: "other code")  # its prefixes, say, may differ
    build(config, force=True)
    _, _, dumps = _published(config.store_dir)
    assert json.loads((dumps / CHANGES).read_text())["sources"] == []
    for dump in ("s3kg.nt.gz", "s3kg.ttl", "s3kg.jsonld"):
        assert not (dumps / dump).samefile(earlier_dumps / dump), dump
        assert _lines(dumps / dump) == _lines(earlier_dumps / dump), dump
    assert not (dumps / FIGURES_FILE).samefile(earlier_dumps / FIGURES_FILE)
    assert not (dumps / OVERVIEW_FILE).samefile(earlier_dumps / OVERVIEW_FILE)
    assert not (dumps / TABLES_FOLDER / "Project" / "rows.sqlite").samefile(
        earlier_dumps / TABLES_FOLDER / "Project" / "rows.sqlite"
    )


LINE = '<https://example.org/{0}> <https://example.org/p> "{0}" .\n'


@pytest.mark.parametrize(
    ("before", "after", "removed", "added"),
    [
        ("abb", "bcc", "a", "c"),  # a line written twice counts once, on either side
        ("ab", "ab", "", ""),
        ("", "aa", "", "a"),
        ("aab", "", "ab", ""),
        ("abc", "cba", "", ""),  # the order of the lines does not matter
    ],
)
def test_an_exports_difference_is_its_lines_as_sets(tmp_path: Path, before: str, after: str, removed: str, added: str) -> None:
    old, new = tmp_path / "old.nt", tmp_path / "new.nt"
    old.write_text("".join(LINE.format(c) for c in before), encoding="utf-8")
    new.write_text("".join(LINE.format(c) for c in after), encoding="utf-8")
    gone, more = increment._line_difference(old, new)
    assert _letters(gone) == list(removed) and _letters(more) == list(added)
    store = ox.Store()
    graph = ox.NamedNode("https://example.org/graph")
    store.load(old.read_bytes(), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    gone, more = increment._difference(store, graph, new)
    assert _letters(gone) == list(removed) and _letters(more) == list(added)


def _letters(triples: list[ox.Triple]) -> list[str]:
    return sorted(t.object.value for t in triples if isinstance(t.object, ox.Literal))
