"""/feed: a Linked Data Event Stream of the builds, followed by a replica from nothing to now."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from conftest import PROJECT, make_config
from live_server import live_server
from pyshacl import validate
from rdflib import Graph, URIRef
from seed_data import copy_seed_data

from loaders.build import BuildConfig, build
from server.backends.embedded.backend import EmbeddedBackend

TREE, LDES, AS, DCT = (
    "https://w3id.org/tree#",
    "https://w3id.org/ldes#",
    "https://www.w3.org/ns/activitystreams#",
    "http://purl.org/dc/terms/",
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TERMS = PROJECT / "data" / "reference" / "ldes-tree-terms.ttl"
SHAPES = PROJECT / "shapes" / "feed" / "ldes.ttl"


@dataclass(frozen=True)
class Feed:
    base: str
    config: BuildConfig


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Feed]:
    root = tmp_path_factory.mktemp("feed")
    data = root / "data"
    copy_seed_data(data)
    config = make_config(root, data_dir=data, sources_file=data / "sources.yaml", keep_builds=2)
    build(config)  # version 1: every entity is created
    concepts, organisations = data / "curated" / "concepts.yaml", data / "curated" / "organisations.yaml"
    _edit(concepts, 'fr: "Textile"}', 'fr: "Textiles"}')
    text = organisations.read_text(encoding="utf-8")
    start = text.index("- type: organisation\n  id: tillvaxtverket")
    organisations.write_text(text[:start] + text[text.index("- type: organisation\n  id: european-commission") :])
    build(config)  # version 2: one update, one deletion
    _edit(concepts, 'fr: "Textiles"}', 'fr: "Textile"}')
    build(config)  # version 3: the update undone; version 1's build is no longer kept
    with live_server(EmbeddedBackend(config.store_dir), workers=1) as base:
        yield Feed(base, config)


def _get(url: str) -> list[ox.Quad]:
    answer = httpx.get(url, headers={"Accept": "application/trig"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/trig")
    return list(ox.parse(answer.content, format=ox.RdfFormat.TRIG))


def _index(quads: list[ox.Quad]) -> dict[tuple[object, str], list[Any]]:
    """The default graph's objects by (subject, predicate), and each named graph's triples by (graph, "")."""
    index: dict[tuple[object, str], list[Any]] = {}
    for q in quads:
        if q.graph_name == ox.DefaultGraph():
            index.setdefault((q.subject, q.predicate.value), []).append(q.object)
        else:
            index.setdefault((q.graph_name, ""), []).append(q.triple)
    return index


def _follow(base: str) -> tuple[list[list[ox.Quad]], list[tuple[str, str, str, list[ox.Triple]]]]:
    """An LDES client as the specification describes one: root, relations, members, each member's graph."""
    root = _get(base + "feed")
    streams = [q.subject for q in root if q.predicate.value == TREE + "view" and q.object == ox.NamedNode(base + "feed")]
    assert len(streams) == 1, "exactly one `?s tree:view <>` on the root node"
    stream = streams[0]
    documents, members, queue, seen = [root], [], [base + "feed"], set()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        quads = root if url == base + "feed" else _get(url)
        if quads is not root:
            documents.append(quads)
        index = _index(quads)
        for relation in index.get((ox.NamedNode(url), TREE + "relation"), []):
            queue += [n.value for n in index[(relation, TREE + "node")]]
        for member in index.get((stream, TREE + "member"), []):
            kind = index[(member, RDF_TYPE)][0].value
            entity = index[(member, DCT + "isVersionOf")][0].value
            created = index[(member, DCT + "created")][0].value
            members.append((created, kind, entity, index.get((member, ""), [])))
    return documents, members


