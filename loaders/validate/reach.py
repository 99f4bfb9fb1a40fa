"""Which focus nodes a change can reach: the nodes whose validation might differ when some
triples are added to or removed from the data graph.

A constraint of a shape reads the data through triple patterns that hang together from its
focus node `?this`: a property shape reads `?this p ?v` (or `?v p ?this` on an inverse path) and,
with sh:class, `?v rdf:type ?c`; a SHACL-SPARQL constraint reads the patterns of its query (every
basic graph pattern, FILTER EXISTS ones too; a property path is its chain of steps). For each
pattern we keep the shortest chain of steps from `?this` to the pattern's nearer end (its
`Walk`). A changed triple that fits the pattern can then only change the answer for a focus
node from which that chain leads to the triple's end: those nodes are found by one query per
walk, over the new data, with the triples' ends as VALUES. The first changed triple on any chain
from a focus node is reached through unchanged triples, which both builds have; so walking the
new data finds every focus node a removal can reach too.

What this cannot bound asks for a full validation instead (`Reach.focus` returns None): a
repeated path (`rdfs:subClassOf*` of targets and sh:class) whose predicate a change uses,
a blank node in a changed triple (its label differs from build to build), or more changed
triples or reached nodes than `MAX_CHANGED` / `MAX_FOCUS`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, URIRef, Variable
from rdflib.namespace import SH
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

MAX_CHANGED = 500_000  # changed triples beyond which a full validation is cheaper than walking them
MAX_FOCUS = 100_000  # focus nodes beyond which a full validation is cheaper than naming them
CHUNK = 2_000  # values per walk query
THIS = Variable("this")

Step = tuple[str | None, bool]  # predicate IRI (None: any) and whether it is followed forward (subject → object)


@dataclass(frozen=True)
class Walk:
    """A pattern a changed triple can fit (its predicate; None: any), which end of it is nearer
    `?this` ("s" or "o") and the steps from `?this` to that end."""

    predicate: str | None
    end: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class _Edge:
    subject: Node
    predicate: str | None
    object: Node


class Reach:
    """The walks of every active shape, and the predicates whose repeated paths it cannot bound."""

    def __init__(self, shapes: Graph) -> None:
        self.walks: set[Walk] = set()
        self.unbounded: set[str] = set()
        for shape in _node_shapes(shapes):
            self.walks |= self._walks(self._edges(shapes, shape))

    def _edges(self, shapes: Graph, shape: Node) -> list[_Edge]:
        """The patterns through which the shape's targets and constraints read the data."""
        edges: list[_Edge] = []
        if (shape, SH.targetClass, None) in shapes:  # ?this rdf:type/rdfs:subClassOf* the class
            edges.append(_Edge(THIS, str(RDF.type), Variable("class")))
            self.unbounded.add(str(RDFS.subClassOf))
        edges += [_Edge(THIS, str(p), Variable("target")) for p in shapes.objects(shape, SH.targetSubjectsOf)]
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            inverse = shapes.value(path, SH.inversePath) if path is not None and not isinstance(path, URIRef) else None
            value = Variable(f"v{len(edges)}")
            if isinstance(path, URIRef):
                edges.append(_Edge(THIS, str(path), value))
            elif isinstance(inverse, URIRef):
                edges.append(_Edge(value, str(inverse), THIS))
            if shapes.value(prop, SH["class"]) is not None:
                edges.append(_Edge(value, str(RDF.type), Variable(f"c{len(edges)}")))
                self.unbounded.add(str(RDFS.subClassOf))
        for constraint in shapes.objects(shape, SH.sparql):
            edges += self._query_edges(shapes, constraint)
        return edges

    def _query_edges(self, shapes: Graph, constraint: Node) -> list[_Edge]:
        select = str(shapes.value(constraint, SH.select) or "").replace("$this", "?this")
        namespaces = {
            str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
            for prefixes in shapes.objects(constraint, SH.prefixes)
            for d in shapes.objects(prefixes, SH.declare)
        }
        edges: list[_Edge] = []
        for subject, predicate, obj in _triples(prepareQuery(select, initNs=namespaces).algebra):
            edges += self._path_edges(subject, predicate, obj, len(edges))
        return edges

    def _path_edges(self, subject: Node, path: Node | Path, obj: Node, n: int) -> list[_Edge]:
        """A property path as plain edges: a sequence through fresh variables, an inverse flipped."""
        if isinstance(path, Variable):
            return [_Edge(subject, None, obj)]
        if isinstance(path, URIRef):
            return [_Edge(subject, str(path), obj)]
        if isinstance(path, InvPath):
            return self._path_edges(obj, path.arg, subject, n)
        if isinstance(path, SequencePath):
            nodes = [subject, *(Variable(f"_seq{n}_{k}") for k in range(len(path.args) - 1)), obj]
            return [e for k, step in enumerate(path.args) for e in self._path_edges(nodes[k], step, nodes[k + 1], n + k)]
        if isinstance(path, AlternativePath):
            return [e for step in path.args for e in self._path_edges(subject, step, obj, n)]
        if isinstance(path, MulPath):  # a chain of any length: its predicates cannot be walked a bounded number of steps
            self.unbounded |= {str(p) for p in _predicates(path)}
            return self._path_edges(subject, path.path, obj, n)
        self.unbounded |= {str(p) for p in _predicates(path)} or {"*"}
        return []

    @staticmethod
    def _walks(edges: list[_Edge]) -> set[Walk]:
        """Breadth first from ?this over the patterns: each pattern's nearer end and the steps to it."""
        steps: dict[Node, tuple[Step, ...]] = {THIS: ()}
        walks: set[Walk] = set()
        frontier: list[Node] = [THIS]
        left = list(edges)
        while frontier and left:
            following: list[Node] = []
            waiting: list[_Edge] = []
            for edge in left:
                if edge.subject in steps:
                    walks.add(Walk(edge.predicate, "s", steps[edge.subject]))
                    if edge.object not in steps:
                        steps[edge.object] = (*steps[edge.subject], (edge.predicate, True))
                        following.append(edge.object)
                elif edge.object in steps:
                    walks.add(Walk(edge.predicate, "o", steps[edge.object]))
                    steps[edge.subject] = (*steps[edge.object], (edge.predicate, False))
                    following.append(edge.subject)
                else:
                    waiting.append(edge)
            frontier, left = following, waiting
        # a pattern not joined to ?this (a constant check, a cross product) can fit any change: both ends
        walks |= {Walk(e.predicate, end, ()) for e in left for end in ("s", "o")}
        return walks

    def focus(self, store: ox.Store, changed: Iterable[ox.Triple]) -> set[ox.NamedNode] | None:
        """The nodes whose validation the changed triples can reach, in `store` (the new data);
        None when only a full validation will do."""
        ends: dict[tuple[str | None, str], set[ox.NamedNode | ox.Literal]] = defaultdict(set)
        for count, triple in enumerate(changed, 1):
            if count > MAX_CHANGED or isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
                return None
            predicate = triple.predicate.value
            if predicate in self.unbounded or "*" in self.unbounded:
                return None
            assert isinstance(triple.subject, ox.NamedNode)
            ends[(predicate, "s")].add(triple.subject)
            ends[(predicate, "o")].add(triple.object)  # type: ignore[arg-type]
        starts: dict[tuple[Step, ...], set[ox.NamedNode | ox.Literal]] = defaultdict(set)
        for walk in self.walks:
            for (changed_predicate, end), values in ends.items():
                if walk.end == end and walk.predicate in (None, changed_predicate):
                    starts[walk.steps] |= values
        found: set[ox.NamedNode] = set()
        for steps, values in starts.items():
            found |= set(_walk_back(store, steps, values))
            if len(found) > MAX_FOCUS:
                return None
        return found


