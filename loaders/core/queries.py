"""Reading a store: what a build is read through, and two small ways of asking it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pyoxigraph as ox

from loaders.core.vocab import PREFIXES


class Readable(Protocol):
    """What a build is read through: pyoxigraph's Store, or a look-alike of its reading calls
    (`server.backends.remote.store.RemoteStore`, over a remote engine)."""

    def query(self, query: str, *args: Any, **kwargs: Any) -> Any: ...

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any, graph_name: Any = None) -> Iterator[ox.Quad]: ...


def count_matches(store: Readable, pattern: str) -> int:
    """How many solutions a graph pattern has, counted by Oxigraph."""
    solutions = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    assert isinstance(solutions, ox.QuerySolutions)
    count = next(iter(solutions))["n"]
    return int(count.value) if isinstance(count, ox.Literal) else 0


def select_values(store: Readable, query: str) -> Iterator[list[str]]:
    """Rows of a SELECT (with the prefixes of loaders.core.vocab), each value in the order of the
    query's variables as its lexical form or IRI, "" when unbound."""
    solutions = store.query(query, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    for row in solutions:
        yield [term.value if (term := row[name]) is not None else "" for name in names]
