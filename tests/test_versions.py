"""Every build a version: numbered, kept (setting keep_builds), with its changes per source."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import make_config
from live_server import live_server
from seed_data import copy_seed_data

from loaders.build import build
from loaders.core.provenance import sha256_of
from loaders.core.vocab import OA, S3
from loaders.publish.changes import ADDED, REMOVED, read_changes
from loaders.publish.documents import DocumentChanged, write_documents
from loaders.publish.store import PublishedStore, UnknownBuild
from server.backends.embedded.backend import EmbeddedBackend

TEXTILES = 'label: {nl: "Textiel", en: "Textiles", fr: "Textile"}'


def _quads(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read()


def test_each_build_is_a_version_with_what_it_changed_per_source(tmp_path: Path) -> None:
    data = tmp_path / "data"
    copy_seed_data(data)
    config = make_config(tmp_path, data_dir=data, sources_file=data / "sources.yaml", keep_builds=2)
    first, _ = build(config)
    concepts = data / "curated" / "concepts.yaml"
    concepts.write_text(concepts.read_text(encoding="utf-8").replace(TEXTILES, TEXTILES.replace('"Textile"', '"Textiles"')))
    second, _ = build(config)
    assert (first.version, second.version) == (1, 2)
    published = PublishedStore(config.store_dir, keep=2)
    folder = published.dumps_dir(second.build_id)
    changes = read_changes(folder)
    assert changes is not None and changes.previous == first.build_id
    by_source = {c.graph.rsplit("/", 1)[-1]: (c.added, c.removed) for c in changes.sources}
    assert by_source["curated-concepts"] == (2, 2)  # rdfs:label and skos:prefLabel, one each way
    assert "shapes" not in by_source, "blank nodes are compared canonically: the same shapes are no change"
    assert '"Textiles"@fr' in _quads(folder / ADDED) and '"Textile"@fr' in _quads(folder / REMOVED)
    first_changes = read_changes(published.dumps_dir(first.build_id))
    assert first_changes is not None and first_changes.previous is None and first_changes.removed == 0

    third, _ = build(config, force=True)
    assert third.version == 3
    assert [b.version for b in published.recent(None)] == [3, 2], "keep_builds = 2"
    assert published.build("2").build_id == second.build_id
    with pytest.raises(UnknownBuild, match=r"the kept versions are: 3 \(.*\), 2 \("):
        published.build("1")

    with live_server(EmbeddedBackend(config.store_dir), workers=1) as base:
        listing = httpx.get(base + "versions/", headers={"Accept": "application/json"}).json()
        assert [(v["version"], v["current"]) for v in listing["versions"]] == [(3, True), (2, False)]
        assert (listing["versions"][1]["added"], listing["versions"][1]["removed"]) == (changes.added, changes.removed)
        kept = f"{base}versions/{second.build_id}"
        manifest = {d["name"]: d for d in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))}
        dump = httpx.get(kept + "/dumps/s3kg.nt.gz")
        assert dump.status_code == 200 and hashlib.sha256(dump.content).hexdigest() == manifest["s3kg.nt.gz"]["sha256"]
        served = httpx.get(kept + "/changes").json()
        assert served["version"] == 2 and served["previous"] == first.build_id
        added = httpx.get(kept + "/changes/added")
        assert added.status_code == 200 and '"Textiles"@fr' in gzip.decompress(added.content).decode()
        page = httpx.get(base + "versions/", headers={"Accept": "text/html"}).text
        assert f'<a href="/versions/{second.build_id}/changes">changes</a>' in page and ">3 (current)</th>" in page
        gone = httpx.get(f"{base}versions/{first.build_id}/dumps/s3kg.nt.gz")
        assert gone.status_code == 404 and "the kept versions are: 3" in gone.text


def test_a_quoted_file_that_changed_during_the_build_stops_the_publishing(tmp_path: Path) -> None:
    document = tmp_path / "seed.txt"
    document.write_text("Een portefeuille van 17 projecten", encoding="utf-8")
    store = ox.Store()
    source, passage = ox.NamedNode("http://example.org/id/source/seed"), ox.NamedNode("http://example.org/id/passage/seed/0-5")
    store.add(ox.Quad(passage, ox.NamedNode(str(OA.hasSource)), source, ox.DefaultGraph()))
    store.add(ox.Quad(source, ox.NamedNode(str(S3.fileName)), ox.Literal("seed.txt"), ox.DefaultGraph()))
    store.add(ox.Quad(source, ox.NamedNode(str(S3.sha256)), ox.Literal(sha256_of(document)), ox.DefaultGraph()))
    assert [p.name for p in write_documents(store, tmp_path, tmp_path / "published")] == ["seed.txt"]
    document.write_text("Een portefeuille van 18 projecten", encoding="utf-8")  # edited while the build ran
    with pytest.raises(DocumentChanged, match=r"seed\.txt changed while the build ran"):
        write_documents(store, tmp_path, tmp_path / "again")
