"""Writes SPARQL query results for the terminal: a table, CSV, or SPARQL 1.1 JSON."""

from __future__ import annotations

import io
import re
from enum import StrEnum
from typing import IO

import pyoxigraph as ox
from rich.console import Console
from rich.table import Table

from loaders.core.errors import SourceProblem
from loaders.core.vocab import PREFIXES
from loaders.link.explained import Explained
from loaders.publish.changes import STATEMENT_GROUPS
from loaders.publish.store import BuildInfo


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


def graphs_table(info: BuildInfo, title: str) -> Table:
    table = Table("named graph", "triples", title=title)
    groups = {g: n for g, n in info.graphs.items() if STATEMENT_GROUPS in g}  # one per passage: one row for all
    for graph, triples in sorted(info.graphs.items()):
        if graph not in groups:
            table.add_row(graph, f"{triples:,}")
    if groups:
        table.add_row(f"statement groups of the curated passages ({len(groups):,} graphs)", f"{sum(groups.values()):,}")
    table.add_row("[bold]total[/bold]", f"[bold]{info.triples:,}[/bold]")
    return table


def matches_text(found: list[Explained], why: bool) -> str:
    """The matches of `s3kg matches`, strongest first, one paragraph each; with `why`, what each rule means."""
    lines = []
    for n, match in enumerate(found, start=1):
        lines.append(f"{n}. {match.project_label or match.project}")
        lines.append(f"   serves {match.priority_label or match.priority} ({match.strategy_label or 'strategy'})")
        lines.append(f"   rule {match.rule}, score {match.score}, where they meet: {match.region}")
        if why and match.why:
            lines.append(f"   the rule: {match.why}")
        lines.extend(f"   shared: {code}" for code in match.codes)
        if match.words:
            lines.append(f"   words both use: {'; '.join(match.words)}")
        lines.append(f"   {match.project} → {match.priority}")
    return "\n".join(lines)


GROUPED_WARNINGS = 3  # more warnings than this with one message for one file make one summary line


def report_warnings(err: Console, warnings: list[SourceProblem]) -> None:
    """Each warning, or one line per file and message when a file has many alike (a real export
    of 20,000 organisations named in their own language must not bury its row account)."""
    groups: dict[tuple[str, str], list[SourceProblem]] = {}
    for warning in warnings:
        message = re.sub(r" \[[^\]]*\]$", "", warning.message)  # without the entity it is about
        groups.setdefault((warning.file, message), []).append(warning)
    for (file, message), alike in groups.items():
        lines = [str(w) for w in alike]
        if len(alike) > GROUPED_WARNINGS:
            first = alike[0]
            example = f"{first.file}:{first.line}" if first.line is not None else first.file
            lines = [
                f"{file}: {len(alike):,} records: {message} (the first at {example})"
                + (f" Fix: {first.fix}" if first.fix else "")
            ]
        for line in lines:
            err.print("[yellow]warning:[/yellow] ", end="")
            err.print(line, markup=False, highlight=False)
