"""Writes SPARQL query results for the terminal: a table, CSV, or SPARQL 1.1 JSON."""

from __future__ import annotations

import io
from enum import StrEnum
from typing import IO

import pyoxigraph as ox
from rich.console import Console
from rich.table import Table

from loaders.core.vocab import PREFIXES


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


_RESULTS_FORMAT = {OutputFormat.csv: ox.QueryResultsFormat.CSV, OutputFormat.json: ox.QueryResultsFormat.JSON}
_GRAPH_FORMAT = {
    OutputFormat.table: ox.RdfFormat.TURTLE,
    OutputFormat.csv: ox.RdfFormat.N_TRIPLES,
    OutputFormat.json: ox.RdfFormat.JSON_LD,
}


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def write_results(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: OutputFormat, out: IO[bytes]) -> int:
    """Write `result` in `fmt`; return the number of rows or triples (1 for ASK)."""
    if isinstance(result, ox.QueryTriples):
        triples = list(result)
        ox.serialize(triples, out, _GRAPH_FORMAT[fmt], prefixes=PREFIXES if fmt is not OutputFormat.csv else None)
        return len(triples)
    if fmt is not OutputFormat.table:
        data = result.serialize(format=_RESULTS_FORMAT[fmt])
        assert data is not None
        out.write(data)
        return 1 if isinstance(result, ox.QueryBoolean) else -1
    if isinstance(result, ox.QueryBoolean):
        out.write(b"true\n" if bool(result) else b"false\n")
        return 1
    variables = [v.value for v in result.variables]
    table = Table(*variables, show_lines=False)
    count = 0
    for solution in result:
        table.add_row(*(_cell(solution[v]) for v in variables))
        count += 1
    buffer = io.StringIO()
    console = Console(file=buffer, width=200)
    console.print(table)
    console.print(f"{count} row(s)")
    out.write(buffer.getvalue().encode("utf-8"))
    return count
