"""A strategy file as a regional S3 team writes it, built with `s3kg build` as they run it: every
field of docs/strategies.md reaches the published graph, objectives included, and a finding about a
priority names the strategy file and line."""

from __future__ import annotations

from pathlib import Path

from test_real_files import new_project, s3kg, select

STRATEGY = """\
# written as docs/strategies.md shows
id: test-region-2021-2027
region: BE25
language: nl
period: "2021-2027"
title: {nl: "Teststrategie", en: "Test strategy"}
description: {en: "A strategy to test every field."}
url: https://example.org/strategy
objectives: [PO1]                               # for all its priorities
priorities:
  - id: textiel
    name: {nl: "Textiel", en: "Textiles"}
    description: {en: "Technical textiles."}
    nace: [C13, "14.1", "1392"]                 # with and without the section letter, as annexes write them
    science_fields: ["2.5", "2.10."]             # as Eye@RIS3 lists write them
    nabs: ["6", "12.2"]
    objectives: [RSO1.1, PO2, ISO6.1]
    matches: [gotos3-domains/textiles]
"""


def test_every_field_of_a_strategy_file_is_published_by_a_build(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    (project / "data" / "strategies" / "test-region.yaml").write_text(STRATEGY, encoding="utf-8")
    built = s3kg(project, "build")
    assert built.returncode == 0, built.stderr[-3000:]
    base = "https://w3id.org/s3kg/id/strategy/test-region-2021-2027"
    query = f"""SELECT ?region ?title ?url ?description ?period WHERE {{ <{base}> a s3:Strategy ; s3:region ?region ;
        rdfs:label ?title ; dcterms:description ?description ; schema:url ?url ; s3:programmingPeriod ?period
        FILTER(LANG(?title) = "nl") }}"""
    strategy = {
        tuple(v.rsplit("/", 1)[-1] if k in ("region", "period") else v for k, v in sorted(r.items()))
        for r in select(project, query)
    }
    assert strategy == {("A strategy to test every field.", "2021-2027", "BE25", "Teststrategie", "https://example.org/strategy")}
    whole = f"SELECT ?o WHERE {{ <{base}> s3:targetsObjective/skos:notation ?o }}"
    assert [r["o"] for r in select(project, whole)] == ["PO1"]
    priority = f"{base}/priority/textiel"
    codes = f"""SELECT ?p ?o WHERE {{ <{priority}> ?p ?o FILTER(?p IN (s3:naceSector, s3:scienceField, s3:targetsObjective,
        skos:exactMatch, skos:definition, s3:socioEconomicObjective)) }}"""
    found = {(r["p"].rsplit("#", 1)[-1], r["o"].rsplit("/", 1)[-1]) for r in select(project, codes)}
    assert found == {
        ("naceSector", "13"),
        ("naceSector", "141"),
        ("naceSector", "1392"),
        ("scienceField", "2.5"),
        ("scienceField", "2.10"),
        ("socioEconomicObjective", "6"),
        ("socioEconomicObjective", "12.2"),
        ("targetsObjective", "rso1.1"),
        ("targetsObjective", "po2"),
        ("targetsObjective", "iso6.1"),
        ("exactMatch", "textiles"),
        ("definition", "Technical textiles."),
    }
    labels = f"""SELECT ?code ?label ?broader WHERE {{ <{priority}> s3:naceSector ?s . ?s skos:notation ?code ;
        skos:prefLabel ?label ; skos:broader ?broader FILTER(lang(?label) = "en") }}"""
    assert {(r["code"], r["label"], r["broader"].rsplit("/", 1)[-1]) for r in select(project, labels)} == {
        ("13", "Manufacture of textiles", "C"),
        ("14.1", "Manufacture of wearing apparel, except fur apparel", "14"),
        ("13.92", "Manufacture of made-up textile articles, except apparel", "139"),
    }
    languages = f"""SELECT ?label (lang(?label) AS ?language) WHERE {{ <{priority}> s3:naceSector ?s .
        ?s skos:notation "13" ; skos:prefLabel ?label }}"""
    assert {(r["language"], r["label"]) for r in select(project, languages)} == {
        ("en", "Manufacture of textiles"),
        ("de", "Herstellung von Textilien"),
        ("fr", "Fabrication de textiles"),
        ("it", "Industrie tessili"),
    }, "the sector's labels in the languages of the tables, for readers and for the matcher's words"
    kinds = f"""SELECT ?code ?kind WHERE {{ <{priority}> s3:targetsObjective ?o . ?o skos:notation ?code ; a ?kind
        FILTER(?kind IN (s3:SpecificObjective, s3:PolicyObjective)) }}"""
    assert {(r["code"], r["kind"].rsplit("#", 1)[-1]) for r in select(project, kinds)} == {
        ("RSO1.1", "SpecificObjective"),
        ("PO2", "PolicyObjective"),
        ("ISO6.1", "SpecificObjective"),
    }


def test_a_nace_code_that_does_not_exist_fails_the_build_naming_it_and_the_nearest(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    wrong = STRATEGY.replace('nace: [C13, "14.1", "1392"]', "nace: [C34, A24]").replace('nabs: ["6", "12.2"]', 'nabs: ["15"]')
    (project / "data" / "strategies" / "test-region.yaml").write_text(wrong, encoding="utf-8")
    built = s3kg(project, "build")
    said = " ".join(built.stderr.split())
    assert built.returncode != 0
    assert "data/strategies/test-region.yaml:14, record 'textiel', field 'nace': 'C34': NACE Rev. 2 has no division 34." in said
    assert "Nearest: C33 (Repair and installation of machinery and equipment); C32 (Other manufacturing)" in said
    assert "'A24': division 24 is in section C, not A. Nearest: C24." in said
    assert "'15' is not a socio-economic objective (NABS 2007) code. Nearest: 14 (Defence)" in said


NATIONAL_ANNEX = """\
# as a national annex gives a region's domains: names in the strategy's language only, bare
# NACE divisions, emerging topics, and the strategy published as a PDF
id: test-kraj-2021-2027
region: CZ06
language: cs
title: {cs: "Krajská příloha RIS3"}
document:
  url: https://example.org/ris3/krajska-priloha.pdf
  title: {cs: "Národní RIS3 strategie 2021-2027, krajská příloha"}
  date: 2021-07-14
  publisher: Ministerstvo průmyslu a obchodu
priorities:
  - id: pokrocile-materialy
    name: {cs: "Pokročilé materiály"}
    nace: ["20", "22", "23"]
  - id: strojirenstvi
    name: {cs: "Strojírenství"}
    nace: ["28"]
emerging:
  - id: vodik
    name: {cs: "Vodíkové technologie"}
    priority: strojirenstvi
  - id: kruhova-ekonomika
    name: {cs: "Oběhové hospodářství"}
"""


def test_a_strategy_as_a_national_annex_writes_it_is_published_in_its_language_order_and_document(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    (project / "data" / "strategies" / "kraj.yaml").write_text(NATIONAL_ANNEX, encoding="utf-8")
    built = s3kg(project, "build")
    assert built.returncode == 0, built.stderr[-3000:]
    base = "https://w3id.org/s3kg/id/strategy/test-kraj-2021-2027"
    domains = f"""SELECT ?name ?position (GROUP_CONCAT(?code; separator=" ") AS ?codes) WHERE {{
        ?d s3:strategy <{base}> ; a s3:S3Domain ; rdfs:label ?name ; schema:position ?position ;
           s3:naceSector/skos:notation ?code }}
        GROUP BY ?name ?position"""
    found = {(r["position"], r["name"], " ".join(sorted(r["codes"].split()))) for r in select(project, domains)}
    assert found == {("1", "Pokročilé materiály", "20 22 23"), ("2", "Strojírenství", "28")}
    sections = f"""SELECT DISTINCT ?section WHERE {{ ?d s3:strategy <{base}> ; s3:naceSector/skos:broader ?section }}"""
    assert {r["section"].rsplit("/", 1)[-1] for r in select(project, sections)} == {"C"}, "bare divisions sit in section C"
    topics = f"""SELECT ?name ?position ?under WHERE {{ ?t a s3:EmergingTopic ; s3:strategy <{base}> ; rdfs:label ?name ;
        schema:position ?position OPTIONAL {{ ?t skos:broader ?under }} }}"""
    found = {(r["position"], r["name"], r.get("under", "").rsplit("/", 1)[-1]) for r in select(project, topics)}
    assert found == {("1", "Vodíkové technologie", "strojirenstvi"), ("2", "Oběhové hospodářství", "")}
    document = f"""SELECT ?url ?title ?issued ?publisher ?language WHERE {{ <{base}> dcterms:source ?d .
        ?d a s3:SourceDocument ; schema:url ?url ; rdfs:label ?title ; dcterms:issued ?issued ; dcterms:publisher ?publisher ;
           dcterms:language ?language }}"""
    assert [
        (r["url"], r["title"], r["issued"], r["publisher"], r["language"].rsplit("/", 1)[-1]) for r in select(project, document)
    ] == [
        (
            "https://example.org/ris3/krajska-priloha.pdf",
            "Národní RIS3 strategie 2021-2027, krajská příloha",
            "2021-07-14",
            "Ministerstvo průmyslu a obchodu",
            "CES",
        )
    ]


def test_an_emerging_topic_under_an_unknown_priority_fails_naming_the_priorities(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    wrong = NATIONAL_ANNEX.replace("priority: strojirenstvi", "priority: chemie")
    (project / "data" / "strategies" / "kraj.yaml").write_text(wrong, encoding="utf-8")
    built = s3kg(project, "build")
    said = " ".join(built.stderr.split())
    assert built.returncode != 0
    assert "kraj.yaml:22, record 'vodik', field 'priority': no priority 'chemie' in this strategy." in said
    assert "name one of: pokrocile-materialy, strojirenstvi." in said
