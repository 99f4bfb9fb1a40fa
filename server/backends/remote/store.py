"""The pages' view of a build held by a remote SPARQL engine: the two reading calls of
pyoxigraph's Store they use (`query` for SELECT and ASK, `quads_for_pattern`), answered by the
engine for one build, with the same graph names and the same result objects as the embedded
store gives (the engine's XML results are read by pyoxigraph's own parser)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pyoxigraph as ox

from loaders.publish.remote import BuildView, RemoteEngine
from server.backends.remote.translate import answer_filters, filtered, prepare

_SYNTAX = ox.Store()  # empty: parses a query (and tells its form) without touching any data
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def query_form(query: str, prefixes: Mapping[str, str] | None = None, base_iri: str | None = None) -> type:
    """QuerySolutions, QueryBoolean or QueryTriples, as Oxigraph's SPARQL 1.1 parser reads the
    query; SyntaxError (with line and column) for anything else, an engine's own dialect included."""
    answer = _SYNTAX.query(query, prefixes=dict(prefixes or {}), base_iri=base_iri)
    return type(answer)


class RemoteStore:
    def __init__(self, engine: RemoteEngine, view: BuildView):
        self.engine, self.view = engine, view

    def query(
        self,
        query: str,
        prefixes: Mapping[str, str] | None = None,
        base_iri: str | None = None,
        default_graph: Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean:
        if query_form(query, prefixes, base_iri) is ox.QueryTriples:
            raise ValueError(
                "CONSTRUCT and DESCRIBE over a remote store go through the endpoint (server.backends.remote.forward)"
            )
        text, params = prepare(
            self.view,
            query,
            prefixes or {},
            base_iri,
            [g.value for g in default_graph or []],
            [g.value for g in named_graphs or []],
        )
        response = self.engine.query(text, params, "application/sparql-results+xml")
        content = filtered(answer_filters(self.view, self.engine.target.engine), response.content, last=True)
        return ox.parse_query_results(content, format=ox.QueryResultsFormat.XML)

    def quads_for_pattern(
        self, subject: Term | None, predicate: ox.NamedNode | None, object: Term | None, graph_name: object = None
    ) -> Iterator[ox.Quad]:
        s, p, o = (
            str(term) if term is not None else f"?{name}" for term, name in ((subject, "s"), (predicate, "p"), (object, "o"))
        )
        pattern = f"{s} {p} {o}"
        if isinstance(graph_name, ox.DefaultGraph):
            where = pattern
        elif isinstance(graph_name, ox.NamedNode):
            where = f"GRAPH {graph_name} {{ {pattern} }}"
        else:
            where = f"{{ {pattern} }} UNION {{ GRAPH ?g {{ {pattern} }} }}"
        solutions = self.query(f"SELECT * WHERE {{ {where} }}")
        assert isinstance(solutions, ox.QuerySolutions)
        for row in solutions:
            if isinstance(graph_name, ox.NamedNode | ox.DefaultGraph):
                graph = graph_name
            else:
                graph = row["g"] if row["g"] is not None else ox.DefaultGraph()
            yield ox.Quad(subject or row["s"], predicate or row["p"], object or row["o"], graph)  # type: ignore[arg-type]
