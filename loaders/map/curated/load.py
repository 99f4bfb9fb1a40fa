"""The curated-YAML loader: every file under data/curated/ becomes one named graph."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from loaders.core.errors import SourceProblem, display_name
from loaders.map.curated.mapper import map_record
from loaders.map.curated.passages import Sources
from loaders.map.curated.reader import Record, read_records
from loaders.map.curated.registry import Context, Registry, index


@dataclass
class Curated:
    """The curated files mapped: one graph per file, the statement groups of their passages
    (graph IRI → the statements one passage supports), the records by id."""

    graphs: dict[Path, Graph]
    statements: dict[URIRef, Graph]
    registry: Registry
    problems: list[SourceProblem]
    documents: Sources  # the source documents, read once: the strategies' passages quote them too


def load_curated(paths: list[Path], ctx: Context) -> Curated:
    """Map all curated files together (references may cross files); one graph per file."""
    problems: list[SourceProblem] = []
    records: list[Record] = []
    for path in paths:
        found, file_problems = read_records(path, display_name(path, ctx.data_dir))
        records.extend(found)
        problems.extend(file_problems)
    registry, index_problems = index(records, ctx)
    problems.extend(index_problems)
    graphs = {path: Graph() for path in paths}
    by_name = {display_name(path, ctx.data_dir): path for path in paths}
    documents = Sources(ctx, registry)
    statements: dict[URIRef, Graph] = {}
    for entry in registry.values():
        statements.update(map_record(entry, ctx, registry, graphs[by_name[entry.record.file]], problems, documents))
    return Curated(graphs, statements, registry, problems, documents)
