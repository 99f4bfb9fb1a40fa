"""A SHACL engine that compiles each constraint to one SPARQL query run by Oxigraph.

Instead of walking focus nodes one by one, every constraint becomes a single query that
finds all the nodes violating it, so validating millions of triples takes a few scans in
Rust with the data held once, compactly. It covers the part of SHACL our shapes use:
targets (class, subjects-of, node), property shapes on an IRI or inverse path with
minCount, maxCount, datatype, class, pattern, minInclusive, maxInclusive, nodeKind and uniqueLang,
severities, messages, and SHACL-SPARQL constraints. A shape using anything else is refused
with an error naming it, never silently skipped. tests/test_shapes.py runs every shape case
through this engine, pyshacl and rudof, and they must agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from loaders.core.cores import usable_cores
from loaders.core.errors import BuildError
from loaders.validate.findings import Finding, Severity

SUPPORTED = {
    SH.path, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.pattern, SH.minInclusive, SH.maxInclusive, SH.nodeKind,
    SH.uniqueLang, SH.message, SH.severity, SH.name, SH.description, SH.deactivated,
}  # fmt: skip
NODE_SHAPE_KEYS = {
    SH.targetClass, SH.targetSubjectsOf, SH.targetNode, SH.property, SH.sparql, SH.severity, SH.message, SH.deactivated,
    RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
}  # fmt: skip
Compiled = tuple[str, str, str | None, str, str | None]  # query, message, path, severity, shape
FOCUS_GRAPH = "urn:s3kg:validation-focus"  # a scratch graph naming the focus nodes of a partial validation
PREFIXES = {"rdf": str(RDF), "rdfs": str(RDFS)}
MAX_THREADS = 8  # queries run at once; each scans the store, so more than the cores only waits
NODE_KINDS: dict[Node, str] = {SH.IRI: "isIRI(?v)", SH.BlankNode: "isBlank(?v)", SH.Literal: "isLiteral(?v)"}


def _sparql_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise BuildError(f"the SHACL shapes use a blank node where an IRI or literal is needed: {term}", [])


class _Compiler:
    def __init__(self, shapes: Graph, subclasses: Callable[[Node], list[str]] | None = None):
        self.shapes = shapes
        self.subclasses = subclasses  # given: only the nodes marked in FOCUS_GRAPH are checked

    def unsupported(self, shape: Node, what: object) -> BuildError:
        return BuildError(f"the oxigraph SHACL engine does not support {what} (in shape {shape}); use --engine pyshacl.", [])

    def target(self, shape: Node) -> str | None:
        classes = list(self.shapes.objects(shape, SH.targetClass))
        subjects_of = [_sparql_term(p) for p in self.shapes.objects(shape, SH.targetSubjectsOf)]
        nodes = [_sparql_term(n) for n in self.shapes.objects(shape, SH.targetNode)]
        if self.subclasses is not None:  # the focus nodes first, each then tested against the targets
            tests = [f"EXISTS {{ ?this rdf:type ?type FILTER (?type IN ({', '.join(self.subclasses(c))})) }}" for c in classes]
            tests += [f"EXISTS {{ ?this {p} [] }}" for p in subjects_of] + [f"?this IN ({', '.join(nodes)})"] * bool(nodes)
            if not tests:
                return None
            focus = f"GRAPH <{FOCUS_GRAPH}> {{ ?this a <{FOCUS_GRAPH}> }}"
            return f"{{ SELECT DISTINCT ?this WHERE {{ {focus} FILTER ({' || '.join(tests)}) }} }}"
        parts = [f"{{ ?this rdf:type/rdfs:subClassOf* {_sparql_term(c)} }}" for c in classes]
        parts += [f"{{ ?this {p} [] }}" for p in subjects_of] + [f"{{ VALUES ?this {{ {n} }} }}" for n in nodes]
        if not parts:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"

    def severity(self, shape: Node, default: str = "Violation") -> str:
        value = self.shapes.value(shape, SH.severity)
        return str(value).rsplit("#", 1)[-1] if value is not None else default

    def property_queries(self, node_shape: Node, target: str, prop: Node) -> Iterator[Compiled]:
        """(query, message, path IRI or None, severity, shape) per constraint of one property shape."""
        for predicate in set(self.shapes.predicates(prop, None)) - SUPPORTED:
            raise self.unsupported(node_shape, f"the parameter {predicate}")
        path = self.shapes.value(prop, SH.path)
        if isinstance(path, URIRef):
            step, path_iri = f"?this <{path}> ?v", str(path)
        elif path is not None and isinstance(inverse := self.shapes.value(path, SH.inversePath), URIRef):
            step, path_iri = f"?v <{inverse}> ?this", None
        else:
            raise self.unsupported(node_shape, f"the path {path}")
        message = str(self.shapes.value(prop, SH.message) or f"Value does not conform to a constraint on {path}.")
        severity = self.severity(prop)
        shape = str(prop) if isinstance(prop, URIRef) else None
        select = f"SELECT ?this ?v WHERE {{ {target} {step} FILTER ({{cond}}) }}"
        for count, op in ((self.shapes.value(prop, SH.minCount), "<"), (self.shapes.value(prop, SH.maxCount), ">")):
            if count is not None:
                query = (
                    f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {target} OPTIONAL {{ {step} }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) {op} {_sparql_term(count)})"
                )
                yield query, message, path_iri, severity, shape
        conditions = []
        if (datatype := self.shapes.value(prop, SH.datatype)) is not None:
            conditions.append(f"!isLiteral(?v) || datatype(?v) != {_sparql_term(datatype)}")
        if (cls := self.shapes.value(prop, SH["class"])) is not None:
            conditions.append(f"isLiteral(?v) || NOT EXISTS {{ ?v rdf:type/rdfs:subClassOf* {_sparql_term(cls)} }}")
        if (pattern := self.shapes.value(prop, SH.pattern)) is not None:
            conditions.append(f"isBlank(?v) || !REGEX(STR(?v), {Literal(str(pattern)).n3()})")
        if (minimum := self.shapes.value(prop, SH.minInclusive)) is not None:
            conditions.append(f"!COALESCE(?v >= {_sparql_term(minimum)}, false)")
        if (maximum := self.shapes.value(prop, SH.maxInclusive)) is not None:
            conditions.append(f"!COALESCE(?v <= {_sparql_term(maximum)}, false)")
        if (kind := self.shapes.value(prop, SH.nodeKind)) is not None:
            if kind not in NODE_KINDS:
                raise self.unsupported(node_shape, f"sh:nodeKind {kind}")
            conditions.append(f"!{NODE_KINDS[kind]}")
        for condition in conditions:
            yield select.replace("{cond}", condition), message, path_iri, severity, shape
        if self.shapes.value(prop, SH.uniqueLang) == Literal(True):
            query = (
                f"SELECT ?this (SAMPLE(?v) AS ?v) WHERE {{ {target} {step} FILTER (lang(?v) != '') }} "
                "GROUP BY ?this (lang(?v)) HAVING (COUNT(DISTINCT ?v) > 1)"
            )
            yield query, message, path_iri, severity, shape

    def sparql_query(self, node_shape: Node, target: str, constraint: Node) -> tuple[str, str]:
        select = self.shapes.value(constraint, SH.select)
        if select is None:
            raise self.unsupported(node_shape, "a SPARQL constraint without sh:select")
        prologue = ""
        for prefixes in self.shapes.objects(constraint, SH.prefixes):
            for declaration in self.shapes.objects(prefixes, SH.declare):
                prefix, namespace = self.shapes.value(declaration, SH.prefix), self.shapes.value(declaration, SH.namespace)
                prologue += f"PREFIX {prefix}: <{namespace}>\n"
        text = str(select).replace("$this", "?this")
        where = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE)
        if where is None:
            raise self.unsupported(node_shape, "a SPARQL constraint whose query has no WHERE clause")
        query = prologue + text[: where.end()] + f" {target} " + text[where.end() :]  # pre-binds ?this to the targets
        message = str(self.shapes.value(constraint, SH.message) or self.shapes.value(node_shape, SH.message) or "")
        return query, message

    def node_shapes(self) -> Iterator[Node]:
        keys = (SH.targetClass, SH.targetSubjectsOf, SH.targetNode)
        yield from sorted({s for key in keys for s in self.shapes.subjects(key, None)}, key=str)


def _message(template: str, row: ox.QuerySolution, variables: list[str]) -> str:
    def value(match: re.Match[str]) -> str:
        term = row[match.group(1)] if match.group(1) in variables else None
        return term.value if term is not None and hasattr(term, "value") else match.group(0)

    return re.sub(r"\{[?$](\w+)\}", value, template)


def validate_with_oxigraph(store: ox.Store, shapes: Graph, focus: Collection[ox.NamedNode] | None = None) -> list[Finding]:
    """Validate the default graph of `store`, only for the nodes in `focus` when given
    (`loaders.validate.reach`); the store is left as it was."""
    if focus is None:
        return _validate(store, _Compiler(shapes))
    marker = ox.NamedNode(FOCUS_GRAPH)
    store.extend(ox.Quad(node, ox.NamedNode(str(RDF.type)), marker, marker) for node in focus)
    closures: dict[Node, list[str]] = {}

    def subclasses(cls: Node) -> list[str]:
        if cls not in closures:
            found = store.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* {_sparql_term(cls)} }}")
            assert isinstance(found, ox.QuerySolutions)
            closures[cls] = sorted({str(row["c"]) for row in found} | {_sparql_term(cls)})
        return closures[cls]

    try:
        return _validate(store, _Compiler(shapes, subclasses))
    finally:
        store.remove_graph(marker)


def _validate(store: ox.Store, compiler: _Compiler) -> list[Finding]:
    """Every shape's queries, compiled first (a shape the engine cannot check fails before any
    query runs), then run on a thread per core: Oxigraph evaluates outside the GIL. The findings
    come in the queries' order, whichever finishes first."""
    queries = list(_compiled(compiler))
    workers = max(1, min(usable_cores(), MAX_THREADS))
    with ThreadPoolExecutor(workers) as pool:
        found = pool.map(lambda compiled: _findings(store, compiled), queries)
        return [finding for findings in found for finding in findings]


