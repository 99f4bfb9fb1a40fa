"""Bounds on what a source file may ask of a build, checked before anything is expanded (issue 21).

A file in `data/` or given to `s3kg load` can be hostile: a YAML alias bomb (a few lines that
expand to gigabytes), nesting a hundred thousand deep, a workbook whose XML declares entities
(billion laughs, XXE) or whose parts unpack to gigabytes, a CSV field of 200 MB. Each is refused
with a `FileRefused` that names the file, the limit and the setting that raises it:

- YAML (curated records, strategies, the sources list): at most `max_yaml_mb` (reading a YAML
  file takes about 60 times its size in memory: 64 MB, about 4 GB); anchors and aliases
  are refused (nothing we publish needs them), nesting at most `max_nesting`;
- JSON (Jems partner lists): at most `max_json_mb`, nesting at most `max_nesting`;
- delimited text: one field at most `max_field_mb` (the csv module's own limit, set per read);
- workbooks: at most `max_workbook_mb` on disk and `max_unpacked_mb` unpacked, no part unpacking to
  more than `max_unpack_ratio` times its packed size, and their XML read through defusedxml
  (openpyxl uses it when it is installed), which refuses entity declarations.

The build's limits come from the settings (`BuildConfig.limits`) and are set for the reading
stage with `using(limits)`; code that reads files asks `current()`.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

MB = 1 << 20


@dataclass(frozen=True)
class FileLimits:
    max_yaml_mb: int = 64  # reading takes about 60 times the file's size in memory (25 MB: 1.5 GB)
    max_json_mb: int = 256
    max_nesting: int = 64
    max_field_mb: int = 1
    max_workbook_mb: int = 256
    max_unpacked_mb: int = 2048
    max_unpack_ratio: int = 200


class FileRefused(ValueError):
    """A file over one of the limits; the message names the limit and its setting."""


_LIMITS: ContextVar[FileLimits] = ContextVar("file_limits", default=FileLimits())  # noqa: B039 - frozen, never mutated


def current() -> FileLimits:
    return _LIMITS.get()


@contextmanager
def using(limits: FileLimits) -> Iterator[None]:
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)


def _over(what: str, size: float, limit: float, setting: str, unit: str = "MB") -> FileRefused:
    return FileRefused(f"{what} is {size:,.0f} {unit}, over the limit of {limit:,} {unit} (setting {setting}).")


def check_size(path: Path, setting: str) -> None:
    """Refuse a file larger than the limit `setting` names (in MB)."""
    limit = getattr(current(), setting)
    size = path.stat().st_size
    if size > limit * MB:
        raise _over("the file", size / MB, limit, setting)


# -- YAML -------------------------------------------------------------------------------------


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML was built with it


def _check_events(text: str) -> None:
    """Read the YAML's events as they come (nothing is composed, expanded or kept) and refuse
    anchors, aliases and nesting past the limit, with the place."""
    limit, depth = current().max_nesting, 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise yaml.MarkedYAMLError(
                    problem="anchors and aliases (&name, *name) are not accepted in source files; write each value out",
                    problem_mark=cast(Any, event.start_mark),
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    problem = f"nesting deeper than {limit} levels (setting max_nesting)"
                    raise yaml.MarkedYAMLError(problem=problem, problem_mark=cast(Any, event.start_mark))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as error:  # libyaml stops at 1,000 levels on its own: say it in our words
        if "nesting depth" not in str(error.problem):
            raise
        problem = f"nesting deeper than {limit} levels (setting max_nesting)"
        raise yaml.MarkedYAMLError(problem=problem, problem_mark=error.problem_mark) from None


def compose_yaml(text: str) -> yaml.Node | None:
    """The YAML document's node tree (lines kept), within the limits; yaml.MarkedYAMLError when it
    breaks one of them, as for a syntax error. FileRefused for a text over max_yaml_mb."""
    limit = current().max_yaml_mb
    if len(text) > limit * MB:
        raise _over("the file", len(text) / MB, limit, "max_yaml_mb")
    _check_events(text)
    return yaml.compose(text, Loader=_LOADER)


def load_yaml(text: str) -> Any:
    """A YAML document's data (safe types only), within the same limits as `compose_yaml`."""
    compose_yaml(text)  # the checks; the document is then read as usual
    return yaml.load(text, Loader=_LOADER)


# -- JSON -------------------------------------------------------------------------------------


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # strings (skipped whole) and brackets


def _nesting(text: str, limit: int) -> int | None:
    """The offset where brackets nest past `limit`, or None (brackets inside strings do not count)."""
    depth = 0
    for found in _JSON_TOKENS.finditer(text):
        token = found.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return found.start()
        elif token in ("]", "}"):
            depth -= 1
    return None


def load_json(path: Path) -> Any:
    """A JSON file's data within max_json_mb and max_nesting (FileRefused), or json's own
    ValueError for bad JSON."""
    check_size(path, "max_json_mb")
    text = path.read_text(encoding="utf-8-sig")
    limit = current().max_nesting
    deep = _nesting(text, limit)
    if deep is not None:
        line = text.count("\n", 0, deep) + 1
        raise FileRefused(f"line {line}: nesting deeper than {limit} levels (setting max_nesting).")
    return json.loads(text)


# -- workbooks --------------------------------------------------------------------------------


def check_workbook(path: Path) -> None:
    """Refuse a workbook whose size, unpacked size or packing ratio is over the limits, reading
    only the zip's directory (nothing is unpacked)."""
    limits = current()
    check_size(path, "max_workbook_mb")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        return  # not a zip: the workbook reader says so in its own words
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_mb * MB:
        raise _over("unpacked, the workbook", unpacked / MB, limits.max_unpacked_mb, "max_unpacked_mb")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > MB and ratio > limits.max_unpack_ratio:
            raise FileRefused(
                f"its part {member.filename} unpacks {ratio:,.0f} times larger than it is packed, over the limit of "
                f"{limits.max_unpack_ratio} (setting max_unpack_ratio)."
            )
