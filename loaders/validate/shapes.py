"""SHACL validation of the graph about to be published, with findings an editor can act on.

Each result is traced back to the curated record it concerns (file, line, id) and the
field that holds the offending property, and the full report is kept as Turtle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from loaders.core import paths
from loaders.core.errors import SourceProblem
from loaders.core.origins import Origin
from loaders.core.vocab import PREFIXES
from loaders.map.curated.schema import RECORD_TYPES, Kind, RecordType
from loaders.map.tabular import Summary
from loaders.validate.engines import DEFAULT_ENGINE, run_engine
from loaders.validate.findings import Severity, report_graph

SHAPES_DIR = paths.SHAPES_DIR


@dataclass(frozen=True)
class ValidationOutcome:
    conforms: bool
    violations: list[SourceProblem]
    warnings: list[SourceProblem]
    report: Graph
    summaries: list[Summary] = dataclasses.field(default_factory=list)  # row accounts of the real exports checked
    focus: int | None = None  # nodes checked when only what a change can reach was validated; None: all


def load_shapes(shapes_dir: Path = SHAPES_DIR) -> Graph:
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def _field_names() -> tuple[dict[URIRef, str], dict[str, str]]:
    """Map a property, and a sub-record's IRI segment, back to the curated field behind it."""
    by_predicate: dict[URIRef, str] = {RDFS.label: "label", SKOS.prefLabel: "label", DCTERMS.source: "source"}
    by_segment: dict[str, str] = {}

    def walk(rtype: RecordType) -> None:
        for field in rtype.fields:
            if field.predicate is not None:
                by_predicate.setdefault(field.predicate, field.name)
            if field.sub is not None:
                by_segment[field.sub.collection] = field.name
                walk(field.sub)
            if field.kind is Kind.AMOUNT:
                by_segment[field.name.replace("_", "-")] = field.name

    for rtype in RECORD_TYPES.values():
        walk(rtype)
    return by_predicate, by_segment


def _curie(iri: URIRef) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return str(iri)


def _origin_of(focus: URIRef, origins: Mapping[URIRef, Origin]) -> tuple[Origin | None, str]:
    """The record stating `focus` (or holding it, for a sub-record) and the IRI path below it."""
    iri = str(focus)
    while iri:
        origin = origins.get(URIRef(iri))
        if origin is not None:
            return origin, str(focus)[len(iri) :].strip("/")
        iri = iri.rsplit("/", 1)[0] if "/" in iri.split("://", 1)[-1] else ""
    return None, ""


def validate_graph(
    data: ox.Store,
    shapes: Graph,
    origins: Mapping[URIRef, Origin],
    engine: str = DEFAULT_ENGINE,
    focus: Collection[ox.NamedNode] | None = None,
) -> ValidationOutcome:
    """Validate the default graph of `data`; with `focus`, only those nodes (what a change can
    reach, `loaders.validate.reach`: the rest conformed in the build the change starts from)."""
    findings = run_engine(engine, data, shapes, focus)
    by_predicate, by_segment = _field_names()
    violations: list[SourceProblem] = []
    warnings: list[SourceProblem] = []
    for finding in findings:
        text, _, fix = finding.message.partition(" Fix: ")
        origin, below = _origin_of(URIRef(finding.focus), origins)
        path = URIRef(finding.path) if finding.path else None
        curated = origin is not None and origin.file.endswith((".yaml", ".yml"))
        field = by_segment.get(below.split("/", 1)[0]) if below and curated else None
        if field is None and path is not None:  # a curated field, or the property (a row of an export)
            field = by_predicate.get(path, str(path)) if curated else _curie(path)
        problem = SourceProblem(
            file=origin.file if origin else "(generated)",
            line=origin.line if origin else None,
            record=origin.record if origin else finding.focus,
            field=field,
            message=f"{text} [{finding.focus}]",
            fix=fix or None,
        )
        (violations if finding.severity is Severity.VIOLATION else warnings).append(problem)
    checked = len(focus) if focus is not None and engine == "oxigraph" else None
    return ValidationOutcome(not violations, violations, warnings, report_graph(findings), focus=checked)
