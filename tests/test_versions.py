"""Every build a version: numbered, kept (setting keep_builds), with its changes per source."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, make_config

from loaders.build import build
from loaders.changes import ADDED, REMOVED, read_changes
from loaders.store import PublishedStore, UnknownBuild

TEXTILES = 'label: {nl: "Textiel", en: "Textiles", fr: "Textile"}'


def _quads(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read()


def test_each_build_is_a_version_with_what_it_changed_per_source(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(PROJECT / "data", data)
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
