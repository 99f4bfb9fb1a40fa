"""Regions, strategies and matching: NUTS names resolve to codes (or are refused with the
reason), a strategy file with mistakes is refused naming line and field, and the matcher finds
exactly the links known to hold in small cases."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDFS, Graph, URIRef

from loaders.core.iris import IriMinter
from loaders.core.vocab import S3
from loaders.link.matching import match
from loaders.map.reference.cci import read_areas, title_territory
from loaders.map.reference.countries import CountryTable, load_country_table
from loaders.map.reference.nuts import NutsTable, UnknownRegion, load_nuts_table
from loaders.map.strategies import load_strategy

MINTER = IriMinter("http://example.org/id/")
PROJECT = Path(__file__).resolve().parent.parent
TABLE = NutsTable.read()


@pytest.mark.parametrize(
    ("name", "country", "code"),
    [
        ("Prov. West-Vlaanderen", "BE", "BE25"),
        ("West-Vlaanderen", None, "BE25"),
        ("prov. oost-vlaanderen", "BE", "BE23"),
        ("Syddanmark", "DK", "DK03"),
        ("Limburg", "NL", "NL42"),
        ("Luxembourg", "BE", "BE34"),
        ("Luxembourg", "LU", "LU000"),
        ("Brussels Hoofdstedelijk Gewest", None, "BE10"),
        ("Podlaskie Voivodeship", "PL", "PL84"),
        ("SLASKIE", "PL", "PL22"),
        ("Övre Norrland", "SE", "SE33"),
        ("Västerbottens län", "SE", "SE331"),
        ("Blagoevgrad Province", "BG", "BG413"),
        ("Arr. Kortrijk", "BE", "BE254"),
        ("North and West Norfolk", None, "UKH16"),
        ("Grande Lisboa", "PT", "PT1A"),  # NUTS 2024 only
        ("Zuid-Holland", "NL", "NL33"),  # 2021's code when 2024 gives the name another (NL36)
        ("Svalbard og Jan Mayen", "NO", "NO0B"),  # the 2024 name of a 2021 region
    ],
)
def test_a_region_name_as_exports_write_it_resolves_to_its_code(name: str, country: str | None, code: str) -> None:
    assert TABLE.resolve(name, country) == code


@pytest.mark.parametrize(
    ("name", "country", "reason"),
    [
        ("Limburg", None, "names several NUTS regions (BE22, NL42)"),
        ("Atlantis", None, "no NUTS 2021 or 2024 region is named so"),
        ("Syddanmark", "SE", "no NUTS 2021 or 2024 region in SE is named so"),
    ],
)
def test_an_unknown_or_ambiguous_region_name_is_refused_with_the_reason(name: str, country: str | None, reason: str) -> None:
    with pytest.raises(UnknownRegion, match=reason.replace("(", r"\(").replace(")", r"\)")):
        TABLE.resolve(name, country)


def test_every_region_but_a_country_has_its_broader_region_in_the_table() -> None:
    assert all(r.broader is not None and r.broader in TABLE for r in TABLE.regions.values() if r.level > 0)
    assert {r.level for r in TABLE.regions.values()} == {0, 1, 2, 3}
    assert len([r for r in TABLE.regions.values() if r.level == 3]) == 1502


def test_nuts_2024_adds_renames_and_drops_regions_at_levels_0_to_2() -> None:
    versions = {code: r.versions for code, r in TABLE.regions.items()}
    assert versions["PT1A"] == {"2024"} and versions["PT17"] == {"2021"} and versions["UKC1"] == {"2021"}
    assert versions["BE25"] == {"2021", "2024"} and versions["BE254"] == {"2021"}  # level 3: 2021 only, here
    assert TABLE.regions["NO0B"].other_names == ("Svalbard og Jan Mayen",)
    assert len([v for v in versions.values() if "2024" in v]) == 39 + 112 + 290
    assert len([r for r in TABLE.regions.values() if r.level == 0 and "2021" in r.versions]) == 37


GOOD = """id: test-2021-2027
region: BE2
language: nl
period: "2021-2027"
title: {nl: "Teststrategie", en: "Test strategy"}
priorities:
  - id: textiel
    name: {nl: "Textiel", en: "Textiles"}
    nace: [C13, C14.1]
    science_fields: ["2.5"]
    objectives: [RSO1.1]
