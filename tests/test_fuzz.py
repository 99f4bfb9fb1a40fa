"""Generated queries, parameters and headers against a live server (hypothesis, bounded, seeded):
no answer is a server error other than 503, no connection is dropped, nothing reaches out."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from live_server import Listener, live_server

from server.backends.embedded.backend import EmbeddedBackend

LISTENER = Listener()  # every generated IRI that could be fetched points here
TARGET = f"http://127.0.0.1:{LISTENER.port}/"

FRAGMENTS = [
    "SELECT", "*", "WHERE", "{", "}", "(", ")", "[", "]", "?s", "?p", "?o", "$x", ".", ";", ",", "a", "s3:Project",
    "OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "AS", "VALUES", "GRAPH", "SERVICE", "SILENT", "FROM", "NAMED",
    "LOAD", "INSERT", "DATA", "DELETE", "CLEAR", "ASK", "CONSTRUCT", "DESCRIBE", "ORDER BY", "LIMIT", "OFFSET", "1",
    "1.5e3", '"x"', "'y'", '"""z"""', '"é"@fr', "<http://e/>", f"<{TARGET}>", f"<{TARGET}#x>", "PREFIX", "BASE",
    "h:", f"<{TARGET}x>", "h:a%41", "h:p\\'", "#c\r", "#c\n", "\\u0053ERVICE", "REGEX", "COUNT", "GROUP BY", "+", "-",
    "*", "/", "&&", "||", "!", "=", "!=", "<", ">", "^^", "@en", "|", "^", "?", "rdfs:label", "skos:prefLabel",
]  # fmt: skip
PATHS = ["", "sparql", "search", "browse/Project", "id/project/gotos3", "catalog", ".well-known/void", "dumps/",
         "dumps/x.nt.gz", "ontology", "shapes", "sitemap.xml", "examples.json", "id/", "browse/Nothing"]  # fmt: skip
PARAMS = ["query", "format", "lang", "q", "page", "sort", "default-graph-uri", "named-graph-uri", "output", "update"]

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60).map(
    lambda text: text.strip(" \t")
)
queries = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
    st.text(max_size=200),
)


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), query_timeout=3.0, client_seconds_per_minute=1000) as url:
        yield url


def _acceptable(response: httpx.Response) -> bool:
    return response.status_code < 500 or response.status_code == 503


@seed(20261202)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=queries, method=st.sampled_from(["GET", "POST-form", "POST-direct"]), accept=header_text)
def test_generated_queries_get_no_server_error(base: str, query: str, method: str, accept: str) -> None:
    with httpx.Client(timeout=30) as client:
        headers = {b"Accept": accept.encode("latin-1")}  # sent as the bytes they are
        if method == "GET":
            response = client.get(base + "sparql", params={"query": query}, headers=headers)
        elif method == "POST-form":
            response = client.post(base + "sparql", data={"query": query}, headers=headers)
        else:
            headers[b"Content-Type"] = b"application/sparql-query"
            response = client.post(base + "sparql", content=query.encode("utf-8", "surrogatepass"), headers=headers)
        response.read()  # a dropped connection raises here
    assert _acceptable(response), (query, response.status_code, response.text[:300])


@seed(20261202)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS),
    params=st.lists(st.tuples(st.sampled_from(PARAMS), st.text(max_size=40)), max_size=4),
    headers=st.dictionaries(
        st.sampled_from(["Accept", "Accept-Language", "If-None-Match", "Range", "Content-Type"]), header_text
    ),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)
def test_generated_requests_get_no_server_error(
    base: str, path: str, params: list[tuple[str, str]], headers: dict[str, str], method: str
) -> None:
    with httpx.Client(timeout=30) as client:
        raw = {name.encode(): value.encode("latin-1") for name, value in headers.items()}
        query: list[tuple[str, str | int | float | bool | None]] = list(params)
        response = client.request(method, base + path, params=query, headers=raw)
        response.read()
    assert _acceptable(response), (method, path, params, headers, response.status_code, response.text[:300])


def test_schemathesis_finds_no_server_error_in_the_openapi_description(base: str, tmp_path: Path) -> None:
    """schemathesis's own CLI against /openapi.json, every phase, for at most a minute."""
    command = [
        str(Path(sys.executable).with_name("st")), "run", base + "openapi.json", "--checks", "not_a_server_error",
        "--max-time", "60", "--seed", "20261202", "--request-timeout", "40", "--no-color",
    ]  # fmt: skip
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert re.search(r"(\d+) generated, \1 passed", run.stdout), run.stdout[-1500:]


def test_nothing_generated_reached_out() -> None:
    """Runs after the generated tests and schemathesis in this module (pytest keeps file order)."""
    assert LISTENER.connections == 0
