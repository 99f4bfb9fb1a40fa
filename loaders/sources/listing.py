"""Registering and removing exports in data/sources.yaml, all or nothing.

A change to the sources is tried first: the new sources file is written beside the real one
(`.sources.yaml.pending`), a build runs from it, and only when that build is published does the
pending file replace sources.yaml (one rename). A refused file, a failed build or a killed
command leaves sources.yaml exactly as it was, so the next command still works.

Each build also keeps every export's last row account (rows read, loaded, merged, rejected, and
the columns not read) in `<report_dir>/accounts.json`, for `s3kg sources`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

import yaml

from loaders.core.errors import BuildError, SourceProblem, display_name
from loaders.core.file_limits import FileRefused, compose_yaml, load_yaml
from loaders.map.tabular import Summary
from loaders.sources.kinds import EXPORT_KINDS, SOURCE_KINDS

PENDING = ".sources.yaml.pending"
T = TypeVar("T")


class Where(Protocol):
    """Where the sources are listed and read from, and the reports written (`loaders.build.BuildConfig`)."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def sources_file(self) -> Path: ...

    @property
    def report_dir(self) -> Path: ...

    def listed_in(self, sources_file: Path) -> Self:
        """The same, with the sources listed in another file."""
        ...


W = TypeVar("W", bound=Where)


def read_sources(config: Where) -> tuple[list[tuple[str, list[Path]]], list[SourceProblem]]:
    """The configured sources as (kind, files); problems name the entry at fault."""
    name = str(config.sources_file)
    try:
        document = load_yaml(config.sources_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, FileRefused) as err:
        return [], [SourceProblem(name, f"cannot be read: {err}.", fix="restore data/sources.yaml.")]
    entries = document.get("sources") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return [], [SourceProblem(name, "has no `sources:` list.", fix="list the sources under `sources:`.")]
    sources: list[tuple[str, list[Path]]] = []
    problems: list[SourceProblem] = []
    for number, entry in enumerate(entries, start=1):
        kind = entry.get("kind") if isinstance(entry, dict) else None
        pattern = entry.get("path") if isinstance(entry, dict) else None
        if kind not in SOURCE_KINDS or not isinstance(pattern, str):
            fix = f"give each entry `kind` (one of {', '.join(SOURCE_KINDS)}) and `path`."
            problems.append(
                SourceProblem(name, f"entry {number} is incomplete or of an unknown kind.", record=str(number), fix=fix)
            )
            continue
        absolute = Path(pattern)
        found = ([absolute] if absolute.is_file() else []) if absolute.is_absolute() else config.data_dir.glob(pattern)
        files = sorted(Path(os.path.normpath(f)) for f in found)  # `../exports/x.tsv` without the `data/..`
        if not files:
            problems.append(
                SourceProblem(
                    name,
                    f"entry {number}: no file matches '{pattern}' under {config.data_dir}.",
                    record=str(number),
                    fix="correct the path.",
                )
            )
            continue
        sources.append((kind, files))
    return sources, problems


def _written(config: Where, path: Path) -> str:
    """The export's path as the sources file keeps it: relative to the data folder when the
    file is inside the project (`../exports/x.tsv` too), so the project can move; absolute only
    for a file outside it."""
    resolved, data = path.resolve(), config.data_dir.resolve()
    if resolved.is_relative_to(data.parent):
        return os.path.relpath(resolved, data)
    return str(resolved)


def _entries(config: Where) -> list[tuple[str, list[Path]]]:
    entries, problems = read_sources(config)
    if problems:
        raise BuildError("the sources file has problems; fix them first.", problems)
    return entries


def with_source(config: Where, kind: str, path: Path) -> tuple[str, str]:
    """The sources file's text with the export added (unchanged if it is there), and its path as written."""
    if kind not in EXPORT_KINDS:
        raise BuildError(f"unknown kind '{kind}'; use one of: {', '.join(EXPORT_KINDS)}.", [])
    if not path.is_file():
        raise BuildError(f"no such file: {path}", [])
    text = config.sources_file.read_text(encoding="utf-8")
    written = _written(config, path)
    if any(kind == k and path.resolve() in [f.resolve() for f in files] for k, files in _entries(config)):
        return text, written
    ending = "" if text.endswith("\n") else "\n"
    return f"{text}{ending}  - {{kind: {kind}, path: {json.dumps(written)}}}\n", written


def without_source(config: Where, path: Path) -> str:
    """The sources file's text without the entry that names this export (its line or lines cut out)."""
    text = config.sources_file.read_text(encoding="utf-8")
    _entries(config)  # the file is sound
    root = compose_yaml(text)
    target = path.resolve() if path.exists() else (config.data_dir / path).resolve()
    for key, value in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value != "sources" or not isinstance(value, yaml.SequenceNode):
            continue
        for entry in value.value:
            fields = {k.value: v.value for k, v in entry.value} if isinstance(entry, yaml.MappingNode) else {}
            named = Path(str(fields.get("path", "")))
            named = named if named.is_absolute() else config.data_dir / named
            if fields.get("kind") in EXPORT_KINDS and named.resolve() == target:
                lines = text.splitlines(keepends=True)
                start, end = entry.start_mark.line, entry.end_mark.line + (1 if entry.end_mark.column else 0)
                return "".join(lines[:start] + lines[end:])
    raise BuildError(f"{path} is not a registered export; `s3kg sources` lists them.", [])


def apply_sources(config: W, text: str, run: Callable[[W], T]) -> T:
    """Run a build from `text` as the sources file; make it the sources file only if the build succeeds."""
    pending = config.sources_file.with_name(PENDING)
    pending.write_text(text, encoding="utf-8")
    try:
        outcome = run(config.listed_in(pending))
        os.replace(pending, config.sources_file)
        return outcome
    finally:
        pending.unlink(missing_ok=True)


def record_accounts(config: Where, summaries: list[Summary]) -> None:
    """Keep each export's row account from this build (atomically, beside the other reports)."""
    path = config.report_dir / "accounts.json"
    accounts = read_accounts(config)
    for summary in summaries:
        accounts[summary.file] = {
            "read": summary.read,
            "loaded": summary.loaded,
            "merged": summary.merged,
            "rejected": summary.rejected,
            "columns_not_read": summary.ignored_columns,
            "read_as": summary.dialect,
            "notes": summary.notes,
            "rejected_by_reason": dict(Counter(r.reason for r in summary.rejects).most_common()),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(".accounts.json.partial")
    partial.write_text(json.dumps(accounts, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def read_accounts(config: Where) -> dict[str, dict[str, Any]]:
    path = config.report_dir / "accounts.json"
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def registered(config: Where) -> list[tuple[str, str, dict[str, dict[str, Any]] | None]]:
    """Every registered file as (kind, file as the build names it, its last row accounts or None)."""
    accounts = read_accounts(config)
    rows = []
    for kind, files in _entries(config):
        for file in files:
            name = display_name(file, config.data_dir)
            found = {k: v for k, v in accounts.items() if k == name or k.startswith(name + " [")}
            rows.append((kind, name, found or None))
    return rows
