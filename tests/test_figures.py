"""The fact sheets' figures (loaders/publish/figures.py), counted and ranked when a build is
published, against what SPARQL says of the same build: every programme's and region's projects
(and a region's organisations) — how many, and the first ones in order — so that a page reads
them by key instead of gathering every project on each request (issue 26)."""

from __future__ import annotations

import gc
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from live_server import live_server

from loaders.core.queries import select_values
from loaders.publish.figures import FIGURES_FILE, PROGRAMME_PROJECTS, REGION_ORGANISATIONS, REGION_PROJECTS, Figures
from loaders.publish.store import PublishedStore
from server.backends.embedded.backend import MemoryBackend
from server.backends.entities import EntityReader

NUTS = "http://data.europa.eu/nuts/code/"
REGIONS = ["PL", "PL9", "DEG", "DEG0", "BE2", "BE25", "SE", "CZ0", "ITH3"]


@pytest.fixture(scope="module")
def figures(built: Any) -> Figures:
    published = PublishedStore(built.config.store_dir)
    path = published.dumps_dir(published.current().build_id) / FIGURES_FILE
    assert path.is_file(), "published with the build"
    return Figures(path)


def _ranked(store: ox.Store, members: str) -> list[tuple[str, Decimal | None]]:
    """Members (?m) by total budget, largest first, those without one last, then by IRI: as SPARQL says."""
    rows = select_values(store, f"SELECT DISTINCT ?m ?b WHERE {{ {members} OPTIONAL {{ ?m s3:totalBudget/schema:value ?b }} }}")
    budgets: dict[str, Decimal | None] = {}
    for iri, budget in rows:
        value = Decimal(budget).quantize(Decimal("0.01")) if budget else None
        budgets[iri] = max(value, budgets[iri] or value) if budgets.get(iri) is not None and value is not None else value
    return sorted(budgets.items(), key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))


def _shown(figures: Figures, owner: str, kind: int, limit: int = 100) -> list[tuple[str, Decimal | None]]:
    return [(m.iri, m.budget) for m in figures.first(owner, kind, limit)]


def test_every_programme_counts_and_ranks_its_projects_as_sparql_does(built: Any, figures: Figures) -> None:
    programmes = [row[0] for row in select_values(built.store, "SELECT DISTINCT ?g WHERE { ?p s3:programme ?g }")]
    assert len(programmes) > 50
    for programme in programmes:
        expected = _ranked(built.store, f"?m s3:programme <{programme}> .")
        assert figures.total(programme, PROGRAMME_PROJECTS)[0] == len(expected), programme
        assert _shown(figures, programme, PROGRAMME_PROJECTS) == expected[:100], programme


def test_a_programmes_budget_is_the_sum_of_its_projects_to_the_cent(built: Any, figures: Figures) -> None:
    programme = "https://w3id.org/s3kg/id/programme/2014TC16M5TN001"
    budgets = _ranked(built.store, f"?m s3:programme <{programme}> .")
    assert figures.total(programme, PROGRAMME_PROJECTS)[1] == sum(b for _, b in budgets if b is not None)


@pytest.mark.parametrize("code", REGIONS)
def test_a_region_holds_what_is_placed_in_it_or_its_parts_and_the_projects_of_its_organisations(
    built: Any, figures: Figures, code: str
) -> None:
    region = NUTS + code
    places = f"?place skos:broader* <{region}> ."
    organisations = f"{places} ?m s3:region ?place ; a s3:Organisation ."
    projects = (
        f"{{ {places} ?m s3:region ?place ; a ?t FILTER (?t IN (s3:Project, s3:Portfolio)) }} UNION "
        f"{{ {places} ?o s3:region ?place ; a s3:Organisation . ?x s3:participant ?o . ?m s3:hasParticipation ?x }}"
    )
    expected = _ranked(built.store, projects)
    assert figures.total(region, REGION_PROJECTS)[0] == len(expected)
    assert _shown(figures, region, REGION_PROJECTS) == expected[:100]
    named = sorted(row[0] for row in select_values(built.store, f"SELECT DISTINCT ?m WHERE {{ {organisations} }}"))
    assert figures.total(region, REGION_ORGANISATIONS)[0] == len(named)
    assert [m.iri for m in figures.first(region, REGION_ORGANISATIONS, 100)] == named[:100]


def test_the_figures_hold_something_to_check(figures: Figures) -> None:
    assert figures.total(NUTS + "DEG", REGION_PROJECTS)[0] > 2000  # Thüringen's ESF operations
    assert figures.total(NUTS + "PL", REGION_ORGANISATIONS)[0] > 100


def test_a_build_published_without_figures_has_them_made_from_its_store(built: Any, figures: Figures) -> None:
    data = built.store.dump(format=ox.RdfFormat.N_QUADS)
    reader = EntityReader(MemoryBackend(data, "no-figures"))
    made = reader.figures()
    assert made.path != figures.path and made.path.is_file()
    for owner, kind in [
        (NUTS + "DEG0", REGION_PROJECTS),
        ("https://w3id.org/s3kg/id/programme/2014TC16M5TN001", PROGRAMME_PROJECTS),
    ]:
        assert made.total(owner, kind) == figures.total(owner, kind) and made.first(owner, kind, 20) == figures.first(
            owner, kind, 20
        )
    assert reader.figures() is made, "made once per build"
    path = made.path
    del reader, made
    gc.collect()
    assert not path.exists(), "the temporary figures leave with their reader"


def test_only_the_sheets_that_show_figures_make_them(built: Any) -> None:
    """A build without figures: a project's page does not make them; a programme's page does, once."""
    label = f"lazy-figures-{os.getpid()}"

    def made() -> list[Path]:
        return list(Path(tempfile.gettempdir()).glob(f"s3kg-figures-*-{label}.sqlite"))

    try:
        with live_server(MemoryBackend(built.store.dump(format=ox.RdfFormat.N_QUADS), label), workers=1) as base:
            page = httpx.get(base + "id/project/gotos3", headers={"Accept": "text/html"}, timeout=60)
            assert page.status_code == 200 and made() == []
            page = httpx.get(base + "id/programme/2014TC16M5TN001", headers={"Accept": "text/html"}, timeout=60)
            assert page.status_code == 200 and len(made()) == 1
    finally:
        for path in made():
            path.unlink()
