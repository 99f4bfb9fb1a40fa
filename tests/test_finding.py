"""Finding things without SPARQL, on a live server over a real build: ranked search with facets,
JSON and OpenSearch; the project table with facets, sorting, CSV and XLSX and its query;
values on entity pages (the map: tests/test_map.py)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from live_server import live_server
from openpyxl import load_workbook

from loaders.core.queries import select_values
from loaders.publish.tables.spec import TABLES
from server.backends.embedded.backend import EmbeddedBackend
from server.pages.browse import BadFacet, View

NUTS = "http://data.europa.eu/nuts/code/"
DOWNLOAD = 60  # seconds: a whole table (5,000 projects and their 11,000 partners) is heavier than a page


@pytest.fixture(scope="module")
def base(built: Any) -> Iterator[str]:
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url


def _search(base: str, **params: str) -> dict[str, Any]:
    answer = httpx.get(base + "search", params={**params, "format": "json"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    return dict(answer.json())


def test_search_ranks_one_hit_per_entity_with_its_label_in_the_readers_language(base: str) -> None:
    found = _search(base, q="textiles", lang="nl")
    iris = [hit["iri"] for hit in found["hits"]]
    assert len(iris) == len(set(iris)), "one hit per entity"
    first = found["hits"][0]
    assert first["label"] == "Textiel" and first["lang"] == "nl"
    scores = [hit["score"] for hit in found["hits"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query", ["specialisation smart strategy", "SMART Specialisation", "spécialisation intelligente"])
def test_search_is_free_of_word_order_case_and_accents(base: str, query: str) -> None:
    assert _search(base, q=query)["total"] >= 3


def test_search_counts_hits_by_type_and_filters_by_one(base: str) -> None:
    found = _search(base, q="wallon")
    assert found["facets"]["Strategy"] >= 1 and found["total"] == sum(found["facets"].values())
    only = _search(base, q="wallon", type="Strategy")
    assert only["total"] == found["facets"]["Strategy"] and {h["type"] for h in only["hits"]} == {"Strategy"}


def test_search_syntax_in_the_query_is_taken_as_words(base: str) -> None:
    for query in ['"unbalanced', "NEAR(a b)", "a OR", "*", "label:x", "); DROP TABLE entities; --"]:
        assert isinstance(_search(base, q=query)["total"], int)


def test_opensearch_description_names_the_html_and_json_searches(base: str) -> None:
    answer = httpx.get(base + "opensearch.xml")
    assert answer.headers["content-type"].startswith("application/opensearchdescription+xml")
    assert 'search?q={searchTerms}&amp;format=json"' in answer.text
    assert 'rel="search" type="application/opensearchdescription+xml"' in httpx.get(base).text


def _table(base: str, **params: str) -> list[dict[str, str]]:
    answer = httpx.get(base + "browse/Project", params={**params, "format": "csv"}, timeout=DOWNLOAD)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def _sparql(base: str, query: str) -> list[dict[str, str]]:
    answer = httpx.post(base + "sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]


def _projects(base: str, pattern: str = "") -> set[str]:
    return {row["p"] for row in _sparql(base, f"SELECT DISTINCT ?p WHERE {{ ?p a s3:Project . {pattern} }}")}


def test_the_project_table_filters_by_facets_and_sorts_by_a_column(base: str) -> None:
    everything = _table(base)
    assert {row["iri"] for row in everything} == _projects(base) and len(everything) > 4000
    by_budget = _table(base, sort="budget", order="desc")
    largest = _sparql(base, "SELECT (MAX(?v) AS ?m) WHERE { ?p a s3:Project ; s3:totalBudget/schema:value ?v }")[0]["m"]
    assert float(by_budget[0]["budget"]) == float(largest)
    programme = "https://w3id.org/s3kg/id/programme/2014TC16M5TN001"
    baltic = _table(base, programme=programme)
    assert {row["iri"] for row in baltic} == _projects(base, f"?p s3:programme <{programme}>")
    assert {"GoSmart BSR", "GoSmart & Excel BSR"} <= {row["acronym"] for row in baltic}  # the seeds' and keep.eu's together
    polish = {row["iri"] for row in _table(base, region=NUTS + "PL")}  # a partner (or the project) anywhere in Poland
    in_poland = "{ ?p s3:region ?r } UNION { ?p s3:hasParticipation/s3:participant/s3:region ?r } ?r skos:broader* nuts:PL"
    assert polish == _projects(base, in_poland) and "https://w3id.org/s3kg/id/project/gosmart-bsr" in polish
    assert _table(base, region=NUTS + "PL", programme="https://w3id.org/s3kg/id/programme/2014DE05SFOP014") == []


def test_the_project_page_shows_facets_values_and_the_query_that_runs_at_sparql(base: str) -> None:
    page = httpx.get(base + "browse/Project", params={"sort": "start"}).text
    assert re.search(r"€ [\d\u202f.]+<", page) and re.search(r"\d{1,2} \w+ (19|20)\d\d", page), (
        "amounts and dates as people write them"
    )
    assert re.search(r'href="\?[^"]*programme=https%3A%2F%2Fw3id.org', page), "programme facet links"
    query = re.search(r'<code id="view-query">(.*?)</code>', page, re.DOTALL)
    assert query is not None
    text = query.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&amp;", "&")
    answer = httpx.post(base + "sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200 and len(answer.json()["results"]["bindings"]) == 50  # the page's rows


def test_the_project_table_downloads_as_xlsx_with_numbers_and_its_query(base: str) -> None:
    answer = httpx.get(base + "browse/Project", params={"format": "xlsx", "sort": "budget", "order": "desc"}, timeout=DOWNLOAD)
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = list(book["projects"].iter_rows(values_only=True))
    assert rows[0][:3] == ("iri", "label", "acronym") and len(rows) - 1 == len(_projects(base))
    budgets = [row[5] for row in rows[1:] if row[5] is not None]
    assert all(isinstance(b, int | float) for b in budgets) and budgets == sorted(budgets, reverse=True)
    heading, query = (row[0] for row in book["query"].iter_rows(values_only=True))
    assert heading == "query" and "SELECT ?row" in str(query)


def test_a_facet_value_that_is_not_an_iri_is_refused_naming_the_facet(base: str) -> None:
    answer = httpx.get(base + "browse/Project", params={"region": "> } DELETE"})
    assert answer.status_code == 400 and "region facet takes an IRI" in answer.text
    assert httpx.get(base + "browse/Project", params={"sort": "secret"}).status_code == 400


def test_entity_pages_show_amounts_dates_and_one_row_per_property(base: str) -> None:
    page = httpx.get(base + "id/project/gotos3", params={"lang": "nl"}, headers={"Accept": "text/html"}).text
    assert "ongeveer € 42\u202f000\u202f000" in page
    assert ">total-budget<" not in page
    rows = re.findall(r'<tr><th scope="row"><a href="[^"]*">([^<]+)</a></th>', page)
    assert len(rows) == len(set(rows)), "one row per property"


def test_home_charts_show_figures_that_differ(base: str) -> None:
    page = httpx.get(base).text
    charts = re.findall(r"<svg role=\"img\".*?</svg>", page, re.DOTALL)
    assert charts
    for chart in charts:
        widths = re.findall(r'<rect x="260" y="2" height="20" width="(\d+)"', chart)
        assert len(set(widths)) > 1, "a chart of one value repeated says nothing"


def test_a_page_number_past_any_result_is_an_empty_page_not_an_error(base: str) -> None:
    found = _search(base, q="smart", page="248992737390403198160449696051234865152")
    assert found["hits"] == [] and found["total"] > 0


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("gotos3", "https://w3id.org/s3kg/id/project/gotos3"),  # above the seed that names it in its title
        ("BE25", NUTS + "BE25"),  # the whole code before the codes it begins (BE251 …)
        ("vasterbottens lan", NUTS + "SE331"),
    ],
)
def test_what_an_entity_is_called_ranks_first(base: str, query: str, first: str) -> None:
    assert _search(base, q=query)["hits"][0]["iri"] == first


def test_hits_of_one_name_say_what_they_belong_to(base: str) -> None:
    hits = _search(base, q="textiles", type="S3Domain")["hits"]
    within = {hit["within"] for hit in hits}
    assert {"Smart specialisation strategy of Flanders", "S3 domains of the GoToS3 portfolio"} <= within


def test_the_organisation_table_filters_by_country_and_region(base: str) -> None:
    def table(**params: str) -> list[dict[str, str]]:
        answer = httpx.get(base + "browse/Organisation", params={**params, "format": "csv"}, timeout=DOWNLOAD)
        assert answer.status_code == 200
        return list(csv.DictReader(io.StringIO(answer.text)))

    everything = table()
    polish = table(country="http://publications.europa.eu/resource/authority/country/POL")
    assert 0 < len(polish) < len(everything) and {row["country_iri"] for row in polish} == {
        "http://publications.europa.eu/resource/authority/country/POL"
    }
    in_podlaskie = table(region=NUTS + "PL84")  # Politechnika Białostocka, and the others of the region
    assert in_podlaskie and {row["region_iri"] for row in in_podlaskie} <= {
        NUTS + "PL84",
        *(NUTS + f"PL84{n}" for n in range(1, 5)),
    }
    assert "https://w3id.org/s3kg/id/organisation/bialystok-university-of-technology" in {row["iri"] for row in in_podlaskie}
    page = httpx.get(base + "browse/Organisation", params={"lang": "pl", "region": NUTS + "PL84"}).text
    assert "Podlaskie" in page and "Politechnika Białostocka" in page


@pytest.mark.parametrize("query", ["textiel", "Textilien", "textiles"])
def test_search_finds_projects_by_the_stems_of_their_words_in_any_language(base: str, query: str) -> None:
    found = _search(base, q=query, type="Project")
    assert found["total"] >= 20, found["total"]  # Dutch, German and English ask; projects in German and English answer
    labels = " ".join(hit["label"] for hit in found["hits"]).casefold()
    assert "textil" in labels


@pytest.mark.parametrize(
    ("query", "first"),
    [("2014TC16RFCB044", "programme/2014TC16RFCB044"), ("2014TC16RFTN003", "programme/2014TC16RFTN003"), ("ECRR", "-ecrr")],
)
def test_search_finds_programmes_and_projects_by_their_codes(base: str, query: str, first: str) -> None:
    found = _search(base, q=query)
    assert found["hits"][0]["iri"].endswith(first)
    assert found["total"] <= 3, "a code is matched as written, never by stems"


def test_search_facets_name_their_kinds_in_the_readers_language(base: str) -> None:
    page = httpx.get(base + "search", params={"q": "textiel"}, headers={"Accept-Language": "nl"}).text
    facets = re.findall(r'type=(\w+)">([^<]+)</a>', page)
    assert ("Organisation", "Organisatie") in facets and all(kind != label for kind, label in facets if kind == "Organisation")


@pytest.mark.parametrize(
    ("query", "stemmed", "expression"),
    [
        ("textiel", False, '("textiel" OR "textiel"*)'),
        ("textiel", True, '(("textiel" OR "textiel"*)) OR (stems : ("texti"))'),
        ("Robotik Thüringen", True, '("Robotik" AND ("Thüringen" OR "Thüringen"*)) OR (stems : ("robot" AND "thuri"))'),
        ("2014TC16RFCB044", True, '("2014TC16RFCB044" OR "2014TC16RFCB044"*)'),  # a code: as written
        ("ICT", True, '("ICT" OR "ICT"*)'),  # too short to stem
        ('" OR *', True, '("OR" OR "OR"*)'),  # FTS5 syntax is taken as a word
    ],
)
def test_a_query_becomes_words_as_written_or_else_their_stems(query: str, stemmed: bool, expression: str | None) -> None:
    from loaders.publish.search_index import match_expression

    assert match_expression(query, stemmed) == expression


def test_budget_and_date_ranges_filter_the_project_table_and_its_downloads(base: str, built: Any) -> None:
    params = {"budget_min": "1000000", "budget_max": "2500000", "start_from": "2016-01-01", "end_to": "2019-12-31"}
    rows = list(
        csv.DictReader(io.StringIO(httpx.get(base + "browse/Project", params={**params, "format": "csv"}, timeout=DOWNLOAD).text))
    )
    assert rows and all(1_000_000 <= float(r["budget"]) <= 2_500_000 for r in rows)
    assert all(r["start"] >= "2016-01-01" and r["end"] <= "2019-12-31" for r in rows)
    solutions = built.store.query(
        """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a s3:Project ; s3:totalBudget/schema:value ?b ;
           schema:startDate ?s ; schema:endDate ?e FILTER (?b >= 1000000 && ?b <= 2500000
           && ?s >= "2016-01-01"^^xsd:date && ?e <= "2019-12-31"^^xsd:date) }""",
        prefixes={"s3": "https://w3id.org/s3kg/ontology#", "schema": "https://schema.org/",
                  "xsd": "http://www.w3.org/2001/XMLSchema#"},
    )  # fmt: skip
    assert len(rows) == int(next(iter(solutions))[0].value)
    page = httpx.get(
        base + "browse/Project", params={**params, "programme": "https://w3id.org/s3kg/id/programme/2014TC16RFTN003"}
    )
    assert '<input type="hidden" name="programme" value="https://w3id.org/s3kg/id/programme/2014TC16RFTN003">' in page.text
    assert 'name="budget_min" value="1000000"' in page.text


@pytest.mark.parametrize(
    ("params", "message"),
    [({"budget_min": "lots"}, "budget_min takes a number"), ({"start_from": "2019-02-30"}, "start_from takes a date"),
     ({"budget_max": "1e999999"}, "budget_max takes a number up to 10^18")],
)  # fmt: skip
def test_a_range_that_is_not_a_number_or_a_date_is_refused_naming_it(base: str, params: dict[str, str], message: str) -> None:
    answer = httpx.get(base + "browse/Project", params=params)
    assert answer.status_code == 400 and message in answer.text


def test_downloads_name_linked_values_with_their_iris_beside(base: str) -> None:
    rows = list(
        csv.DictReader(io.StringIO(httpx.get(base + "browse/Organisation", params={"format": "csv"}, timeout=DOWNLOAD).text))
    )
    italian = next(r for r in rows if r["country_iri"].endswith("/country/ITA"))
    assert italian["country"] == "Italy" and not italian["country"].startswith("http")
    answer = httpx.get(base + "browse/Organisation", params={"format": "xlsx", "lang": "fr"}, timeout=DOWNLOAD)
    sheet = list(load_workbook(io.BytesIO(answer.content), read_only=True)["organisations"].iter_rows(values_only=True))
    heading = list(sheet[0])
    row = next(r for r in sheet[1:] if str(r[heading.index("country_iri")]).endswith("/country/ITA"))
    assert row[heading.index("country")] == "Italie" and isinstance(row[heading.index("projects")], int)


def _status(start: str, end: str, today: str) -> str | None:
    """The status by the dates, computed here apart from the server (factsheet.status's rule)."""
    if end and end < today:
        return "completed"
    if start and start > today:
        return "planned"
    return "ongoing" if start or end else None


def test_the_status_filter_keeps_the_projects_its_dates_say(base: str, built: Any) -> None:
    today = date.today().isoformat()
    told: dict[str, str | None] = {}
    for project, start, end in select_values(
        built.store,
        "SELECT ?p (MIN(?s) AS ?start) (MAX(?e) AS ?end) WHERE { ?p a s3:Project "
        "OPTIONAL { ?p schema:startDate ?s } OPTIONAL { ?p schema:endDate ?e } } GROUP BY ?p",
    ):
        told[project] = _status(start, end, today)
    for state in ("completed", "ongoing"):
        shown = {row["iri"] for row in _table(base, status=state)}
        assert shown == {p for p, s in told.items() if s == state} and shown
    page = httpx.get(base + "browse/Project", params={"lang": "nl"}).text
    facet = page[page.index("<h2>status</h2>") :].split("</section>")[0]
    assert "afgerond" in facet and "lopend" in facet
    counts = [int(n) for n in re.findall(r"<small>(\d+)</small>", facet)]
    assert sum(counts) == sum(1 for s in told.values() if s)


def test_a_status_is_told_on_the_day_the_view_names() -> None:
    past = View.from_query(TABLES["Project"], [("status", "planned")], today="2010-01-01")
    assert '"2010-01-01"^^<http://www.w3.org/2001/XMLSchema#date>' in past.query(10)
    assert View.from_query(TABLES["Project"], []).today == date.today().isoformat()
    with pytest.raises(BadFacet, match="status is one of completed, ongoing, planned"):
        View.from_query(TABLES["Project"], [("status", "finished")])


def test_the_strand_filter_keeps_the_projects_of_its_programmes(base: str) -> None:
    strand = "https://w3id.org/s3kg/id/concept/interreg-strands/cross-border"
    shown = {row["iri"] for row in _table(base, strand=strand)}
    assert shown == _projects(base, f"?p s3:programme/s3:cooperationStrand <{strand}>") and len(shown) > 500
    answer = httpx.get(base + "browse/Project", params={"status": "finished"})
    assert answer.status_code == 400 and "status is one of" in answer.text


def test_facets_that_mix_schemes_say_each_values_scheme(base: str) -> None:
    page = httpx.get(base + "browse/Project").text
    facet = {name: page[page.index(f"<h2>{name}</h2>") :].split("</section>")[0] for name in ("region", "domain", "country")}
    assert '<small class="scheme">NUTS 0</small>' in facet["region"] and '<small class="scheme">NUTS 1</small>' in facet["region"]
    assert "RIS3 Thuringia" in facet["domain"]  # a priority names its strategy
    assert 'class="scheme"' not in facet["country"]  # all of one list: said by the heading


def test_the_country_facet_places_a_project_by_its_partners_or_its_own_region(base: str) -> None:
    germany = "http://publications.europa.eu/resource/authority/country/DEU"
    shown = {row["iri"] for row in _table(base, country=germany)}
    paths = ("s3:hasParticipation/s3:participant/s3:country", "s3:region/s3:country", "s3:hasParticipation/s3:region/s3:country")
    placed = set().union(*(_projects(base, f"?p {path} <{germany}>") for path in paths))  # one query each: a UNION took 320 s
    assert shown == placed
    own = _projects(base, f"?p s3:region/s3:country <{germany}> FILTER NOT EXISTS {{ ?p s3:hasParticipation ?x }}")
    assert own and own <= shown  # Thüringen's ESF operations: no partners, a region