def _compiled(compiler: _Compiler) -> Iterator[Compiled]:
    shapes = compiler.shapes
    for node_shape in compiler.node_shapes():
        if shapes.value(node_shape, SH.deactivated) == Literal(True):
            continue
        for predicate in set(shapes.predicates(node_shape, None)) - NODE_SHAPE_KEYS:
            raise compiler.unsupported(node_shape, f"the parameter {predicate}")
        target = compiler.target(node_shape)
        assert target is not None
        shape_iri = str(node_shape) if isinstance(node_shape, URIRef) else None
        for prop in shapes.objects(node_shape, SH.property):
            yield from compiler.property_queries(node_shape, target, prop)
        for constraint in shapes.objects(node_shape, SH.sparql):
            query, message = compiler.sparql_query(node_shape, target, constraint)
            yield query, message, None, compiler.severity(node_shape), shape_iri


def _findings(store: ox.Store, compiled: Compiled) -> list[Finding]:
    query, message, path, severity, shape = compiled
    solutions = store.query(query, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    variables = [v.value for v in solutions.variables]
    results = []
    for row in solutions:
        focus, value = row["this"], row["v"] if "v" in variables else None
        bound_path = row["path"] if "path" in variables else None
        results.append(
            Finding(
                focus=focus.value if isinstance(focus, ox.NamedNode | ox.BlankNode) else str(focus),
                path=bound_path.value if isinstance(bound_path, ox.NamedNode) else path,
                message=_message(message, row, variables),
                severity=Severity(severity),
                shape=shape,
                value=value.value if isinstance(value, ox.NamedNode | ox.Literal) else None,
            )
        )
    return results
