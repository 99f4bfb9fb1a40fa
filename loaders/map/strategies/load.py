"""Reading one strategy file: the mapper's graph, the statement groups of the passages its
source documents support, and the problems that keep it out."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.terms import TripleSink
from loaders.map.curated.passages import About, Sources, check_passages, needed, statement_groups
from loaders.map.curated.reader import Node, Record, read_document
from loaders.map.reference.nuts import NutsTable
from loaders.map.reference.objectives import ObjectiveConcepts
from loaders.map.strategies.mapper import StrategyMapper, strings
from loaders.map.tabular import source_document


def load_strategy(
    path: Path,
    display: str,
    minter: IriMinter,
    regions: NutsTable,
    known: set[URIRef],
    documents: Sources | None = None,
    origins: dict[URIRef, Origin] | None = None,
) -> tuple[Graph, dict[URIRef, Graph], list[SourceProblem]]:
    """One strategy file as a graph and the statement groups of its passages, or the problems
    that keep it out (each naming its line). `origins` learns the line of the strategy and of
    each priority, so that a shape's finding about them names the file and line."""
    top, problems = read_document(path, display)
    if top is None or problems:
        return Graph(), {}, problems
    mapper = StrategyMapper(display, minter, regions, known)
    with tempfile.TemporaryDirectory() as folder, TripleSink(Path(folder) / "strategy.nt") as sink:
        file_source = source_document(sink, minter, "strategy", "S3 strategy", path, display)
        with sink.row() as out:
            mapper.strategy(out, top, ObjectiveConcepts(minter, file_source), file_source)
        graph = sink.graph()
    if origins is not None:
        origins.update(mapper.origins)
    if mapper.problems:
        return Graph(), {}, mapper.problems
    groups = _passages(top, display, graph, minter, documents, mapper.problems) if documents is not None else {}
    return (Graph(), {}, mapper.problems) if mapper.problems else (graph, groups, [])


def _passages(
    top: Node, display: str, graph: Graph, minter: IriMinter, documents: Sources, problems: list[SourceProblem]
) -> dict[URIRef, Graph]:
    """The passages of the source documents the strategy cites (besides itself), supporting the
    statements about everything that cites them (loaders.map.curated.passages; `fields` may be left
    out: a passage then supports the whole strategy)."""
    fields = top.data if isinstance(top.data, dict) else {}
    cited = [ident for ident, _ in strings(fields.get("source")) if documents.get(ident) is not None]
    if not cited:
        return {}
    quoted = {minter.entity("source", ident) for ident in cited}
    subjects = {s for s, o in graph.subject_objects(DCTERMS.source) if o in quoted}
    statements = Graph()
    for triple in graph:
        if triple[0] in subjects and triple[1] != DCTERMS.source:
            statements.add(triple)
    ident = str(fields["id"].data)
    about = About("strategy", Record(display, top.line, fields), minter.entity("strategy", ident), whole="strategy")
    supported = needed({"strategy": statements})
    passages = check_passages(about, supported, cited, documents, problems)
    return statement_groups(about, supported, passages, minter, graph) if not problems else {}