"""


def _load(tmp_path: Path, text: str) -> tuple[Graph, list[str]]:
    path = tmp_path / "strategy.yaml"
    path.write_text(text, encoding="utf-8")
    graph, _, problems = load_strategy(path, "strategies/strategy.yaml", MINTER, TABLE, set())
    return graph, [str(p) for p in problems]


def test_a_strategy_file_maps_to_a_strategy_with_its_priority_and_codes(tmp_path: Path) -> None:
    graph, problems = _load(tmp_path, GOOD)
    assert problems == []
    priority = URIRef("http://example.org/id/strategy/test-2021-2027/priority/textiel")
    assert (priority, S3.naceSector, URIRef("http://data.europa.eu/ux2/nace2/141")) in graph
    assert (
        URIRef("http://example.org/id/strategy/test-2021-2027"),
        S3.region,
        URIRef("http://data.europa.eu/nuts/code/BE2"),
    ) in graph
    objective = graph.value(priority, S3.targetsObjective)
    assert objective == URIRef("http://example.org/id/concept/objectives-2021-2027/rso1.1")


MISTAKES = [  # (text replaced, by what), line, field, what the problem says
    (("region: BE2", "region: BX9"), 2, "region", "'BX9' is not a NUTS 2021 code."),
    (
        ('name: {nl: "Textiel", en: "Textiles"}', 'name: {en: "Textiles"}'),
        8,
        "name",
        "needs the name in the strategy's language (nl)",
    ),
    (("nace: [C13, C14.1]", "nace: [C13, textiles]"), 9, "nace", "'textiles' is not written as a NACE Rev. 2 code"),
    (
        ("nace: [C13, C14.1]", "nace: [C34]"),
        9,
        "nace",
        "'C34': NACE Rev. 2 has no division 34. Nearest: C33 (Repair and installation",
    ),
    (("nace: [C13, C14.1]", "nace: [A24]"), 9, "nace", "'A24': division 24 is in section C, not A. Nearest: C24."),
    (("nace: [C13, C14.1]", "nace: [13.99.1]"), 9, "nace", "'13.99.1' is not written as a NACE Rev. 2 code"),
    (("objectives: [RSO1.1]", "objectives: [RSO9.9]"), 11, "objectives", "'RSO9.9' is not a 2021-2027 objective code."),
    (('period: "2021-2027"', "source: [seed-999]"), 4, "source", "no source document 'seed-999' is known."),
    (("    objectives: [RSO1.1]", "    matches: [gotos3-domains/silk]"), 11, "matches", "no concept 'gotos3-domains/silk'"),
    (("priorities:", "priority:"), 7, "priority", "unknown field 'priority'."),
]


@pytest.mark.parametrize(("change", "line", "field", "message"), MISTAKES)
def test_a_strategy_file_with_a_mistake_is_refused_naming_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, message: str
) -> None:
    graph, problems = _load(tmp_path, GOOD.replace(*change))
    assert len(graph) == 0
    assert any(f"strategy.yaml:{line}," in p and f"field '{field}'" in p and message in p for p in problems), problems


CASE = """
@prefix s3: <https://w3id.org/s3kg/ontology#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix nuts: <http://data.europa.eu/nuts/code/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ex: <http://example.org/> .
ex:flanders s3:region nuts:BE2 . ex:belgium s3:region nuts:BE .
ex:p-textiles a s3:S3Domain ; s3:strategy ex:flanders ; s3:targetsObjective ex:rso11 ; rdfs:label "Textiles"@en .
ex:p-design a s3:S3Domain ; s3:strategy ex:flanders ; skos:exactMatch ex:design .
ex:p-national a s3:S3Domain ; s3:strategy ex:belgium ; s3:targetsObjective ex:rso11 .
ex:in-region a s3:Project ; s3:specificObjective ex:rso11 ; s3:hasParticipation [ s3:participant [ s3:region nuts:BE25 ] ] .
ex:own-region a s3:Project ; s3:specificObjective ex:rso11 ; s3:region nuts:BE23 .
ex:elsewhere a s3:Project ; s3:specificObjective ex:rso11 ; s3:hasParticipation [ s3:participant [ s3:region nuts:NL41 ] ] .
ex:other-code a s3:Project ; s3:specificObjective ex:rso28 ; s3:hasParticipation [ s3:participant [ s3:region nuts:BE25 ] ] .
ex:in-area a s3:Project ; s3:s3Domain ex:design ; s3:programme ex:vlnl .
ex:vlnl s3:territory nuts:BE21 , nuts:NL41 .
ex:p-textiel a s3:S3Domain ; s3:strategy ex:flanders ; skos:prefLabel "Textiel en slimme textielmaterialen"@nl .
ex:says-textile a s3:Project ; dcterms:title "Smart textile materials for protective clothing"@en ; s3:region nuts:BE25 .
ex:says-other a s3:Project ; dcterms:title "Harbour logistics and shipping lanes"@en ; s3:region nuts:BE25 .
ex:textile-abroad a s3:Project ; dcterms:title "Smart textile materials"@en ; s3:region nuts:NL41 .
"""


def test_the_matcher_links_exactly_the_projects_known_to_serve_each_priority() -> None:
    store = ox.Store()
    store.load(CASE.encode(), format=ox.RdfFormat.TURTLE)
    graphs = match(store, MINTER)
    ex = "http://example.org/"
    found = {
        rule: {(str(s)[len(ex) :], str(o)[len(ex) :]) for s, o in graph.subject_objects(S3.servesPriority)}
        for rule, graph in graphs.items()
        if len(graph)
    }
    assert found == {
        "region-and-code": {
            ("in-region", "p-textiles"),
            ("own-region", "p-textiles"),
            ("in-region", "p-national"),
            ("own-region", "p-national"),
        },
        "programme-area-and-code": {("in-area", "p-design")},
        "region-and-text": {("says-textile", "p-textiel")},  # English words of a Dutch priority; not from abroad
    }
    said = graphs["region-and-text"]
    words = {str(w) for w in said.objects(next(said.subjects(S3.matchedProject, URIRef(ex + "says-textile"))), S3.sharedWords)}
    assert words == {"textile ~ Textiel"}, words
    evidence = graphs["region-and-code"]
    node = next(evidence.subjects(S3.matchedProject, URIRef(ex + "in-region")))
    assert str(evidence.value(node, S3.matchScore)) == "1.0"
    assert evidence.value(node, S3.sharedRegion) == URIRef("http://data.europa.eu/nuts/code/BE25")


CIRCULAR = """
@prefix s3: <https://w3id.org/s3kg/ontology#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix nuts: <http://data.europa.eu/nuts/code/> .
@prefix ex: <http://example.org/> .
ex:flanders s3:region nuts:BE2 .
ex:copied a s3:S3Domain ; s3:strategy ex:flanders ; skos:exactMatch ex:portfolio-textiles ; dcterms:source ex:seed, ex:file .
ex:portfolio-textiles dcterms:source ex:seed .
ex:shared-list a s3:S3Domain ; s3:strategy ex:flanders ; skos:exactMatch ex:national-textiles ; dcterms:source ex:file .
ex:national-textiles dcterms:source ex:national-list .
ex:portfolio a s3:Project ; s3:s3Domain ex:portfolio-textiles , ex:national-textiles ; s3:programme ex:fwvl .
ex:fwvl s3:territory nuts:BE , nuts:FR .
ex:copied-words a s3:S3Domain ; s3:strategy ex:flanders ; skos:prefLabel "Textiles"@en ; dcterms:source ex:seed .
ex:portfolio dcterms:title "Textiles of the portfolio"@en ; dcterms:source ex:seed .
"""


def test_a_strategy_copied_from_a_portfolio_does_not_match_it_and_the_shared_region_is_the_deepest() -> None:
    """Circular: the priority matches the portfolio's own domain, both stated by the same seed, or
    uses the words of the project's own document; not circular: a concept of another document
    both name. The programme covers BE, the strategy BE2: they meet in BE2, not BE."""
    store = ox.Store()
    store.load(CIRCULAR.encode(), format=ox.RdfFormat.TURTLE)
    graphs = match(store, MINTER)
    ex = "http://example.org/"
    links = {(str(s)[len(ex) :], str(o)[len(ex) :]) for g in graphs.values() for s, o in g.subject_objects(S3.servesPriority)}
    assert links == {("portfolio", "shared-list")}
    evidence = graphs["programme-area-and-code"]
    node = next(evidence.subjects(S3.matchedProject, URIRef(ex + "portfolio")))
    assert evidence.value(node, S3.sharedRegion) == URIRef("http://data.europa.eu/nuts/code/BE2")
    assert set(evidence.objects(node, S3.sharedCode)) == {URIRef(ex + "national-textiles")}


def test_a_priority_named_only_by_a_nace_code_meets_projects_by_the_codes_labels_in_their_language() -> None:
    turtle = """
    @prefix s3: <https://w3id.org/s3kg/ontology#> . @prefix nuts: <http://data.europa.eu/nuts/code/> .
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix dcterms: <http://purl.org/dc/terms/> .
    @prefix ex: <http://example.org/> . @prefix nace: <http://data.europa.eu/ux2/nace2/> .
    ex:thueringen s3:region nuts:DEG .
    ex:p-13 a s3:S3Domain ; s3:strategy ex:thueringen ; skos:prefLabel "C13"@de ; s3:naceSector nace:13 .
    nace:13 skos:prefLabel "Manufacture of textiles"@en , "Herstellung von Textilien"@de .
    ex:gera a s3:Project ; dcterms:title "Technische Textilien für den Leichtbau"@de ; s3:region nuts:DEG0L .
    ex:jena a s3:Project ; dcterms:title "Optische Messsysteme"@de ; s3:region nuts:DEG03 .
    ex:erfurt a s3:Project ; dcterms:title "Logistikzentrum am Erfurter Kreuz"@de ; s3:region nuts:DEG01 .
    """
    store = ox.Store()
    store.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    said = match(store, MINTER)["region-and-text"]
    assert {str(s).rsplit("/", 1)[-1] for s in said.subjects(S3.servesPriority, None)} == {"gera"}
    assert {str(w) for w in said.objects(None, S3.sharedWords)} == {"Textilien"}
    assert said.value(next(said.subjects(S3.matchedProject, None)), S3.sharedRegion) == URIRef(
        "http://data.europa.eu/nuts/code/DEG0L"
    )


def test_objectives_of_a_whole_strategy_count_for_each_of_its_priorities() -> None:
    turtle = """
    @prefix s3: <https://w3id.org/s3kg/ontology#> . @prefix nuts: <http://data.europa.eu/nuts/code/> .
    @prefix ex: <http://example.org/> .
    ex:flanders s3:region nuts:BE2 ; s3:targetsObjective ex:rso11 .
    ex:p-any a s3:S3Domain ; s3:strategy ex:flanders .
    ex:in-region a s3:Project ; s3:specificObjective ex:rso11 ; s3:region nuts:BE25 .
    """
    store = ox.Store()
    store.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    links = {(str(s), str(o)) for g in match(store, MINTER).values() for s, o in g.subject_objects(S3.servesPriority)}
    assert links == {("http://example.org/in-region", "http://example.org/p-any")}


def test_a_link_is_named_by_the_english_labels_of_project_and_priority_else_their_first() -> None:
    turtle = """
    @prefix s3: <https://w3id.org/s3kg/ontology#> . @prefix nuts: <http://data.europa.eu/nuts/code/> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix ex: <http://example.org/> .
    ex:flanders s3:region nuts:BE2 ; s3:targetsObjective ex:rso11 .
    ex:p-wood a s3:S3Domain ; s3:strategy ex:flanders ; rdfs:label "Hout"@nl , "Bois"@fr .
    ex:care a s3:Project ; s3:specificObjective ex:rso11 ; s3:region nuts:BE25 ; rdfs:label "Zorg"@nl , "Care"@en , "Aid"@en .
    ex:other a s3:Project ; s3:specificObjective ex:rso11 ; s3:region nuts:BE25 .
    """
    store = ox.Store()
    store.load(turtle.encode(), format=ox.RdfFormat.TURTLE)
    named = {str(label) for g in match(store, MINTER).values() for label in g.objects(None, RDFS.label)}
    assert named == {"Care serves Bois", "http://example.org/other serves Bois"}


def test_matching_twice_gives_the_same_links_and_identifiers() -> None:
    store = ox.Store()
    store.load(CASE.encode(), format=ox.RdfFormat.TURTLE)
    first, second = match(store, MINTER), match(store, MINTER)
    assert all(first[rule].isomorphic(second[rule]) and set(first[rule]) == set(second[rule]) for rule in first)


@pytest.mark.parametrize(
    ("title", "codes"),
    [
        ("Interreg V-A - Belgium-France (France-Wallonie-Vlaanderen)", ["BE", "FR"]),
        ("Interreg V-A - Austria–Germany/Bayern", ["AT", "DE2"]),
        ("Interreg V-A - France-Belgium-The Netherlands-United Kingdom (Two seas)", ["FR", "BE", "NL", "UK"]),
        ("Interreg V-A - Spain-Portugal (Madeira-Açores-Canarias (MAC))", ["ES", "PT"]),
        ("Interreg V-A - Greece-Cyprus", ["EL", "CY"]),
        ("Interreg V-A - Saint Martin-Sint Maarten", []),  # no NUTS country: nothing rather than half
        ("Interreg V-A - Germany (Mecklenburg-Vorpommern-Brandenburg) -Poland", []),
        ("Interreg V-B - Baltic Sea", []),  # the title names no countries
    ],
)
def test_a_cross_border_programme_covers_the_countries_and_regions_its_title_names(
    title: str, codes: list[str], countries: CountryTable
) -> None:
    assert title_territory(title, countries, TABLE) == codes


@pytest.fixture(scope="module")
def countries() -> CountryTable:
    table, problems = load_country_table(
        PROJECT / "data" / "reference" / "eu-authority-country-skos.rdf", "countries", URIRef("x:")
    )
    assert problems == []
    return table


def test_an_area_row_with_a_code_outside_nuts_2021_is_refused_naming_the_line(tmp_path: Path) -> None:
    table = tmp_path / "areas.csv"
    table.write_text('cci,territory,basis\n2014TC16RFTN005,BE DK,"ok"\n2014TC16RFTN006,BE XX9,"typo"\n', encoding="utf-8")
    areas, problems = read_areas(table, TABLE, "areas.csv")
    assert areas == {"2014TC16RFTN005": ["BE", "DK"]}
    assert [str(p) for p in problems] == [
        "areas.csv:3, record '2014TC16RFTN006', field 'territory': '2014TC16RFTN006' needs a CCI code and NUTS 2021 codes; "
        "XX9 unknown. Fix: give the CCI code and the NUTS codes of data/reference/nuts-2021.csv, space-separated."
    ]


@pytest.mark.parametrize(
    ("table", "changes", "message"),
    [
        ("code,level,name,longitude,latitude\nBE,0,Belgique,4.6,50.6\nBE2,2,Vlaams Gewest,4.9,51.1\n", None,
         "nuts.csv line 3: 'BE2' is not a NUTS code of level 2."),
        ("code,level,name,longitude,latitude\nBE,0,Belgique,4.6,50.6\nBE2,1,Vlaams Gewest,east,51.1\n", None,
         "nuts.csv line 3: region 'BE2' is incomplete"),
        ("code,level,name,longitude,latitude\nBE2,1,Vlaams Gewest,4.9,51.1\n", None, "nuts.csv: BE2 lack their broader region."),
        ("code,level,name,longitude,latitude\nBE,0,Belgique,4.6,50.6\n",
         "code,level,change,name,longitude,latitude\nXX,0,removed,,,\n",
         "nuts-2024-changes.csv line 2: 'XX': 'removed' of an unknown code"),
    ],
)  # fmt: skip
def test_a_broken_nuts_table_is_refused_naming_the_line(tmp_path: Path, table: str, changes: str | None, message: str) -> None:
    path = tmp_path / "nuts.csv"
    path.write_text(table, encoding="utf-8")
    if changes is not None:
        (tmp_path / "nuts-2024-changes.csv").write_text(changes, encoding="utf-8")
    regions, problems = load_nuts_table(path, "data/reference/nuts.csv", URIRef("x:"))
    assert regions.regions == {} and len(problems) == 1 and message in str(problems[0]), problems
