"""Rules the shapes enforce on one entity are checked per row by the export loaders, so a bad
row is rejected (and the rest load) instead of failing the whole build at validation; what
still reaches validation from an export names the file, row and property."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from conftest import PROJECT
from openpyxl import Workbook
from rdflib import XSD, Graph, Literal, URIRef
from rdflib.namespace import RDF, SDO

from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.terms import TripleSink
from loaders.core.vocab import S3
from loaders.map.exports import cordis
from loaders.map.exports.keep_eu import load_keep_eu
from loaders.map.exports.keep_eu_layouts import SEARCH_PARTNER_COLUMNS as PARTNER_COLUMNS
from loaders.map.exports.keep_eu_layouts import SEARCH_PROJECT_COLUMNS as PROJECT_COLUMNS
from loaders.map.reference.countries import load_country_table
from loaders.validate.engines import store_of
from loaders.validate.shapes import load_shapes, validate_graph

MINTER = IriMinter("http://example.org/id/")
GOLDEN = PROJECT / "tests" / "golden"


def _workbook_helpers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_workbook", GOLDEN / "keep-eu" / "make_workbook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_cordis_project_that_ends_before_it_starts_is_rejected(tmp_path: Path) -> None:
    lines = (GOLDEN / "cordis-projects" / "project.csv").read_text(encoding="utf-8").splitlines()
    heu = next(line for line in lines if '"HEU1"' in line)
    path = tmp_path / "project.csv"
    path.write_text(lines[0] + "\n" + heu.replace('"2025-08-31"', '"2020-08-31"') + "\n", encoding="utf-8")
    with TripleSink(tmp_path / "out.nt") as sink:
        load, problems = cordis.load_projects(path, "project.csv", MINTER, sink)
    assert problems == []
    assert [(r.row, r.column, r.value) for r in load.summary.rejects] == [(2, "endDate", "2020-08-31")]
    assert "ends before it starts" in load.summary.rejects[0].reason


def test_a_second_lead_partner_of_a_keep_eu_project_is_rejected(tmp_path: Path) -> None:
    helpers = _workbook_helpers()
    book = Workbook()
    book.active.title = "Info"
    projects = book.create_sheet("Search results, projects")
    projects.append(PROJECT_COLUMNS)
    programme = "Interreg V-B - Baltic Sea"
    projects.append(helpers.project(programme, "2014-2020", None, "TWOLEADS", "Two leads", "01/01/2018", "31/12/2019", 10, 5))
    partners = book.create_sheet("Search results, partners")
    partners.append(PARTNER_COLUMNS)
    for name, pic in (("First Lead", "999990101"), ("Second Lead", "999990102")):
        partners.append(helpers.partner(programme, None, "TWOLEADS", name, "Yes", "PL", pic, None, "PL84", 1))
    path = tmp_path / "keep.xlsx"
    book.save(path)
    countries, _ = load_country_table(
        PROJECT / "data" / "reference" / "eu-authority-country-skos.rdf", "countries", URIRef("http://example.org/s")
    )
    with TripleSink(tmp_path / "out.nt") as sink:
        load, problems = load_keep_eu(path, "keep.xlsx", MINTER, {}, countries, sink)
        graph = sink.graph()
    assert problems == []
    partner_sheet = load.summaries[1]
    assert [(r.row, r.column) for r in partner_sheet.rejects] == [(3, "Lead partner")]
    leads = list(graph.subjects(S3.partnerRole, MINTER.entity("concept", "partner-roles", "lead-partner")))
    assert len(leads) == 1


def test_a_violation_from_an_export_row_names_the_file_row_and_property() -> None:
    project = URIRef("http://example.org/id/project/kohesio-Q1")
    data = Graph()
    data.add((project, RDF.type, S3.Project))
    data.add((project, SDO.startDate, Literal("2021-01-01", datatype=XSD.date)))
    data.add((project, SDO.endDate, Literal("2020-01-01", datatype=XSD.date)))
    outcome = validate_graph(store_of(data), load_shapes(), {project: Origin("kohesio.csv", 7, "Q1")})
    dates = [p for p in outcome.violations if "start" in p.message.lower() and p.line == 7]
    assert dates, [str(p) for p in outcome.violations]
    assert dates[0].file == "kohesio.csv" and dates[0].record == "Q1"
    assert dates[0].field == "schema:startDate", "an export row has no curated field: the property is named"
