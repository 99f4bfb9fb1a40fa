"""Two SHACL engines behind one small interface, so they can be compared and swapped.

- `pyshacl`: the reference Python implementation (SHACL Core and SHACL-SPARQL).
- `rudof`: the Rust implementation from pyrudof, also Core and SHACL-SPARQL; much faster
  on large graphs (figures in docs/benchmarks.md), hence the default.

Both return the same `Finding`s; tests/test_shapes.py runs every shape case through both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import pyrudof
from pyshacl import validate
from pyshacl.errors import ValidationFailure
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from loaders.errors import BuildError


class Severity(StrEnum):
    VIOLATION = "Violation"
    WARNING = "Warning"
    INFO = "Info"


@dataclass(frozen=True)
class Finding:
    """One validation result: which node, which property, what is wrong."""

    focus: str
    path: str | None
    message: str
    severity: Severity
    shape: str | None = None
    value: str | None = None


def _pyshacl(data: Graph, shapes: Graph) -> list[Finding]:
    _, report, _ = validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    if isinstance(report, ValidationFailure):
        raise BuildError(f"the SHACL shapes cannot be applied: {report}", [])
    findings = []
    for result in report.subjects(SH.resultSeverity, None):
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        shape = report.value(result, SH.sourceShape)
        findings.append(
            Finding(
                focus=str(report.value(result, SH.focusNode)),
                path=str(path) if path is not None else None,
                message=str(report.value(result, SH.resultMessage) or "violates a shape."),
                severity=Severity(str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]),
                shape=str(shape) if shape is not None else None,
                value=str(value) if value is not None else None,
            )
        )
    return sorted(findings, key=_order)


_MESSAGE = re.compile(r'"((?:[^"\\]|\\.)*)"@en')


def _rudof(data: Graph, shapes: Graph) -> list[Finding]:
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    try:
        rudof.read_data(data.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
        rudof.read_shacl(shapes.serialize(format="turtle"), format=pyrudof.ShaclFormat.Turtle)
        report = rudof.validate_shacl()
    except pyrudof.RudofError as error:
        raise BuildError(f"the SHACL shapes cannot be applied: {error}", []) from error
    findings = []
    for entry in report:
        # rudof puts its own text first, then the values, then our sh:message (which names the fix)
        messages = [m.replace('\\"', '"') for m in _MESSAGE.findall(entry.message or "")]
        ours = [m for m in messages if " Fix: " in m]
        message = ours[-1] if ours else _message_in_shapes(shapes, entry.path, entry.constraint_component)
        message = message or entry.message or "violates a shape."
        findings.append(
            Finding(
                focus=str(entry.focus_node),
                path=entry.path,
                message=message,
                severity=Severity(entry.severity),
                shape=None if str(entry.source_shape).startswith("_:") else entry.source_shape,
                value=None if entry.value is None else str(entry.value),
            )
        )
    return sorted(findings, key=_order)


def _message_in_shapes(shapes: Graph, path: str | None, component: str | None) -> str | None:
    """Our sh:message for a result whose engine left it out: the property shape on `path`
    that sets the parameter of `component` (sh:uniqueLang for UniqueLangConstraintComponent…)."""
    if not path or not component or not component.endswith("ConstraintComponent"):
        return None
    local = component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    parameter = URIRef(str(SH) + local[0].lower() + local[1:])
    for shape in sorted(shapes.subjects(SH.path, URIRef(path)), key=str):
        if (shape, parameter, None) in shapes:
            message = shapes.value(shape, SH.message)
            if message is not None:
                return str(message)
    return None


def _order(finding: Finding) -> tuple[str, str, str]:
    return (finding.focus, finding.path or "", finding.message)


ENGINES: dict[str, Callable[[Graph, Graph], list[Finding]]] = {"rudof": _rudof, "pyshacl": _pyshacl}
DEFAULT_ENGINE = "rudof"


def run_engine(name: str, data: Graph, shapes: Graph) -> list[Finding]:
    engine = ENGINES.get(name)
    if engine is None:
        raise ValueError(f"unknown SHACL engine {name!r}; use one of: {', '.join(ENGINES)}")
    return engine(data, shapes)


def report_graph(findings: list[Finding]) -> Graph:
    """The findings as a standard sh:ValidationReport, for the Turtle report file."""
    graph = Graph()
    graph.bind("sh", SH)
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    conforms = not any(f.severity is Severity.VIOLATION for f in findings)
    graph.add((report, SH.conforms, Literal(conforms)))
    for finding in findings:
        result = BNode()
        graph.add((report, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, URIRef(finding.focus)))
        graph.add((result, SH.resultSeverity, SH[finding.severity.value]))
        graph.add((result, SH.resultMessage, Literal(finding.message, lang="en")))
        if finding.path:
            graph.add((result, SH.resultPath, URIRef(finding.path)))
        if finding.shape:
            graph.add((result, SH.sourceShape, URIRef(finding.shape)))
        if finding.value is not None:
            graph.add((result, SH.value, Literal(finding.value)))
    return graph
