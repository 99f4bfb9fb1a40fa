"""The `s3kg` command, run as a real process against a real store."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import PROJECT
from live_server import free_port
from seed_data import copy_seed_data, seed_data_dir

COMMANDS = ["build", "validate", "query", "dump", "stats", "builds"]


def s3kg(*args: str, store: Path, stdin: str | None = None, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "S3KG_STORE_DIR": str(store), "S3KG_REPORT_DIR": str(store.parent / "reports"), "COLUMNS": "200"}
    env["S3KG_DATA_DIR"] = str(seed_data_dir())  # the build's mechanics, in seconds (a --data-dir option still wins)
    env |= {f"S3KG_{name.upper()}": value for name, value in settings.items()}
    return subprocess.run(
        [sys.executable, "-m", "s3kg.cli", *args], capture_output=True, text=True, env=env, cwd=PROJECT, input=stdin, timeout=300
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    result = s3kg("build", store=path)
    assert result.returncode == 0, result.stderr
    return path


def test_a_build_with_nothing_changed_keeps_the_current_one_unless_forced(store: Path) -> None:
    before = (store / "current").resolve()
    again = s3kg("build", store=store)
    assert again.returncode == 0, again.stderr
    assert "Nothing has changed" in again.stderr and "curated-projects" in again.stdout
    assert (store / "current").resolve() == before
    forced = s3kg("build", "--force", store=store)
    assert forced.returncode == 0, forced.stderr
    assert "Published build" in forced.stdout and "curated-projects" in forced.stdout
    assert (store / "current").resolve() != before
    assert "SHACL checked the 0 node(s) the changed sources can reach" in forced.stderr  # nothing changed: an update
    full = s3kg("build", "--force", "--full", store=store)
    assert full.returncode == 0, full.stderr
    assert "Published build" in full.stdout and "node(s) the changed sources can reach" not in full.stderr  # from scratch


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str, tmp_path: Path) -> None:
    result = s3kg(command, "--help", store=tmp_path)
    assert result.returncode == 0
    assert "Usage" in result.stdout and len(result.stdout) > 200


def test_query_json_is_sparql_results_json(store: Path) -> None:
    result = s3kg("query", "--format", "json", 'SELECT ?p WHERE { ?p s3:acronym "GoToS3" }', store=store)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["head"]["vars"] == ["p"]
    assert answer["results"]["bindings"] == [{"p": {"type": "uri", "value": "https://w3id.org/s3kg/id/project/gotos3"}}]


def test_query_csv_and_table(store: Path) -> None:
    query = "SELECT ?acronym WHERE { ?p s3:acronym ?acronym } ORDER BY ?acronym"
    rows = list(csv.reader(io.StringIO(s3kg("query", "-f", "csv", query, store=store).stdout)))
    assert rows == [["acronym"], ["GoSmart & Excel BSR"], ["GoSmart BSR"], ["GoToS3"], ["S3-4AlpClusters"]]
    table = s3kg("query", query, store=store).stdout
    assert "GoSmart & Excel BSR" in table and "4 row(s)" in table


def test_query_from_a_file_and_from_stdin(store: Path, tmp_path: Path) -> None:
    (tmp_path / "q.rq").write_text("ASK { ?p s3:acronym 'GoToS3' }", encoding="utf-8")
    assert json.loads(s3kg("query", "-f", "json", f"@{tmp_path / 'q.rq'}", store=store).stdout)["boolean"] is True
    piped = s3kg("query", "-f", "json", "-", store=store, stdin="ASK { ?p s3:acronym 'Nope' }")
    assert json.loads(piped.stdout)["boolean"] is False


def test_construct_query_gives_rdf(store: Path) -> None:
    result = s3kg("query", "-f", "csv", "CONSTRUCT { ?p s3:acronym ?a } WHERE { ?p s3:acronym ?a }", store=store)
    assert len(list(ox.parse(result.stdout.encode(), format=ox.RdfFormat.N_TRIPLES))) == 4


def test_query_syntax_error_names_line_and_column(store: Path) -> None:
    result = s3kg("query", "SELECT * WHERE {\n  ?s ?p }", store=store)
    assert result.returncode == 2
    assert "SPARQL syntax error" in result.stderr and "2:" in result.stderr


def test_query_before_any_build_says_to_build(tmp_path: Path) -> None:
    result = s3kg("query", "ASK {}", store=tmp_path / "empty")
    assert result.returncode == 1
    assert "s3kg build" in result.stderr


def test_dump_writes_every_format_with_checksums(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "dumps"
    assert s3kg("dump", "--out", str(out), store=store).returncode == 0
    manifest = {d["name"]: d for d in json.loads((out / "manifest.json").read_text(encoding="utf-8"))}
    assert set(manifest) == {"s3kg.nt.gz", "s3kg.nq.gz", "s3kg.ttl", "s3kg.jsonld"}
    for name, info in manifest.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"]
        assert (out / name).stat().st_size == info["size"]
    quads = list(ox.parse(gzip.decompress((out / "s3kg.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == manifest["s3kg.nq.gz"]["triples"]
    assert {q.graph_name.value.rsplit("/", 1)[-1] for q in quads} >= {"curated-projects", "provenance", "countries"}
    triples = len(list(ox.parse(gzip.decompress((out / "s3kg.nt.gz").read_bytes()), format=ox.RdfFormat.N_TRIPLES)))
    for name, fmt in (("s3kg.ttl", ox.RdfFormat.TURTLE), ("s3kg.jsonld", ox.RdfFormat.JSON_LD)):
        assert len(list(ox.parse(path=str(out / name), format=fmt))) == triples == manifest[name]["triples"]


def test_stats_show_graphs_and_entities_per_class(store: Path) -> None:
    result = s3kg("stats", store=store)
    assert result.returncode == 0, result.stderr
    assert "curated-projects" in result.stdout
    assert "https://w3id.org/s3kg/ontology#Project" in result.stdout


def test_validate_accepts_the_sources_and_rejects_a_broken_file(store: Path, tmp_path: Path) -> None:
    ok = s3kg("validate", store=store)
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("- {type: organisation, id: x, label: {en: X}, country: ZZZ, source: [seed-000]}\n", encoding="utf-8")
    curated = sorted(str(p) for p in (PROJECT / "data" / "curated").glob("*.yaml"))
    bad = s3kg("validate", *curated, str(broken), store=store)
    assert bad.returncode == 1
    assert "broken.yaml:1" in bad.stderr and "unknown country code 'ZZZ'" in bad.stderr


def test_a_bad_setting_is_refused_by_name(tmp_path: Path) -> None:
    result = s3kg("build", "--base-iri", "not-an-iri", store=tmp_path)
    assert result.returncode == 2
    assert "base_iri" in result.stderr


@contextmanager
def _serving(store: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`s3kg serve` with two server processes, as users start it; on leaving, it must stop cleanly."""
    env = {**os.environ, "S3KG_STORE_DIR": str(store)}
    command = [sys.executable, "-m", "s3kg.cli", "serve", "--port", str(port), "--processes", "2"]
    server = subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )  # logs: not read
    try:
        yield server
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0


