"""A build's progress on the terminal: a status line for the current step and a bar per file
being loaded (bytes of a CSV, rows of a workbook sheet), with its rows and rejects so far."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TaskProgressColumn, TextColumn, TimeRemainingColumn

from loaders.core.progress import Advance


class BuildProgress:
    """Called with what the loaders report (`loaders.core.progress.Progress`); use as a context."""

    def __init__(self, console: Console):
        self.bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self.status = self.bars.add_task("building", total=None, rows="")
        self.files: dict[str, TaskID] = {}

    def __enter__(self) -> BuildProgress:
        self.bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.bars.update(self.status, description="done" if kind is None else "stopped", total=1, completed=1)
        self.bars.stop()

    def __call__(self, step: str | Advance) -> None:
        if isinstance(step, str):
            self.bars.update(self.status, description=step)
            return
        task = self.files.get(step.task)
        if task is None:
            task = self.files[step.task] = self.bars.add_task(step.task, total=step.total, rows="")
        rows = f"{step.rows:,} rows, {step.rejected:,} rejected"
        self.bars.update(task, completed=step.done, total=step.total, rows=rows)
