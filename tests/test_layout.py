"""The layout's promises (issue 22): the import contracts of pyproject.toml hold, no module imports
itself through others, the command line starts without the web stack, and every list of source
kinds a user reads comes from (or agrees with) the one table, loaders/sources/kinds.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest
import yaml

from loaders.sources.kinds import EXPORT_KINDS, KINDS

PROJECT = Path(__file__).resolve().parent.parent


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(edges.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            circle = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                circle.append(top)
                if top == module:
                    break
            if len(circle) > 1:
                found.append(sorted(circle))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_circles_are_found_when_there_are_some() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_through_others_type_only_imports_included() -> None:
    graph = grimp.build_graph("loaders", "server", "s3kg", cache_dir=None)
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert _circles(edges) == []


def test_the_import_contracts_hold() -> None:
    linted = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], capture_output=True, text=True, cwd=PROJECT
    )
    assert linted.returncode == 0, linted.stdout[-4000:]
    assert "0 broken" in linted.stdout


@pytest.mark.parametrize("module", ["s3kg.cli", "s3kg.settings"])
def test_the_command_line_starts_without_the_web_stack(module: str) -> None:
    code = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules}}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT).stdout
    for heavy in ("fastapi", "uvicorn", "starlette", "server", "jinja2"):
        assert f"'{heavy}'" not in loaded, f"import {module} loads {heavy}"


def test_load_help_lists_every_export_kind() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "s3kg.cli", "load", "--help"], capture_output=True, text=True, cwd=PROJECT, env={"COLUMNS": "400"}
    ).stdout
    assert all(kind in shown for kind in EXPORT_KINDS), shown


def test_the_readme_shows_how_to_load_every_export_kind() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert [kind for kind in EXPORT_KINDS if f"s3kg load {kind} " not in readme] == []


def test_the_sources_file_names_every_kind_as_the_table_does() -> None:
    text = (PROJECT / "data" / "sources.yaml").read_text(encoding="utf-8")
    comment = [line for line in text.splitlines() if line.startswith("#")]
    assert [f"#   {kind.name}: {kind.help}" for kind in KINDS if f"#   {kind.name}: {kind.help}" not in comment] == []
    listed = {entry["kind"] for entry in yaml.safe_load(text)["sources"]}
    assert listed <= {kind.name for kind in KINDS}