def test_a_replica_that_follows_the_feed_from_nothing_ends_with_the_published_graph(feed: Feed) -> None:
    _, members = _follow(feed.base)
    replica: dict[str, set[ox.Triple]] = {}
    for _, kind, entity, description in sorted(members, key=lambda m: m[0]):  # stable: page order within a time
        if kind == AS + "Delete":
            replica.pop(entity, None)
        else:
            replica[entity] = set(description)
    store = ox.Store.read_only(str(feed.config.store_dir / "current"))
    published = {q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert set().union(*replica.values()) == published


def test_members_say_what_each_build_did_and_old_builds_keep_only_latest_versions(feed: Feed) -> None:
    _, members = _follow(feed.base)
    textiles = "https://w3id.org/s3kg/id/concept/gotos3-domains/textiles"
    agency = "https://w3id.org/s3kg/id/organisation/tillvaxtverket"
    kinds = {(entity, kind.rsplit("#", 1)[-1]) for _, kind, entity, _ in members if entity in (textiles, agency)}
    # version 1 is no longer kept: its Create of both was superseded (by version 3's Update, version 2's Delete)
    assert kinds == {(textiles, "Update"), (agency, "Delete")}
    updates = [m for m in members if m[2] == textiles]
    assert len(updates) == 2, "versions 2 and 3 are kept whole"
    creates = [m for m in members if m[1] == AS + "Create"]
    assert len(creates) > 1000, "entities unchanged since version 1 keep their only version"


def test_every_page_uses_ldes_and_tree_as_their_vocabularies_define_them_and_passes_the_feed_shapes(feed: Feed) -> None:
    documents, _ = _follow(feed.base)
    terms = Graph().parse(TERMS)
    defined = {str(s) for s in terms.subjects()}
    union = Graph()
    for quads in documents:
        page = _default_graph(quads)
        used = {str(t) for triple in page for t in (triple[1], triple[2]) if str(t).startswith((LDES, TREE))}
        assert used <= defined, used - defined
        conforms, _, text = validate(page, shacl_graph=Graph().parse(SHAPES), inference="none")
        assert conforms, text
        union += page
    domains = terms.query("SELECT ?p ?d WHERE { ?p rdfs:domain ?d }")
    for predicate, domain in domains:  # type: ignore[misc]
        for subject in union.subjects(predicate, None):
            types = set(union.objects(subject, URIRef(RDF_TYPE)))
            supers = {str(t) for t in types} | {
                str(s)
                for t in types
                for s in terms.transitive_objects(t, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"))
            }
            assert str(domain) in supers, (subject, predicate, domain)


def _default_graph(quads: list[ox.Quad], leave_out: str | None = None) -> Graph:
    triples = [q.triple for q in quads if q.graph_name == ox.DefaultGraph() and q.predicate.value != leave_out]
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")


def test_feed_shapes_can_fail(feed: Feed) -> None:
    page = _default_graph(_get(feed.base + "feed/2/1"), leave_out=DCT + "created")
    conforms, _, text = validate(page, shacl_graph=Graph().parse(SHAPES), inference="none")
    assert not conforms and "exactly one xsd:dateTime timestamp" in text


def test_pages_that_do_not_exist_and_formats_not_offered_are_refused_clearly(feed: Feed) -> None:
    missing = httpx.get(feed.base + "feed/9/1")
    assert missing.status_code == 404 and "The feed has no version 9; it has versions 1 to 3." in missing.text
    page = httpx.get(feed.base + "feed/2/999")
    assert page.status_code == 404 and "Version 2 of the feed has pages 1 to" in page.text
    html = httpx.get(feed.base + "feed", headers={"Accept": "text/html"})
    assert html.status_code == 406 and "application/trig" in html.text
    quads = httpx.get(feed.base + "feed/2/1", headers={"Accept": "application/n-quads"})
    assert quads.status_code == 200 and "immutable" in quads.headers["cache-control"]


def test_members_of_a_build_that_failed_after_writing_them_are_not_served(feed: Feed) -> None:
    folder = feed.config.store_dir / "feed"
    shutil.copytree(folder / "3", folder / "4")  # as a build that failed after its members were written
    try:
        root = httpx.get(feed.base + "feed", headers={"Accept": "application/n-quads"}).text
        assert f"<{feed.base}feed/3/1>" in root and f"<{feed.base}feed/4/1>" not in root
        assert httpx.get(feed.base + "feed/4/1").status_code == 404
    finally:
        shutil.rmtree(folder / "4")


def test_only_the_loads_of_changed_files_are_updated_members(feed: Feed) -> None:
    _, members = _follow(feed.base)
    loads = {entity.rsplit("/", 1)[-1] for _, kind, entity, _ in members if "/id/load/" in entity and kind == AS + "Update"}
    assert loads == {"curated-concepts", "curated-organisations"}  # versions 2 and 3 edited these two files only


def test_rebuilding_unchanged_sources_publishes_the_same_graph_and_no_member(tmp_path: Path) -> None:
    data = tmp_path / "data"
    copy_seed_data(data)
    config = make_config(tmp_path, data_dir=data, sources_file=data / "sources.yaml", keep_builds=2)
    first, _ = build(config)
    second, _ = build(config, force=True)
    assert second.version == first.version + 1
    assert (config.store_dir / "feed" / str(second.version) / "build.json").read_text().count('"members": 0') == 1
    graphs = []
    for info in (first, second):
        store = ox.Store.read_only(str(info.path))
        dataset = ox.Dataset(store.quads_for_pattern(None, None, None, None))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)  # the shapes' blank nodes, labelled alike
        graphs.append(set(dataset))
    assert len(graphs[0]) > 10_000 and graphs[0] == graphs[1]
