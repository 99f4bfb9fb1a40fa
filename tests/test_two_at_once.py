"""Two builds, two loads, a damaged build (issue 21): one build at a time per store directory,
the second told who holds it and waiting; a current build whose database is damaged is set aside
and the last good build served and built upon, without a hand edit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import PROJECT
from seed_data import copy_seed_data, seed_data_dir
from test_cli import s3kg

from loaders.publish.build_lock import BuildBusy, build_lock
from loaders.publish.store import PublishedStore
from server.backends.embedded.backend import EmbeddedBackend

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _start(*args: str, store: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "S3KG_STORE_DIR": str(store), "S3KG_REPORT_DIR": str(store.parent / "reports"), "COLUMNS": "200"}
    env["S3KG_DATA_DIR"] = str(seed_data_dir())  # the build's mechanics, in seconds (a --data-dir option still wins)
    env["S3KG_MAX_REJECT_SHARE"] = "1"  # the golden exports are mostly bad rows by design
    command = [sys.executable, "-m", "s3kg.cli", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT)


def _finished(runs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    """Each run's exit status, output and errors, once all have ended (read as they come: no pipe fills)."""
    outputs = [run.communicate(timeout=600) for run in runs]
    return [(run.returncode, out, err) for run, (out, err) in zip(runs, outputs, strict=True)]


def _count(store: Path) -> int:
    result = s3kg("query", "-f", "json", COUNT, store=store)
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    first = s3kg("build", store=path)
    assert first.returncode == 0, first.stderr
    return path


def test_two_forced_builds_at_the_same_instant_both_publish_one_after_the_other(store: Path) -> None:
    before = PublishedStore(store).current().version
    runs = [_start("build", "--force", store=store) for _ in range(2)]
    results = _finished(runs)
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    said = [" ".join(err.split()) for _, _, err in results]  # the console wraps long lines at its width
    assert any("is writing" in err and "waiting for it to finish" in err and "pid" in err for err in said), said
    published = PublishedStore(store)
    assert published.current().version == before + 2
    assert not [p for p in (store / "builds").iterdir() if p.name.startswith(".")], "no staging store left behind"
    assert _count(store) > 1000


def test_two_loads_of_different_files_at_once_register_both(tmp_path: Path) -> None:
    data, store = tmp_path / "data", tmp_path / "store"
    copy_seed_data(data)
    exports = [
        ("cordis-projects", PROJECT / "tests" / "golden" / "cordis-projects" / "project.csv"),
        ("kohesio-beneficiaries", PROJECT / "tests" / "golden" / "kohesio-beneficiaries" / "beneficiaries.tsv"),
    ]
    assert s3kg("build", "--data-dir", str(data), store=store).returncode == 0
    runs = [_start("load", kind, str(path), "--data-dir", str(data), store=store) for kind, path in exports]
    results = _finished(runs)
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    sources = (data / "sources.yaml").read_text(encoding="utf-8")
    assert "kind: cordis-projects" in sources and "kind: kohesio-beneficiaries" in sources
    graphs = s3kg("query", "-f", "csv", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", store=store).stdout
    assert "graph/cordis-projects-" in graphs and "graph/kohesio-beneficiaries-" in graphs


def _damage(build: Path) -> None:
    for manifest in build.glob("MANIFEST-*"):
        manifest.write_bytes(b"damaged" * 20)


def test_a_damaged_current_build_is_set_aside_and_the_next_build_publishes(store: Path) -> None:
    assert s3kg("build", "--force", store=store).returncode == 0
    published = PublishedStore(store)
    damaged, previous = published.current(), published.recent(None)[1]
    _damage(damaged.path)
    result = s3kg("build", store=store)
    assert result.returncode == 0, result.stderr
    assert f"Build {damaged.build_id} (version {damaged.version}) cannot be opened" in result.stderr
    assert f"build {previous.build_id} (version {previous.version}) is current again" in result.stderr
    assert PublishedStore(store).current().build_id == previous.build_id  # same inputs: nothing more to build
    assert (store / "corrupt" / damaged.build_id).is_dir()
    assert _count(store) > 1000


def test_with_no_kept_build_that_opens_the_next_build_starts_afresh(store: Path) -> None:
    for info in PublishedStore(store).recent(None):
        _damage(info.path)
    result = s3kg("build", store=store)
    assert result.returncode == 0, result.stderr
    assert "no kept build opens, so the next build starts afresh" in result.stderr
    assert "Published build" in result.stdout
    assert _count(store) > 1000


def test_a_server_over_a_damaged_build_serves_the_last_good_one(store: Path) -> None:
    assert s3kg("build", "--force", store=store).returncode == 0
    published = PublishedStore(store)
    damaged, previous = published.current(), published.recent(None)[1]
    _damage(damaged.path)
    backend = EmbeddedBackend(store)
    answer = backend.open().query(COUNT)
    assert isinstance(answer, ox.QuerySolutions) and int(next(answer)["n"].value) > 1000
    assert backend.build_id() == previous.build_id, "the server process recovered the pointer itself"


def test_a_second_build_can_be_refused_instead_of_waiting(store: Path) -> None:
    script = (
        "import sys, time; from pathlib import Path; from loaders.publish.build_lock import build_lock\n"
        f"with build_lock(Path({str(store)!r}), print):\n    print('held', flush=True); time.sleep(30)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(BuildBusy, match=rf"pid {child.pid}.*try again"), build_lock(store, print, wait=0):
            pass
    finally:
        child.kill()
        child.wait()
    with build_lock(store, print, wait=0):  # released by the kernel when its holder died
        pass
