"""The endpoint and the entity IRIs with clients nobody on the project wrote, unchanged:
SPARQLWrapper (every return format × query form × method), rdflib parsing entity IRIs by URL in
every format it names, and pyld expanding entity IRIs by URL."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from live_server import live_server
from pyld import jsonld
from rdflib import Dataset, Graph
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper

from loaders.core.vocab import PREFIXES
from server.backends.embedded.backend import EmbeddedBackend
from server.web.languages import PAGE_LANGUAGES
from server.web.templates import MESSAGES

ENTITY = "id/project/gotos3"
CURATED = "GRAPH <https://w3id.org/s3kg/id/graph/curated-projects>"  # the seeds' four projects, of thousands
SELECT = f"SELECT ?a WHERE {{ {CURATED} {{ ?p s3:acronym ?a }} }} ORDER BY ?a"
ASK = 'ASK { ?p s3:acronym "GoToS3" }'
CONSTRUCT = f"CONSTRUCT {{ ?p s3:acronym ?a }} WHERE {{ {CURATED} {{ ?p s3:acronym ?a }} }}"
DESCRIBE = "DESCRIBE <https://w3id.org/s3kg/id/project/gotos3>"
METHODS = {"GET": (GET, URLENCODED), "POST form": (POST, URLENCODED), "POST direct": (POST, POSTDIRECTLY)}


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), client_concurrency=8) as url:
        yield url


def _ask(base: str, query: str, fmt: str, method: str) -> Any:
    client = SPARQLWrapper(base + "sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(METHODS[method][0])
    client.setRequestMethod(METHODS[method][1])
    return client.query().convert()


def _graph(result: Any, fmt: str) -> Graph:
    if isinstance(result, Graph):
        return result
    if isinstance(result, dict | list):  # JSON-LD that SPARQLWrapper decoded as JSON
        return Graph().parse(data=json.dumps(result), format="json-ld")
    text = result.decode("utf-8") if isinstance(result, bytes) else str(result)
    return Graph().parse(data=text, format={TURTLE: "turtle", N3: "n3", JSONLD: "json-ld"}.get(fmt, "xml"))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_results_format(base: str, fmt: str, method: str) -> None:
    result = _ask(base, SELECT, fmt, method)
    if fmt == JSON:
        values = [b["a"]["value"] for b in result["results"]["bindings"]]
    elif fmt == XML:
        values = [n.firstChild.data for n in result.getElementsByTagName("literal")]
    else:
        values = [line.strip('"') for line in result.decode("utf-8").splitlines()[1:]]
    assert "GoToS3" in values and len(values) == 4


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_ask_in_every_results_format(base: str, fmt: str, method: str) -> None:
    result = _ask(base, ASK, fmt, method)
    if fmt in (CSV, TSV):  # one word, as Oxigraph writes it
        value = result.decode("utf-8").strip() == "true"
    else:
        value = result["boolean"] if fmt == JSON else result.getElementsByTagName("boolean")[0].firstChild.data == "true"
    assert value is True


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD, XML, JSON])
@pytest.mark.parametrize(("query", "least"), [(CONSTRUCT, 4), (DESCRIBE, 10)], ids=["construct", "describe"])
def test_sparqlwrapper_graphs_in_every_rdf_format(base: str, query: str, least: int, fmt: str, method: str) -> None:
    graph = _graph(_ask(base, query, fmt, method), fmt)
    assert len(graph) >= least


FORMATS = ["nt", "n3", "turtle", "xml", "json-ld"]


def _entity_triples(base: str, fmt: str) -> set[Any]:
    return set(Graph().parse(base + ENTITY, format=fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_rdflib_parses_an_entity_iri_in_every_format_with_the_same_statements(base: str, fmt: str) -> None:
    turtle = _entity_triples(base, "turtle")
    assert len(turtle) > 50
    assert _entity_triples(base, fmt) == turtle


@pytest.mark.parametrize(("fmt", "address"), [("nquads", ENTITY + ".nq"), ("trig", ENTITY)])
def test_quad_documents_carry_every_statement_of_the_triple_ones(base: str, fmt: str, address: str) -> None:
    """(rdflib asks for N-Quads with no Accept of its own, so that one is fetched by its extension.)"""
    dataset = Dataset()
    dataset.parse(base + address, format=fmt)
    triples = {(s, p, o) for s, p, o, _ in dataset.quads()}
    assert triples == _entity_triples(base, "turtle")
    assert len({g for *_, g in dataset.quads() if g is not None}) > 1  # the sources' graphs are kept


def test_pyld_expands_an_entity_iri_and_compacts_with_its_context(base: str) -> None:
    expanded = jsonld.expand(base + ENTITY)
    subjects = {node["@id"] for node in expanded}
    assert "https://w3id.org/s3kg/id/project/gotos3" in subjects
    document = jsonld.get_document_loader()(base + ENTITY, {})["document"]  # pyld's own Accept
    assert document["@context"]["s3"] == "https://w3id.org/s3kg/ontology#"
    assert any(key.startswith("s3:") for node in document.get("@graph", [document]) for key in node)


def test_head_answers_wherever_get_does(base: str) -> None:
    for path in ["", "sparql", "catalog", "dumps/", ENTITY, "browse/Project", "search?q=x", "ontology", ".well-known/void"]:
        got, head = httpx.get(base + path), httpx.head(base + path)
        assert head.status_code == got.status_code == 200, path
        assert head.headers["content-type"] == got.headers["content-type"] and head.content == b"", path


def test_gzip_dumps_are_served_as_gzip_with_their_name_inside_and_304(base: str) -> None:
    listing = httpx.get(base + "dumps/", headers={"Accept": "application/json"}).json()["files"]
    for entry in [d for d in listing if d["name"].endswith(".gz")]:
        url = base + "dumps/" + entry["name"]
        response = httpx.get(url)
        assert response.headers["content-type"] == "application/gzip" and "content-encoding" not in response.headers
        assert gzip.decompress(response.content)  # the bytes are the gzip file itself
        flags, rest = response.content[3], response.content[10:]
        assert flags & 0x08 and rest.split(b"\0", 1)[0].decode() == entry["name"].removesuffix(".gz")  # gunzip -N
        again = httpx.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        part = httpx.get(url, headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and part.content == response.content[:10]
        assert part.headers["etag"] == response.headers["etag"]


@pytest.mark.parametrize("path", ["catalog", ".well-known/void"])
def test_catalogue_and_void_have_a_page_for_browsers_and_text_for_plain_clients(base: str, path: str) -> None:
    page = httpx.get(base + path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<pre>" in page.text and ("dcat:" in page.text or "void:" in page.text)
    text = httpx.get(base + path, headers={"Accept": "text/plain"})
    assert text.headers["content-type"].startswith("text/plain") and len(Graph().parse(data=text.text, format="turtle")) > 5
    assert len(Graph().parse(base + path, format="turtle")) > 5  # rdflib by URL


def test_the_page_says_the_language_it_is_written_in(base: str) -> None:
    page = httpx.get(base + ENTITY, headers={"Accept": "text/html", "Accept-Language": "de, fr;q=0.9"})
    assert page.headers["content-language"] == "fr" and '<html lang="fr">' in page.text
    assert "Déclarations sur" in page.text
    other = httpx.get(base + ENTITY, headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert other.headers["etag"] != page.headers["etag"]  # labels follow the whole list: another variant


@pytest.mark.parametrize(
    ("lang", "caption"),
    [
        ("en", "Statements about"),
        ("nl", "Uitspraken over"),
        ("fr", "Déclarations sur"),
        ("sv", "Påståenden om"),
        ("pl", "Stwierdzenia o"),
    ],
)
def test_page_text_is_translated_for_every_language_pages_offer(base: str, lang: str, caption: str) -> None:
    page = httpx.get(base + ENTITY, params={"lang": lang}, headers={"Accept": "text/html"})
    assert f"<caption>{caption} " in page.text and page.headers["content-language"] == lang


def test_every_template_text_has_every_language() -> None:
    templates = Path(__file__).resolve().parent.parent / "server" / "pages" / "templates"
    used = {m for t in templates.glob("*.html") for m in re.findall(r'\bt\("([^"]+)"\)', t.read_text(encoding="utf-8"))}
    assert used and used <= set(MESSAGES), sorted(used - set(MESSAGES))
    missing = {text: [lang for lang in PAGE_LANGUAGES[1:] if not MESSAGES[text].get(lang)] for text in MESSAGES}
    assert not {text: langs for text, langs in missing.items() if langs}


def test_example_queries_declare_their_prefixes_and_run_in_any_client(base: str, built: Any) -> None:
    def answer(result: Any) -> object:
        return bool(result) if isinstance(result, ox.QueryBoolean) else sorted(str(list(row)) for row in result)

    examples = httpx.get(base + "examples.json").json()
    assert len(examples) >= 40
    for example in examples:
        assert example["query"].startswith("PREFIX "), example["id"]
        alone = answer(built.store.query(example["query"]))  # no prefixes given: a client that knows none of ours
        assert alone == answer(built.store.query(example["query"], prefixes=PREFIXES)), example["id"]


def test_the_http_api_is_described_offline(base: str) -> None:
    description = httpx.get(base + "openapi.json").json()
    sparql = description["paths"]["/sparql"]["get"]
    assert {p["name"] for p in sparql["parameters"]} >= {"query", "default-graph-uri", "named-graph-uri", "format"}
    assert "application/sparql-query" in description["paths"]["/sparql"]["post"]["requestBody"]["content"]
    assert httpx.get(base + "docs").status_code == 404  # no page that needs a CDN
