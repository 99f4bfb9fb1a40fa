"""The curated-YAML loader: every file under data/curated/ becomes one named graph."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from loaders.curated.mapper import map_record
from loaders.curated.reader import Record, read_records
from loaders.curated.registry import Context, Registry, index
from loaders.errors import SourceProblem, display_name


def load_curated(paths: list[Path], ctx: Context) -> tuple[dict[Path, Graph], Registry, list[SourceProblem]]:
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
    for entry in registry.values():
        map_record(entry, ctx, registry, graphs[by_name[entry.record.file]], problems)
    return graphs, registry, problems
