"""Reads a curated YAML source file into records that remember their line numbers.

Scalars are kept as text: converting them (dates, numbers, booleans) is the mapping's
job, so that a wrong type is reported with the field that expects another one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import yaml

from loaders.core.errors import SourceProblem
from loaders.core.file_limits import FileRefused, compose_yaml

# libyaml's composer keeps line marks too and is many times faster than the pure-Python one

Data: TypeAlias = "str | list[Node] | dict[str, Node]"


@dataclass(frozen=True)
class Node:
    """One YAML value and the line (1-based) it starts on."""

    data: Data
    line: int


@dataclass(frozen=True)
class Record:
    """One top-level mapping of a curated file."""

    file: str
    line: int
    fields: dict[str, Node]

    @property
    def id(self) -> str | None:
        node = self.fields.get("id")
        return node.data if node is not None and isinstance(node.data, str) else None

    @property
    def type(self) -> str | None:
        node = self.fields.get("type")
        return node.data if node is not None and isinstance(node.data, str) else None


def _convert(node: yaml.Node, file: str, problems: list[SourceProblem]) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        return Node(str(node.value), line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, file, problems) for item in node.value], line)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in mapping:
                problems.append(
                    SourceProblem(
                        file,
                        f"the key '{key}' appears twice in one mapping.",
                        line=key_node.start_mark.line + 1,
                        field=key,
                        fix="keep one of the two values.",
                    )
                )
            mapping[key] = _convert(value_node, file, problems)
        return Node(mapping, line)
    raise TypeError(f"unexpected YAML node {node!r}")  # aliases are resolved by compose()


def read_document(path: Path, display_name: str) -> tuple[Node | None, list[SourceProblem]]:
    """Parse a YAML file into nodes that know their lines; syntax errors and an empty file come
    back as problems, never raised."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        return None, [SourceProblem(display_name, f"is not UTF-8 text ({err.reason}).", fix="save it as UTF-8.")]
    try:
        root = compose_yaml(text)  # anchors, aliases and deep nesting refused before anything is expanded
    except FileRefused as refused:
        return None, [SourceProblem(display_name, f"is refused: {refused}", fix="split the file, or raise the setting.")]
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        column = f", column {mark.column + 1}" if mark is not None else ""
        message = f"is not valid YAML{column}: {err.problem or err.context}."
        fix = "correct the YAML syntax at that line (indentation, quotes, ':' after keys)."
        return None, [SourceProblem(display_name, message, line=line, fix=fix)]
    if root is None:  # zero bytes, or only comments: publishing nothing from it silently would lose data
        fix = "add its records, or remove the file from data/sources.yaml if it is meant to go."
        return None, [SourceProblem(display_name, "is empty: it has no records.", fix=fix)]
    problems: list[SourceProblem] = []
    return _convert(root, display_name, problems), problems


def read_records(path: Path, display_name: str) -> tuple[list[Record], list[SourceProblem]]:
    """Parse `path` into records; syntax errors come back as problems, never raised."""
    top, problems = read_document(path, display_name)
    if top is None:
        return [], problems
    if not isinstance(top.data, list):
        problems.append(
            SourceProblem(display_name, "must be a list of records.", line=top.line, fix="start each record with '- type: ...'.")
        )
        return [], problems
    if not top.data:  # `[]`: publishing nothing from it silently would lose data, as for an empty file
        fix = "add its records, or remove the file from data/sources.yaml if it is meant to go."
        return [], [SourceProblem(display_name, "is an empty list: it has no records.", line=top.line, fix=fix)]
    records: list[Record] = []
    for item in top.data:
        if not isinstance(item.data, dict):
            problems.append(
                SourceProblem(
                    display_name, "a record must be a mapping of fields.", line=item.line, fix="write 'field: value' pairs."
                )
            )
            continue
        records.append(Record(display_name, item.line, item.data))
    return records, problems
