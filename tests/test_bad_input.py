"""Bad input fails the build with a precise message and leaves the published store as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import make_config
from rdflib import Graph
from rdflib.namespace import SH
from seed_data import copy_seed_data

from loaders.build import BuildConfig, build
from loaders.core.errors import BuildError, SourceProblem
from loaders.publish.store import PublishedStore

PROJECT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((Path(__file__).parent / "bad_input" / "cases.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> BuildConfig:
    """A good build, published once; every bad case then tries to replace it."""
    root = tmp_path_factory.mktemp("bad-input")
    config = make_config(root)
    build(config)
    published_size(config)
    return config


def published_size(config: BuildConfig) -> int:
    """Quads in the good build; cached so every case compares with the same figure."""
    if config not in _SIZES:
        _SIZES[config] = len(PublishedStore(config.store_dir).open())
    return _SIZES[config]


_SIZES: dict[BuildConfig, int] = {}


def _edited_copy(case: dict[str, Any], root: Path) -> tuple[Path, int]:
    """Copy data/ under `root` with the case's edit; return the data dir and the edit's line."""
    data = root / "data"
    copy_seed_data(data)
    target = data / case["file"]
    if case.get("empty"):
        target.write_bytes(b"")
        return data, 1
    original = target.read_bytes()
    find = case["find"].encode("utf-8")
    assert find in original, f"case {case['id']}: {case['find']!r} not found in {case['file']}"
    replacement = bytes.fromhex(case["replace_bytes"]) if "replace_bytes" in case else case["replace"].encode("utf-8")
    at = original.index(find)
    target.write_bytes(original[:at] + replacement + original[at + len(find) :])
    return data, original[:at].count(b"\n") + 1


def _matches(problem: SourceProblem, expect: dict[str, Any], file: str, edit_line: int) -> bool:
    return (
        problem.file == file
        and expect["message"] in problem.message
        and all(getattr(problem, key) == expect[key] for key in ("record", "field") if key in expect)
        and ("line" not in expect or problem.line == edit_line + expect["line"])
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_is_reported_precisely_and_nothing_is_published(
    published: BuildConfig, tmp_path: Path, case: dict[str, Any]
) -> None:
    store = PublishedStore(published.store_dir)
    before = store.current()
    data, edit_line = _edited_copy(case, tmp_path)
    config = BuildConfig(
        data_dir=data,
        sources_file=data / "sources.yaml",
        store_dir=published.store_dir,
        report_dir=tmp_path / "reports",
    )
    with pytest.raises(BuildError) as failure:
        build(config)
    # sources.yaml problems name the file as given; source files are named relative to the project
    file = str(data / "sources.yaml") if case["file"] == "sources.yaml" else f"data/{case['file']}"
    problems = failure.value.problems
    assert any(_matches(p, case["expect"], file, edit_line) for p in problems), "\n".join(map(str, problems))
    assert all(p.fix for p in problems), "every problem says how to fix it"
    if case.get("report"):
        report = Graph().parse(tmp_path / "reports" / "validation-report.ttl", format="turtle")
        assert any(report.subjects(SH.resultSeverity, SH.Violation))
    after = store.current()
    assert after.build_id == before.build_id
    assert len(store.open()) == published_size(published), "the published store still answers, with all its quads"
    assert not list(store.builds.glob(".*.staging")), "the half-made build is discarded"
    assert sorted(p.name for p in store.builds.glob("*.dumps")) == [f"{before.build_id}.dumps"], "and its dumps"
