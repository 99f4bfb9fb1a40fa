"""The curated-YAML loader: every file under data/curated/ becomes one named graph."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from loaders.curated.mapper import map_record
from loaders.curated.reader import Record, read_records
from loaders.curated.registry import Context, Registry, index
from loaders.errors import SourceProblem


def load_curated(paths: list[Path], ctx: Context) -> tuple[dict[Path, Graph], Registry, list[SourceProblem]]:
    """Map all curated files together (references may cross files); one graph per file."""
    problems: list[SourceProblem] = []
    records: list[Record] = []
    for path in paths:
        found, file_problems = read_records(path, _display(path, ctx.data_dir))
        records.extend(found)
        problems.extend(file_problems)
    registry, index_problems = index(records, ctx)
    problems.extend(index_problems)
    graphs = {path: Graph() for path in paths}
    by_name = {_display(path, ctx.data_dir): path for path in paths}
    for entry in registry.values():
        map_record(entry, ctx, registry, graphs[by_name[entry.record.file]], problems)
    return graphs, registry, problems


def _display(path: Path, data_dir: Path) -> str:
    """The path as the editor knows it: relative to the project when possible."""
    try:
        return str(path.resolve().relative_to(data_dir.resolve().parent))
    except ValueError:
        return str(path)
