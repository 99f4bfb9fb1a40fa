"""Three SHACL engines behind one small interface, so they can be compared and swapped.

- `oxigraph` (default): our compiler of each constraint to one SPARQL query over Oxigraph
  (loaders/validate/oxigraph.py); the fastest and leanest on large graphs.
- `rudof`: the Rust implementation from pyrudof (Core and SHACL-SPARQL); fast, but its
  memory grows by about 10 KB per triple.
- `pyshacl`: the reference Python implementation; complete, slow on large graphs.

Figures in docs/benchmarks.md. All return the same `Finding`s, and tests/test_shapes.py runs
every shape case through all three.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

import pyoxigraph as ox
import pyrudof
from pyshacl import validate
from pyshacl.errors import ValidationFailure
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from loaders.core.errors import BuildError
from loaders.validate.findings import Finding, Severity
from loaders.validate.oxigraph import validate_with_oxigraph


def store_of(graph: Graph) -> ox.Store:
    """An in-memory store with `graph` as its default graph: what the engines validate."""
    store = ox.Store()
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def _ntriples(store: ox.Store) -> bytes:
    return store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""


def _pyshacl(store: ox.Store, shapes: Graph) -> list[Finding]:
    data = Graph().parse(data=_ntriples(store), format="nt")
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


def _rudof(store: ox.Store, shapes: Graph) -> list[Finding]:
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    try:
        rudof.read_data(_ntriples(store).decode("utf-8"), format=pyrudof.RDFFormat.NTriples)
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


def _oxigraph(store: ox.Store, shapes: Graph) -> list[Finding]:
    return sorted(validate_with_oxigraph(store, shapes), key=_order)


ENGINES: dict[str, Callable[[ox.Store, Graph], list[Finding]]] = {"oxigraph": _oxigraph, "rudof": _rudof, "pyshacl": _pyshacl}
DEFAULT_ENGINE = "oxigraph"


def run_engine(name: str, data: ox.Store, shapes: Graph, focus: Collection[ox.NamedNode] | None = None) -> list[Finding]:
    """Validate the default graph of `data` against `shapes`: only the nodes in `focus` when given
    and the engine can restrict itself to them (oxigraph); the other engines check every node."""
    engine = ENGINES.get(name)
    if engine is None:
        raise ValueError(f"unknown SHACL engine {name!r}; use one of: {', '.join(ENGINES)}")
    if focus is not None and name == "oxigraph":
        return sorted(validate_with_oxigraph(data, shapes, focus), key=_order)
    return engine(data, shapes)
