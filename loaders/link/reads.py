"""Which predicates a set of SPARQL queries reads, from their parsed algebra: a build whose
changed triples use none of them gets the same answers, so the links made from those answers
can be carried over instead of made again (loaders.build).

A variable in a predicate's place, or a negated property set, reads every predicate: then the
answer is None, "anything".
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef, Variable

from loaders.core.vocab import PREFIXES


class _ReadsAll(Exception):
    """A pattern whose predicate is not fixed."""


def _path(path: object, found: set[str]) -> None:
    if isinstance(path, URIRef):
        found.add(str(path))
    elif isinstance(path, SequencePath | AlternativePath):
        for part in path.args:
            _path(part, found)
    elif isinstance(path, InvPath):
        _path(path.arg, found)
    elif isinstance(path, MulPath):
        _path(path.path, found)
    else:  # a variable, or a negated property set
        raise _ReadsAll


def _walk(node: object, found: set[str]) -> None:
    if isinstance(node, CompValue):
        for key, value in node.items():
            if key == "triples":
                for _, predicate, _ in value:
                    _path(predicate, found)
            else:
                _walk(value, found)
    elif isinstance(node, list | tuple):
        for item in node:
            _walk(item, found)


def predicates_read(queries: Iterable[str]) -> frozenset[str] | None:
    """The IRIs of every predicate the queries match triples by; None when one matches any predicate."""
    found: set[str] = set()
    try:
        for query in queries:
            _walk(prepareQuery(query, initNs=PREFIXES).algebra, found)
    except _ReadsAll:
        return None
    return frozenset(found)


def _triples(node: object, found: list[tuple[object, object]]) -> None:
    """Every triple pattern's subject and predicate (path), anywhere in the algebra."""
    if isinstance(node, CompValue):
        for key, value in node.items():
            if key == "triples":
                found.extend((subject, predicate) for subject, predicate, _ in value)
            else:
                _triples(value, found)
    elif isinstance(node, list | tuple):
        for item in node:
            _triples(item, found)


def _one_step(path: object) -> bool:
    """A predicate, or an alternative of predicates: one triple of the subject's own."""
    return isinstance(path, URIRef) or (isinstance(path, AlternativePath) and all(isinstance(p, URIRef) for p in path.args))


def star_of(query: str) -> str | None:
    """The variable every triple pattern of the query has as its subject, each with a fixed
    predicate (or an alternative of them), so that the query's rows for one value of it depend
    only on that subject's own triples; None when a pattern reaches further."""
    found: list[tuple[object, object]] = []
    _triples(prepareQuery(query, initNs=PREFIXES).algebra, found)
    subjects = {subject for subject, _ in found}
    if len(subjects) != 1 or not all(_one_step(path) for _, path in found):
        return None
    (subject,) = subjects
    return str(subject) if isinstance(subject, Variable) else None
