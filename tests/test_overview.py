"""The home page's build-wide figures (loaders/publish/overview.py), counted when a build is
published: what SPARQL says of the same build, and what a server shows without counting them
again (at 30 M triples each took seconds in every process that started: issue 26)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import live_server

from loaders.core.queries import select_values
from loaders.publish.figures import FIGURES_FILE, Figures
from loaders.publish.overview import OVERVIEW_FILE, count_overview, read_overview
from loaders.publish.store import PublishedStore
from server.backends.embedded.backend import EmbeddedBackend

EUR = "<http://publications.europa.eu/resource/authority/currency/EUR>"
# What SPARQL says of the build, each chart's rows largest first, then by IRI.
PER_PROGRAMME = "SELECT ?g (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p s3:programme ?g } GROUP BY ?g ORDER BY DESC(?n) ?g LIMIT 20"
BUDGETS = """SELECT ?g (SUM(?v) AS ?total) WHERE {{
    ?p {predicate} ?g ; s3:totalBudget ?b . ?b schema:value ?v ; s3:currency {eur} }} GROUP BY ?g ORDER BY DESC(?total) ?g"""
PARTNERS = "SELECT ?c (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a s3:Organisation ; s3:country ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"


def _overview_file(store_dir: Path) -> Path:
    published = PublishedStore(store_dir)
    return published.dumps_dir(published.current().build_id) / OVERVIEW_FILE


def _chart(store: Any, query: str) -> list[tuple[str, float]]:
    return [(iri, float(figure)) for iri, figure in select_values(store, query)]


def test_the_published_figures_are_what_sparql_counts_in_the_build(built: Any) -> None:
    path = _overview_file(built.config.store_dir)
    kept = read_overview(path)
    assert kept is not None, "published with the build"
    with Figures(path.with_name(FIGURES_FILE)) as figures:
        assert kept == count_overview(built.store, figures)
    for name in ("Project", "Organisation", "Programme", "S3Domain"):
        ((members,),) = select_values(built.store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a s3:{name} }}")
        assert kept.counts[name] == int(members) > 0, name
    assert kept.counts["Project"] > 4000
    assert kept.per_programme == [(iri, int(n)) for iri, n in select_values(built.store, PER_PROGRAMME)]
    for got, predicate in ((kept.by_programme, "s3:programme"), (kept.budgets, "s3:s3Domain")):
        expected = _chart(built.store, BUDGETS.format(predicate=predicate, eur=EUR))
        assert len(expected) > 1 and [iri for iri, _ in got] == [iri for iri, _ in expected], predicate
        assert [v for _, v in got] == pytest.approx([v for _, v in expected], rel=1e-9), predicate
    assert kept.by_country == _chart(built.store, PARTNERS)


def _home_count(base: str, name: str) -> str:
    found = re.search(rf"/browse/{name}\">[^<]+</a></th><td class=\"number\">([^<]+)</td>", httpx.get(base).text)
    assert found is not None, "the home page counts the class"
    return found.group(1).replace("\u202f", "")


def test_a_server_shows_the_published_figures_and_counts_them_itself_when_they_cannot_be_read(built: Any, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    shutil.copytree(built.config.store_dir, store_dir, symlinks=True)
    path = _overview_file(store_dir)
    kept = json.loads(path.read_text())
    projects = kept["counts"]["Project"]
    kept["counts"]["Project"] = 123456789  # not what the store says: shown only if read from the file
    path.unlink()  # a published file is shared between builds (hard links): replaced, never written in place
    path.write_text(json.dumps(kept))
    with live_server(EmbeddedBackend(store_dir), workers=1) as base:
        assert _home_count(base, "Project") == "123456789", "read from the build's file, not counted"
    path.unlink()
    path.write_text(json.dumps(kept)[:200])  # cut short
    with live_server(EmbeddedBackend(store_dir), workers=1) as base:
        assert _home_count(base, "Project") == str(projects), "counted from the store"
    path.unlink()  # a build published before there were published figures
    with live_server(EmbeddedBackend(store_dir), workers=1) as base:
        assert _home_count(base, "Project") == str(projects)
