"""What a build tells whoever watches it: a status line per step, and how far each long load is.

Loaders call a `Progress` with a `str` ("validating with SHACL") or an `Advance` for a file
being read. The command line draws a progress bar per file from them; other callers may
ignore them or log them. Nothing in the loaders knows how it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Advance:
    """How far the load of one file is: `done` of `total` units (bytes of the file, or rows of a
    sheet), with the rows read and rejected so far."""

    task: str
    done: int
    total: int | None
    unit: str
    rows: int
    rejected: int

    def __str__(self) -> str:
        return f"loading {self.task}: {self.rows:,} rows, {self.rejected:,} rejected"


Progress = Callable[[str | Advance], None]


def silent(_: str | Advance) -> None:
    return None
