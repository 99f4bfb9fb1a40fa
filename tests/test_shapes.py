"""The SHACL shapes, case by case, through both engines (tests/shapes/cases.yaml)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from rdflib import Graph
from rdflib.namespace import SH

from loaders.validate.engines import ENGINES, run_engine, store_of
from loaders.validate.findings import Finding
from loaders.validate.shapes import load_shapes

HERE = Path(__file__).parent / "shapes"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
PREFIXES = {
    "ex": "http://example.org/",
    "s3": "https://w3id.org/s3kg/ontology#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "country": "http://publications.europa.eu/resource/authority/country/",
    "nuts": "http://data.europa.eu/nuts/code/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def _expand(name: str) -> str | None:
    if name == "-":
        return None
    prefix, _, local = name.partition(":")
    return PREFIXES[prefix] + local


def _edited_base(update: str | None) -> Graph:
    store = ox.Store()
    store.load(path=str(HERE / "base.ttl"), format=ox.RdfFormat.TURTLE)
    if update:
        prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
        store.update(prologue + update)
    triples = (q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")


def _summary(findings: list[Finding]) -> set[tuple[str, str | None, str]]:
    def simple(path: str | None) -> str | None:
        return path if path and path.startswith("http") else None

    return {(f.focus, simple(f.path), f.severity.value) for f in findings}


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_base_graph_conforms(shapes: Graph, engine: str) -> None:
    assert run_engine(engine, store_of(_edited_base(None)), shapes) == []


def test_base_graph_exercises_every_shape(shapes: Graph) -> None:
    """Every node shape has at least one focus node in the base graph, so `conforms` means something."""
    base = _edited_base(None)
    idle = []
    for shape in set(shapes.subjects(SH.targetClass, None)):
        if not any(base.subjects(None, cls) for cls in shapes.objects(shape, SH.targetClass)):
            idle.append(shape)
    for shape, prop in shapes.subject_objects(SH.targetSubjectsOf):
        if not any(base.subjects(prop, None)):
            idle.append(shape)
    assert idle == []


def test_every_constraint_has_a_case_that_breaks_it(shapes: Graph) -> None:
    """Each constraint is known by its message (all differ): some case must produce it."""
    templates = {str(message) for message in shapes.objects(None, SH.message)}
    patterns = {t: re.compile(re.sub(r"\\\{\\\?\w+\\\}", ".*", re.escape(t)), re.DOTALL) for t in templates}
    produced: set[str] = set()
    for case in CASES:
        for finding in run_engine("oxigraph", store_of(_edited_base(case["update"])), shapes):
            produced |= {t for t, pattern in patterns.items() if pattern.fullmatch(finding.message)}
    missing = sorted(templates - produced)
    assert missing == [], "\n".join(missing)


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_shape_case_reports_exactly_the_expected_results(shapes: Graph, engine: str, case: dict[str, Any]) -> None:
    findings = run_engine(engine, store_of(_edited_base(case["update"])), shapes)
    expected = set()
    for line in case["expect"]:
        focus, path, severity = line.split()
        expected.add((_expand(focus), _expand(path), severity))
    assert _summary(findings) == expected, [f.message for f in findings]
    for finding in findings:
        assert "Fix:" in finding.message or finding.severity.value != "Violation", finding.message
