"""Dumps, the DCAT-AP catalogue record, VoID and the sitemap on a live server."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from conftest import PROJECT
from live_server import live_server
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH, VOID

from loaders.publish import dumps as dump
from loaders.publish import triple_dumps
from server.backends.embedded.backend import EmbeddedBackend

REFERENCE = PROJECT / "data" / "reference"


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url


def _dcat_ap_shapes() -> tuple[Graph, int]:
    """The official shapes. The 3.0.1 release's files refer to a few property shapes that neither
    file defines (pyshacl refuses dangling references); those references are dropped and counted."""
    shapes = Graph().parse(REFERENCE / "dcat-ap-3.0.1-SHACL.ttl").parse(REFERENCE / "dcat-ap-3.0.1-ranges.ttl")
    dangling = [(s, o) for s, o in shapes.subject_objects(SH.property) if (o, SH.path, None) not in shapes]
    for pair in dangling:
        shapes.remove((pair[0], SH.property, pair[1]))
    return shapes, len(dangling)


def test_catalogue_record_conforms_to_dcat_ap_3(base: str) -> None:
    record = Graph().parse(data=httpx.get(base + "catalog", headers={"Accept": "text/turtle"}).text, format="turtle")
    shapes, dangling = _dcat_ap_shapes()
    assert dangling <= 5
    conforms, _, text = validate(record, shacl_graph=shapes, inference="none", allow_warnings=True)
    assert conforms, text
    datasets = list(record.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 1
    assert len(list(record.objects(datasets[0], DCAT.distribution))) == 4
    assert (None, DCAT.endpointURL, URIRef(base + "sparql")) in record


def test_dcat_ap_check_can_fail(base: str) -> None:
    record = Graph().parse(data=httpx.get(base + "catalog", headers={"Accept": "text/turtle"}).text, format="turtle")
    record.remove((None, URIRef("http://purl.org/dc/terms/title"), None))
    shapes, _ = _dcat_ap_shapes()
    conforms, _, _ = validate(record, shacl_graph=shapes, inference="none", allow_warnings=True)
    assert not conforms


def test_dumps_are_listed_with_checksums_and_served_with_ranges(base: str) -> None:
    listing = httpx.get(base + "dumps/", headers={"Accept": "application/json"}).json()
    assert "CC BY 4.0" in listing["licence"]
    files = {f["name"]: f for f in listing["files"]}
    assert set(files) == {"s3kg.nt.gz", "s3kg.nq.gz", "s3kg.ttl", "s3kg.jsonld"}
    turtle = httpx.get(base + "dumps/s3kg.ttl")
    assert turtle.status_code == 200 and hashlib.sha256(turtle.content).hexdigest() == files["s3kg.ttl"]["sha256"]
    part = httpx.get(base + "dumps/s3kg.ttl", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == turtle.content[:100]
    assert httpx.get(base + "dumps/../../etc/passwd").status_code == 404
    page = httpx.get(base + "dumps/", headers={"Accept": "text/html"}).text
    assert "s3kg.nq.gz" in page and "CC BY 4.0" in page


def test_void_names_endpoint_dumps_and_graphs(base: str) -> None:
    void = Graph().parse(data=httpx.get(base + ".well-known/void", headers={"Accept": "text/turtle"}).text, format="turtle")
    dataset = next(void.subjects(VOID.sparqlEndpoint, URIRef(base + "sparql")))
    assert len(list(void.objects(dataset, VOID.dataDump))) == 4
    assert len(list(void.objects(dataset, VOID.subset))) >= 8


def test_sitemap_lists_entity_pages(base: str) -> None:
    sitemap = httpx.get(base + "sitemap.xml").text
    assert f"<loc>{base}id/project/gotos3</loc>" in sitemap
    assert sitemap.count("<url>") > 100


def test_dumps_are_written_by_every_build(built: Any) -> None:
    folder = Path(built.config.store_dir) / "builds" / f"{built.info.build_id}.dumps"
    assert {p.name for p in folder.iterdir()} >= {"s3kg.nt.gz", "s3kg.nq.gz", "s3kg.ttl", "s3kg.jsonld", "manifest.json"}


def test_the_dumps_hold_exactly_their_graphs_whatever_the_bucket_size(
    built: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(triple_dumps, "TRIPLES_PER_BUCKET", 997)  # many buckets, in every graph of some size
    store = ox.Store.read_only(str(built.info.path))
    dump.write_dumps(store, tmp_path)
    written = set(ox.parse(gzip.decompress((tmp_path / "s3kg.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS))
    expected = {q for g in store.named_graphs() for q in store.quads_for_pattern(None, None, None, g)}
    assert written == expected and len(expected) > 1000
    triples = {q.triple for q in ox.parse(gzip.decompress((tmp_path / "s3kg.nt.gz").read_bytes()), format=ox.RdfFormat.N_TRIPLES)}
    assert triples == {q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}


def test_the_record_and_the_home_page_give_the_version_and_the_same_suggested_citation(base: str, built: Any) -> None:
    record = Graph().parse(data=httpx.get(base + "catalog", headers={"Accept": "text/turtle"}).text, format="turtle")
    dataset = next(record.subjects(RDF.type, DCAT.Dataset))
    version = built.info.version
    assert [str(v) for v in record.objects(dataset, URIRef("http://www.w3.org/ns/dcat#version"))] == [str(version)]
    notes = [str(n) for n in record.objects(dataset, URIRef("http://www.w3.org/ns/adms#versionNotes"))]
    assert len(notes) == 1 and notes[0].startswith(f"Version {version} (build {built.info.build_id})")
    cited = [str(c) for c in record.objects(dataset, URIRef("http://purl.org/dc/terms/bibliographicCitation"))]
    assert len(cited) == 1 and f"version {version} (build {built.info.build_id}" in cited[0] and base in cited[0]
    home = httpx.get(base, headers={"Accept": "text/html"}).text
    assert html.escape(cited[0], quote=False) in home


def test_the_record_says_compression_landing_page_languages_and_issue_date(base: str, built: Any) -> None:
    record = Graph().parse(data=httpx.get(base + "catalog", headers={"Accept": "text/turtle"}).text, format="turtle")
    dataset = next(record.subjects(RDF.type, DCAT.Dataset))
    gzip_type = URIRef("http://www.iana.org/assignments/media-types/application/gzip")
    compressed = {str(d).rsplit("#", 1)[-1] for d in record.subjects(DCAT.compressFormat, gzip_type)}
    assert compressed == {"s3kg.nt.gz", "s3kg.nq.gz"}
    assert list(record.objects(dataset, DCAT.landingPage)) == [URIRef(base)]
    languages = {str(code).rsplit("/", 1)[-1] for code in record.objects(dataset, DCTERMS.language)}
    assert {"ENG", "DEU", "FRA", "NLD", "POL", "SWE"} <= languages
    assert [str(d) for d in record.objects(dataset, DCTERMS.issued)] == [built.info.created[:10]]


def _json_ld(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found is not None, "the page embeds JSON-LD"
    return dict(json.loads(found.group(1)))


def test_the_home_page_and_the_catalogue_page_describe_the_dataset_for_search_engines(base: str, built: Any) -> None:
    manifest = json.loads((built.config.store_dir / "builds" / f"{built.info.build_id}.dumps" / "manifest.json").read_text())
    for path in ("", "catalog"):
        dataset = _json_ld(httpx.get(base + path, headers={"Accept": "text/html"}).text)
        assert dataset["@context"] == "https://schema.org" and dataset["@type"] == "Dataset"
        assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/" and len(dataset["description"]) >= 50
        assert [d["contentUrl"] for d in dataset["distribution"]] == [f"{base}dumps/{d['name']}" for d in manifest]
        assert dataset["version"] == str(built.info.version) and dataset["dateModified"] == built.info.created[:10]


def test_publication_pages_have_the_site_navigation_and_the_readers_language(base: str) -> None:
    for path, heading in [
        ("catalog", "Opis zbioru danych"),
        ("dumps/", "Zrzuty opublikowanej wersji"),
        ("versions/", "Zachowane wersje"),
    ]:
        page = httpx.get(base + path, headers={"Accept": "text/html", "Accept-Language": "pl"}).text
        assert '<html lang="pl">' in page and '<a href="/map">' in page and heading in page, path
    catalogue = httpx.get(base + "catalog", headers={"Accept": "text/html"}).text
    assert "<pre>" in catalogue and catalogue.index('<dl class="facts">') < catalogue.index("<pre>")  # facts first


def test_the_first_versions_added_triples_are_its_quads_dump(base: str, built: Any) -> None:
    assert built.info.version == 1
    kept = f"{base}versions/{built.info.build_id}"
    answer = httpx.get(kept + "/changes/added")
    assert answer.status_code == 303 and answer.headers["location"] == f"/versions/{built.info.build_id}/dumps/s3kg.nq.gz"
    added = httpx.get(kept + "/changes/added", follow_redirects=True)
    quads = list(ox.parse(gzip.decompress(added.content), format=ox.RdfFormat.N_QUADS))
    assert len(quads) >= httpx.get(kept + "/changes").json()["sources"][0]["added"] > 0
    assert sum(s["added"] for s in httpx.get(kept + "/changes").json()["sources"]) <= len(quads)
