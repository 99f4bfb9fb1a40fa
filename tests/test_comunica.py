"""Comunica 4 (from npm, as its users run it) against the endpoint, an entity IRI and every dump.
test.sh installs it where Node.js is present; elsewhere these tests are skipped, saying why."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import live_server
from rdflib import Graph

from server.backends.embedded.backend import EmbeddedBackend

COMUNICA = Path(__file__).resolve().parent.parent / ".comunica" / "node_modules" / ".bin" / "comunica-sparql"
pytestmark = pytest.mark.skipif(
    not (COMUNICA.exists() and shutil.which("node")),
    reason=f"Comunica is not installed at {COMUNICA} (test.sh installs it with npm where Node.js is present)",
)


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), client_concurrency=4) as url:
        yield url


# Comunica counted the default build's four dumps in 272 s on a quiet 2-core machine, and the JSON-LD
# one alone took over 300 s on a busy one: a limit on a hung process, not on its speed.
COMUNICA_SECONDS = 900


def _comunica(source: str, query: str) -> list[dict[str, str]]:
    run = subprocess.run([str(COMUNICA), source, query], capture_output=True, text=True, timeout=COMUNICA_SECONDS, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    rows: list[dict[str, str]] = json.loads(run.stdout)
    return rows


def _count(rows: list[dict[str, str]]) -> int:
    return int(rows[0]["n"].split('"')[1])


def test_comunica_queries_the_endpoint(base: str) -> None:
    rows = _comunica(
        f"sparql@{base}sparql",
        "PREFIX s3: <https://w3id.org/s3kg/ontology#> SELECT ?a WHERE { "
        "GRAPH <https://w3id.org/s3kg/id/graph/curated-projects> { ?p s3:acronym ?a } }",
    )
    assert sorted(row["a"].strip('"') for row in rows) == ["GoSmart & Excel BSR", "GoSmart BSR", "GoToS3", "S3-4AlpClusters"]


def test_comunica_reads_every_statement_of_an_entity_document(base: str) -> None:
    turtle = Graph().parse(base + "id/project/gotos3", format="turtle")
    assert _count(_comunica(base + "id/project/gotos3", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")) == len(turtle)


def test_comunica_reads_every_dump(base: str) -> None:
    files = httpx.get(base + "dumps/", headers={"Accept": "application/json"}).json()["files"]
    assert {f["name"] for f in files} >= {"s3kg.nt.gz", "s3kg.nq.gz", "s3kg.ttl", "s3kg.jsonld"}
    for dump in files:
        pattern = "GRAPH ?g { ?s ?p ?o }" if dump["name"].startswith("s3kg.nq") else "?s ?p ?o"
        counted = _count(_comunica(base + "dumps/" + dump["name"], f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"))
        assert counted == dump["triples"], dump["name"]