def _first_answer(url: str, params: dict[str, str], seconds: float = 60) -> httpx.Response:
    """The first answer of a server that is starting (connections are refused until it listens)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, params=params, timeout=30)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_answers_queries_and_stops_cleanly(store: Path) -> None:
    port = free_port()
    with _serving(store, port):
        answer = _first_answer(f"http://127.0.0.1:{port}/sparql", {"query": "ASK { ?p s3:acronym 'GoToS3' }"})
    assert answer.json()["boolean"] is True


def test_load_adds_an_export_once_rebuilds_and_refuses_the_wrong_kind(tmp_path: Path) -> None:
    data = tmp_path / "data"
    copy_seed_data(data)
    store = tmp_path / "store"
    export = PROJECT / "tests" / "golden" / "cordis-projects" / "project.csv"
    registered = (data / "sources.yaml").read_bytes()
    refused = s3kg("load", "cordis-projects", str(export), "--data-dir", str(data), store=store)
    assert refused.returncode == 1 and "Source added" not in refused.stdout
    assert "4 of its 6 rows were rejected (66.7%), more than the 5% allowed. Top reasons:" in refused.stderr
    assert "column 'startDate': not a date (YYYY-MM-DD). (1 rows)" in refused.stderr
    assert (data / "sources.yaml").read_bytes() == registered and not (store / "current").exists()
    first = s3kg("load", "cordis-projects", str(export), "--data-dir", str(data), store=store, max_reject_share="0.7")
    assert first.returncode == 0, first.stderr
    assert "6 rows read, 2 loaded, 0 merged, 4 rejected" in first.stderr and "rejects.csv" in first.stderr
    assert "Source added: cordis-projects" in first.stdout and "(6 rows read, 2 loaded, 0 merged, 4 rejected)" in first.stdout
    bar = next(line for line in refused.stderr.splitlines() if "project.csv" in line and "%" in line)  # mapped then, cached since
    assert "100%" in bar and "6 rows, 4 rejected" in bar, "the file's progress bar ends full, with its account"
    again = s3kg("load", "cordis-projects", str(export), "--data-dir", str(data), store=store, max_reject_share="0.7")
    assert again.returncode == 0
    assert (data / "sources.yaml").read_text(encoding="utf-8").count("kind: cordis-projects") == 1
    before = json.loads(s3kg("query", "-f", "json", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", store=store).stdout)
    registered = (data / "sources.yaml").read_bytes()
    wrong = s3kg(
        "load",
        "cordis-organisations",
        str(PROJECT / "tests" / "golden" / "keep-eu" / "keep-eu.xlsx"),
        "--data-dir",
        str(data),
        store=store,
    )
    assert wrong.returncode == 1 and "is not UTF-8" in wrong.stderr
    after = json.loads(s3kg("query", "-f", "json", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", store=store).stdout)
    assert before == after, "the published graph stays as it was"
    assert (data / "sources.yaml").read_bytes() == registered, "a refused file is not registered"
    assert not list(data.glob(".sources*")), "nothing half-written is left beside it"
    assert s3kg("build", "--data-dir", str(data), store=store, max_reject_share="1").returncode == 0, "the next build still works"
    strict = s3kg("load", "cordis-projects", str(export), "--data-dir", str(data), "--strict", store=store, max_reject_share="1")
    assert strict.returncode == 1 and "--strict" in strict.stderr


def _server_children(pid: int) -> set[int]:
    """The server processes `s3kg serve` started (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = set()
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in command and b"resource_tracker" not in command:
            found.add(child)
    return found


def test_serve_replaces_a_server_process_that_is_killed(store: Path) -> None:
    port = free_port()
    url, ask = f"http://127.0.0.1:{port}/sparql", {"query": "ASK { ?p s3:acronym 'GoToS3' }"}
    with _serving(store, port) as server:
        deadline = time.monotonic() + 60
        _first_answer(url, ask)
        time.sleep(3)  # both processes are listening by now
        victim = min(_server_children(server.pid))
        os.kill(victim, signal.SIGKILL)
        answers = [httpx.get(url, params=ask, timeout=30).json()["boolean"] for _ in range(20)]  # none may fail
        while time.monotonic() < deadline and (victim in (now := _server_children(server.pid)) or len(now) < 2):
            time.sleep(0.1)
        replaced = _server_children(server.pid)
        assert answers == [True] * 20
        assert len(replaced) == 2 and victim not in replaced


def test_sources_lists_exports_with_their_row_accounts_and_unload_removes_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    copy_seed_data(data)
    original = (data / "sources.yaml").read_bytes()
    store = tmp_path / "store"
    export = tmp_path / "beneficiaries.tsv"
    shutil.copy(PROJECT / "tests" / "golden" / "kohesio-beneficiaries" / "beneficiaries.tsv", export)
    assert (
        s3kg("load", "kohesio-beneficiaries", str(export), "--data-dir", str(data), store=store, max_reject_share="1").returncode
        == 0
    )
    listed = s3kg("sources", "--data-dir", str(data), store=store)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "beneficiaries.tsv" in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    assert cells[0] == "kohesio-beneficiaries" and cells[2:6] == ["4", "2", "0", "2"], cells
    assert "curated" in listed.stdout and "cci-table" in listed.stdout
    removed = s3kg("unload", str(export), "--data-dir", str(data), store=store, max_reject_share="1")
    assert removed.returncode == 0, removed.stderr
    assert (data / "sources.yaml").read_bytes() == original
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?o dcterms:source/s3:fileName ?f FILTER(CONTAINS(?f, 'beneficiaries')) }"
    assert json.loads(s3kg("query", "-f", "json", count, store=store).stdout)["results"]["bindings"][0]["n"]["value"] == "0"
    unknown = s3kg("unload", str(export), "--data-dir", str(data), store=store)
    assert unknown.returncode == 1 and "is not a registered export" in unknown.stderr
    assert (data / "sources.yaml").read_bytes() == original


def test_builds_lists_the_kept_versions_and_one_versions_changes(store: Path) -> None:
    listed = s3kg("builds", store=store)
    assert listed.returncode == 0, listed.stderr
    current = (store / "current").resolve().name
    row = next(line for line in listed.stdout.splitlines() if current in line)
    assert "current" in row
    shown = s3kg("builds", "--show", current, store=store)
    assert shown.returncode == 0, shown.stderr
    assert "changes" in shown.stdout and "source graph" in shown.stdout
    missing = s3kg("builds", "--show", "999", store=store)
    assert missing.returncode == 1
    assert "no kept build has the id or version '999'; the kept versions are:" in missing.stderr
    assert current in missing.stderr
