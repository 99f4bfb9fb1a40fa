"""Errors a load or build reports: each names where (file, line, record, field) and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def display_name(path: Path, data_dir: Path) -> str:
    """A source file as messages and the published graph name it: relative to the project
    (data/…, exports/…) when it is inside, else its file name alone: an absolute path says
    where an operator keeps files, which is not for publishing."""
    try:
        return str(path.resolve().relative_to(data_dir.resolve().parent))
    except ValueError:
        return path.name


@dataclass(frozen=True)
class SourceProblem:
    """One thing wrong with one place in one source file."""

    file: str
    message: str
    line: int | None = None
    record: str | None = None
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.record is not None:
            parts.append(f"record '{self.record}'")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        text = ": ".join([", ".join(parts), self.message])
        return f"{text} Fix: {self.fix}" if self.fix else text


SHOWN_PROBLEMS = 50  # in messages; the full list goes to the problems file


class BuildError(Exception):
    """The build stopped; nothing was published. Carries every problem found."""

    def __init__(self, summary: str, problems: list[SourceProblem], report: Path | None = None):
        self.summary = summary
        self.problems = problems
        self.report = report
        super().__init__(summary)

    def __str__(self) -> str:
        shown = self.problems[:SHOWN_PROBLEMS]
        lines = [self.summary, *(f"  - {p}" for p in shown)]
        if len(self.problems) > len(shown):
            lines.append(f"  … and {len(self.problems) - len(shown)} more")
        if self.report is not None:
            lines.append(f"Full validation report: {self.report}")
        return "\n".join(lines)
