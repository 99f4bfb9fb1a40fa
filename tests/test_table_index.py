"""The tables' index (loaders/publish/tables/), published with the build, against the tables' own
SPARQL queries on the same build: for views of every kind — no filter, each facet, two facets,
each status, each range, a search's hits, each column sorted both ways, another language — the
count, every facet's counts and the page's rows in order are the ones the queries give. A table
page served with the index shows what one served without it shows."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from live_server import live_server

from loaders.core.queries import select_values
from loaders.core.vocab import PREFIXES
from loaders.publish.store import PublishedStore
from loaders.publish.tables import read
from loaders.publish.tables.read import TableIndex, open_indexes
from loaders.publish.tables.spec import STATUS, TABLES
from loaders.publish.tables.write import ROWS_FILE, TABLES_FOLDER
from server.backends.embedded.backend import EmbeddedBackend
from server.pages import browse as browsing

TODAY = "2026-06-01"


@pytest.fixture(scope="module")
def indexes(built: Any) -> dict[str, TableIndex]:
    published = PublishedStore(built.config.store_dir)
    found = open_indexes(published.dumps_dir(published.current().build_id) / TABLES_FOLDER, TABLES)
    assert found.keys() == TABLES.keys(), "published with the build"
    return found


def _select(store: ox.Store) -> browsing.Select:
    async def select(query: str, limit: int) -> list[browsing.Row]:
        solutions = store.query(query, prefixes=PREFIXES)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        return [{n: row[n] for n in names if isinstance(row[n], ox.NamedNode | ox.Literal)} for row in solutions][:limit]

    return select


def _some(store: ox.Store, query: str) -> str:
    return next(iter(select_values(store, query)))[0]


def _views(store: ox.Store) -> list[tuple[str, list[tuple[str, str]]]]:
    """(table, the page's parameters) for views of every kind."""
    programme = _some(store, "SELECT ?g (COUNT(?p) AS ?n) WHERE { ?p s3:programme ?g } GROUP BY ?g ORDER BY DESC(?n) ?g")
    country = _some(store, "SELECT ?c WHERE { ?o a s3:Organisation ; s3:country ?c } GROUP BY ?c ORDER BY DESC(COUNT(?o)) ?c")
    views: list[tuple[str, list[tuple[str, str]]]] = [
        ("Project", []),
        ("Project", [("programme", programme)]),
        ("Project", [("country", country)]),
        ("Project", [("region", "http://data.europa.eu/nuts/code/PL")]),
        ("Project", [("programme", programme), ("country", country)]),
        ("Project", [("programme", "https://example.org/no-such-programme")]),
        ("Project", [("budget_min", "1000000"), ("budget_max", "5e6")]),
        ("Project", [("start_from", "2019-01-01"), ("end_to", "2023-12-31")]),
        ("Organisation", []),
        ("Organisation", [("country", country)]),
        ("Organisation", [("programme", programme)]),
    ]
    views += [("Project", [("status", status)]) for status in STATUS]
    for name, table in TABLES.items():
        for column in table.columns:
            views += [(name, [("sort", column.name)]), (name, [("sort", column.name), ("order", "desc"), ("country", country)])]
    return views


def _view(name: str, params: list[tuple[str, str]], language: str = "en") -> browsing.View:
    return browsing.View.from_query(TABLES[name], params, language, TODAY)


def _expected(store: ox.Store, view: browsing.View, offset: int) -> tuple[int, dict[str, list[tuple[str, int]]], list[str]]:
    select = _select(store)
    total = asyncio.run(browsing.count(select, view))
    facets = asyncio.run(browsing.facets(select, view))
    rows = asyncio.run(browsing.rows(select, view, browsing.PAGE_SIZE, offset))
    return total, facets, [row["row"] for row in rows]


@pytest.fixture(scope="module")
def expected(built: Any) -> list[tuple[str, list[tuple[str, str]], tuple[int, dict[str, list[tuple[str, int]]], list[str]]]]:
    """Each view with what its queries give (asked once for the three ways of ordering below)."""
    return [(name, params, _expected(built.store, _view(name, params), 0)) for name, params in _views(built.store)]


@pytest.mark.parametrize("share", [read.SORTED_SHARE, 1, 10**9], ids=["as set", "order for all rows only", "order always"])
def test_every_kind_of_view_has_the_count_facets_and_rows_its_queries_give(
    expected: list[Any], indexes: dict[str, TableIndex], share: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's rows are read in a column's stored order when the view keeps most rows, else
    sorted: both ways give the query's rows."""
    monkeypatch.setattr(read, "SORTED_SHARE", share)
    for name, params, (total, facets, rows) in expected:
        answer = indexes[name].answer(_view(name, params).ask(), 0, browsing.PAGE_SIZE)
        assert answer.total == total, (name, params)
        assert answer.facets == facets, (name, params)
        assert answer.rows == rows, (name, params)
    assert any(total > 100 for _, _, (total, _, _) in expected)


def test_a_later_page_and_another_language_are_the_queries_too(built: Any, indexes: dict[str, TableIndex]) -> None:
    for language in ("en", "fr", "pl"):
        for offset in (50, 1000):
            view = _view("Project", [("sort", "label")], language)
            assert indexes["Project"].answer(view.ask(), offset, 50).rows == _expected(built.store, view, offset)[2]


def test_a_searchs_hits_are_kept_as_the_query_keeps_them(built: Any, indexes: dict[str, TableIndex]) -> None:
    hits = [row[0] for row in select_values(built.store, "SELECT ?p WHERE { ?p a s3:Project } ORDER BY DESC(?p) LIMIT 120")]
    view = replace(_view("Project", [("sort", "budget")]), words="any", found=(*hits, "https://example.org/not-a-row"))
    answer = indexes["Project"].answer(view.ask(), 0, 50)
    total, facets, rows = _expected(built.store, view, 0)
    assert (answer.total, answer.facets, answer.rows) == (total, facets, rows) and total == 120


def test_an_index_written_by_other_code_or_missing_is_not_read(built: Any, tmp_path: Path) -> None:
    published = PublishedStore(built.config.store_dir)
    folder = tmp_path / TABLES_FOLDER
    shutil.copytree(published.dumps_dir(published.current().build_id) / TABLES_FOLDER, folder)
    with sqlite3.connect(folder / "Project" / ROWS_FILE) as db:
        db.execute("PRAGMA user_version = 7")
    shutil.rmtree(folder / "Organisation")
    assert open_indexes(folder, TABLES) == {}


def test_a_page_served_with_the_index_shows_what_one_served_without_it_shows(built: Any, tmp_path: Path) -> None:
    """The same build served twice, the second copy without its index (read by SPARQL alone)."""
    shutil.copytree(built.config.store_dir, tmp_path / "store", symlinks=True)
    published = PublishedStore(tmp_path / "store")
    shutil.rmtree(published.dumps_dir(published.current().build_id) / TABLES_FOLDER)
    country = _some(
        built.store, "SELECT ?c WHERE { ?o a s3:Organisation ; s3:country ?c } GROUP BY ?c ORDER BY DESC(COUNT(?o)) ?c"
    )
    asked = [
        "browse/Project?sort=budget&order=desc",
        f"browse/Project?country={country}&status=completed&page=2",
        "browse/Project?page=9999",
        "browse/Organisation?sort=projects&order=desc",
    ]
    with (
        live_server(EmbeddedBackend(built.config.store_dir), workers=1) as indexed,
        live_server(EmbeddedBackend(tmp_path / "store"), workers=1) as plain,
    ):
        for path in asked:
            pages = [httpx.get(base + path, headers={"Accept-Language": "en"}, timeout=60) for base in (indexed, plain)]
            assert [p.status_code for p in pages] == [200, 200], path
            texts = [
                page.text.replace(base, "/").replace(base.replace("http://", "//"), "/")
                for page, base in zip(pages, (indexed, plain), strict=True)
            ]
            assert texts[0] == texts[1], path
