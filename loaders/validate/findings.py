"""What a SHACL engine reports, whichever engine it is, and the standard report graph."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH


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
