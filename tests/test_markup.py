"""Entity pages carry schema.org markup of what their fact sheet shows, in the reader's language:
read here as JSON-LD by pyoxigraph (as a search engine would read it, offline) from a live server
over the real default build, each value checked against SPARQL over the same store."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from loaders.core.queries import select_values

SDO = "https://schema.org/"
FABLABNET = "https://w3id.org/s3kg/id/project/keep-interreg-vb-central-europe-2014-2020-fablabnet"
MUSE = "https://w3id.org/s3kg/id/organisation/keep-id-muse-science-museum-ita"
ELBE = "https://w3id.org/s3kg/id/project/keep-interreg-v-a-germany-saxony-czech-republic-2014-2020-elbe-ruderakademie"


def _markup(site: str, iri: str, language: str = "en") -> tuple[dict[str, Any], ox.Store]:
    path = iri.split("/s3kg/", 1)[1]
    page = httpx.get(site + path, params={"lang": language}, headers={"Accept": "text/html"}).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block is not None
    store = ox.Store()
    store.load(block.group(1).encode(), format=ox.RdfFormat.JSON_LD)
    return json.loads(block.group(1)), store


def _objects(store: ox.Store, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> list[Any]:
    return [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(SDO + predicate), None)]


def test_a_project_names_its_partners_places_and_funding_in_the_readers_language(site: str, built: Any) -> None:
    data, store = _markup(site, FABLABNET, "fr")
    project = ox.NamedNode(FABLABNET)
    assert _objects(store, project, "name")[0].value == "FabLabNet"
    partners = _objects(store, project, "member")
    query = f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ <{FABLABNET}> s3:hasParticipation/s3:participant ?o }}"
    assert len(partners) == int(next(iter(select_values(built.store, query)))[0]) == 9
    countries = {_objects(store, _objects(store, p, "address")[0], "addressCountry")[0].value for p in partners}
    assert "Italie" in countries  # the reader's language
    grant = _objects(store, project, "funding")[0]
    eu = f"SELECT ?v WHERE {{ <{FABLABNET}> s3:euContribution/schema:value ?v }}"
    amount = _objects(store, grant, "amount")[0]
    assert float(_objects(store, amount, "value")[0].value) == pytest.approx(float(next(iter(select_values(built.store, eu)))[0]))
    assert _objects(store, _objects(store, grant, "funder")[0], "name")[0].value == "Interreg V-B - Central Europe"
    places = {p["url"].rsplit("/", 1)[-1] for p in data["location"]}
    assert "ITH20" in places or "ITH2" in places


def test_a_description_is_the_readers_language_where_the_source_has_it(site: str) -> None:
    german, _ = _markup(site, ELBE, "de")
    english, _ = _markup(site, ELBE, "en")
    assert german["description"].startswith("Das Ziel des Vorhabens")
    assert german["description"] != english["description"]


def test_an_organisation_names_its_projects_and_country(site: str) -> None:
    data, _ = _markup(site, MUSE, "nl")
    assert data["@type"] == "Organization"
    assert {"@type": "Project", "name": "FabLabNet", "url": site + FABLABNET.split("/s3kg/", 1)[1]} in data["memberOf"]
    assert data["address"]["addressCountry"] == "Italië"


def test_a_region_names_the_regions_it_is_part_of(site: str) -> None:
    page = httpx.get(site + "region/DEG01", headers={"Accept": "text/html"}).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["@type"] == "AdministrativeArea"
    assert {p["url"].rsplit("/", 1)[-1] for p in data["containedInPlace"]} >= {"DEG0", "DE"}


def test_the_other_formats_are_named_in_the_readers_language(site: str) -> None:
    page = httpx.get(site + "id/project/gotos3", params={"lang": "fr"}, headers={"Accept": "text/html"}).text
    assert ">page HTML</a>" in page and "TriG (chaque déclaration dans le graphe de sa source)" in page
