"""Where a statement came from, for error messages and reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Where an entity was stated: the file, line and record id."""

    file: str
    line: int | None
    record: str | None