def _walk_back(store: ox.Store, steps: tuple[Step, ...], values: set[ox.NamedNode | ox.Literal]) -> Iterator[ox.NamedNode]:
    """The IRIs from which `steps` lead to one of `values` (the values themselves for no steps)."""
    if not steps:
        yield from (v for v in values if isinstance(v, ox.NamedNode))
        return
    chain, node = [], "?this"
    for k, (predicate, forward) in enumerate(steps):
        following = "?end" if k == len(steps) - 1 else f"?m{k}"
        verb = f"<{predicate}>" if predicate else f"?p{k}"
        chain.append(f"{node} {verb} {following} ." if forward else f"{following} {verb} {node} .")
        node = following
    ordered = sorted(values, key=str)
    for start in range(0, len(ordered), CHUNK):
        listed = " ".join(str(v) for v in ordered[start : start + CHUNK])
        solutions = store.query(f"SELECT DISTINCT ?this WHERE {{ VALUES ?end {{ {listed} }} {' '.join(chain)} }}")
        assert isinstance(solutions, ox.QuerySolutions)
        yield from (row["this"] for row in solutions if isinstance(row["this"], ox.NamedNode))


def _node_shapes(shapes: Graph) -> list[Node]:
    keys = (SH.targetClass, SH.targetSubjectsOf, SH.targetNode)
    found = {s for key in keys for s in shapes.subjects(key, None)}
    return sorted((s for s in found if (s, SH.deactivated, None) not in shapes or not shapes.value(s, SH.deactivated)), key=str)


def _triples(algebra: object) -> Iterator[tuple[Node, Node | Path, Node]]:
    """Every triple pattern anywhere in a query's algebra (FILTER EXISTS, OPTIONAL and subqueries too)."""
    if isinstance(algebra, CompValue):
        if "triples" in algebra and algebra["triples"] is not None:
            yield from (tuple(t) for t in algebra["triples"])
        for value in algebra.values():
            yield from _triples(value)
    elif isinstance(algebra, list | tuple):
        for value in algebra:
            yield from _triples(value)


def _predicates(path: object) -> Iterator[URIRef]:
    if isinstance(path, URIRef):
        yield path
    for part in getattr(path, "args", []) or []:
        yield from _predicates(part)
    for name in ("arg", "path"):
        if (inner := getattr(path, name, None)) is not None:
            yield from _predicates(inner)
