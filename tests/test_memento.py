"""Memento (RFC 7089) over the kept builds: TimeGate at the entity IRI, mementos, TimeMaps."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import format_datetime

import httpx
import pytest
from conftest import make_config
from live_server import live_server
from rdflib import Graph, Literal, URIRef
from seed_data import copy_seed_data

from loaders.build import build
from loaders.publish.store import BuildInfo
from server.backends.embedded.backend import EmbeddedBackend
from server.pages.memento import published_at

TEXTILES = "id/concept/gotos3-domains/textiles"
LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
NEW_PLACE = """
- type: place
  id: besancon
  label: {fr: "Besançon"}
  country: FRA
  source: [seed-004]
  passages:
    - {quote: "(including FEMTO-ST)", fields: [label, country], status: inferred, reason: {en: "FEMTO-ST is in Besançon."}}
"""
GONE_PLACE = NEW_PLACE.replace("besancon", "dole").replace("Besançon", "Dole")  # in the first build only


@dataclass(frozen=True)
class Versions:
    base: str
    first: BuildInfo
    second: BuildInfo


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Versions]:
    root = tmp_path_factory.mktemp("memento")
    data = root / "data"
    copy_seed_data(data)
    config = make_config(root, data_dir=data, sources_file=data / "sources.yaml")
    concepts, places = data / "curated" / "concepts.yaml", data / "curated" / "organisations.yaml"
    original = places.read_text(encoding="utf-8")
    places.write_text(original + GONE_PLACE, encoding="utf-8")
    first, _ = build(config)
    time.sleep(1.1)  # HTTP dates have whole seconds
    concepts.write_text(concepts.read_text(encoding="utf-8").replace('fr: "Textile"}', 'fr: "Textiles"}'), encoding="utf-8")
    places.write_text(original + NEW_PLACE, encoding="utf-8")
    second, _ = build(config)
    with live_server(EmbeddedBackend(config.store_dir), workers=1) as base:
        yield Versions(base, first, second)


def _http_date(info: BuildInfo) -> str:
    return format_datetime(published_at(info), usegmt=True)


def _french_labels(response: httpx.Response, path: str) -> set[str]:
    labels = Graph().parse(data=response.text, format="turtle").objects(URIRef(f"https://w3id.org/s3kg/{path}"), LABEL)
    return {str(o) for o in labels if isinstance(o, Literal) and o.language == "fr"}


def test_the_entity_iri_is_its_own_timegate(versions: Versions) -> None:
    answer = httpx.get(versions.base + TEXTILES, headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and "Accept-Datetime" in answer.headers["vary"]
    assert f'<{versions.base}{TEXTILES}>; rel="original timegate"' in answer.headers["link"]
    assert f'<{versions.base}timemap/{TEXTILES}>; rel="timemap"; type="application/link-format"' in answer.headers["link"]


@pytest.mark.parametrize(("which", "label"), [("first", "Textile"), ("second", "Textiles")])
def test_accept_datetime_leads_to_the_document_as_it_was(versions: Versions, which: str, label: str) -> None:
    info: BuildInfo = getattr(versions, which)
    gate = httpx.get(versions.base + TEXTILES, headers={"Accept-Datetime": _http_date(info)})
    assert gate.status_code == 302 and gate.headers["vary"] == "Accept-Datetime"
    assert gate.headers["location"] == f"{versions.base}versions/{info.build_id}/{TEXTILES}"
    memento = httpx.get(gate.headers["location"], headers={"Accept": "text/turtle"})
    assert memento.status_code == 200
    assert memento.headers["memento-datetime"] == _http_date(info)
    assert 'rel="original timegate"' in memento.headers["link"] and 'rel="memento"' in memento.headers["link"]
    assert _french_labels(memento, TEXTILES) == {label}


def test_the_timemap_lists_a_memento_per_kept_build_that_describes_the_entity(versions: Versions) -> None:
    timemap = httpx.get(versions.base + "timemap/" + TEXTILES)
    assert timemap.status_code == 200 and timemap.headers["content-type"].startswith("application/link-format")
    mementos = re.findall(r'<([^>]+)>; rel="(first memento|last memento|memento)"; datetime="([^"]+)"', timemap.text)
    assert [(rel, when) for _, rel, when in mementos] == [
        ("first memento", _http_date(versions.first)),
        ("last memento", _http_date(versions.second)),
    ]
    only_new = httpx.get(versions.base + "timemap/id/place/besancon")
    assert re.findall(r'rel="([a-z ]*memento)"', only_new.text) == ["first last memento"]
    assert httpx.get(f"{versions.base}versions/{versions.first.build_id}/id/place/besancon").status_code == 404


def test_a_time_before_the_first_kept_build_leads_to_the_first_memento(versions: Versions) -> None:
    early = httpx.get(versions.base + TEXTILES, headers={"Accept-Datetime": "Mon, 01 Jan 2018 00:00:00 GMT"})
    assert (
        early.status_code == 302 and early.headers["location"] == f"{versions.base}versions/{versions.first.build_id}/{TEXTILES}"
    )


def test_an_entity_the_published_build_dropped_is_gone_with_its_last_memento_linked(versions: Versions) -> None:
    memento = f"{versions.base}versions/{versions.first.build_id}/id/place/dole"
    for accept in ("text/turtle", "application/ld+json", "text/html"):
        gone = httpx.get(versions.base + "id/place/dole", headers={"Accept": accept, "Accept-Language": "fr"})
        assert gone.status_code == 410, accept
        assert f'<{memento}>; rel="last memento"' in gone.headers["link"] and 'rel="timemap"' in gone.headers["link"]
    assert "Cette entité a été retirée" in gone.text and f'href="{memento}"' in gone.text
    assert httpx.get(memento, headers={"Accept": "text/turtle"}).status_code == 200
    assert httpx.get(versions.base + "id/place/never-was").status_code == 404  # never described: not gone


def test_times_and_versions_that_do_not_exist_are_refused_with_the_range_that_does(versions: Versions) -> None:
    bad = httpx.get(versions.base + TEXTILES, headers={"Accept-Datetime": "last Tuesday"})
    assert bad.status_code == 400 and "is not an HTTP date" in bad.text
    unknown = httpx.get(versions.base + "versions/19990101T000000Z/" + TEXTILES)
    assert unknown.status_code == 404 and versions.second.build_id in unknown.text
    assert httpx.get(versions.base + "timemap/id/project/no-such-project").status_code == 404


def test_a_mementos_passages_point_at_the_documents_its_build_quoted(versions: Versions) -> None:
    memento = f"{versions.base}versions/{versions.first.build_id}/{TEXTILES}"
    page = httpx.get(memento, headers={"Accept": "text/html"}).text
    links = set(re.findall(r'<a class="passage" href="([^"#]+)#char=(\d+),(\d+)"', page))
    assert links and {href for href, _, _ in links} == {f"/versions/{versions.first.build_id}/sources/seed-000"}
    href, start, end = next(iter(links))
    text = httpx.get(versions.base + href.lstrip("/"), headers={"Accept": "text/plain"})
    assert text.status_code == 200 and text.text[int(start) : int(end)] == "Textiel"
    gone = httpx.get(f"{versions.base}versions/19990101T000000Z/sources/seed-000")
    assert gone.status_code == 404 and "the kept versions are" in gone.text
