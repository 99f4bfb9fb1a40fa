"""The project's data without its real exports: the seeds, the curated records, the strategies and
the reference tables. Tests of the build's mechanics (locks, versions, the feed, bad input, the
command line) build this, in seconds; the session's `built` store and the tests of what people
see build the real default data (with keep.eu's, Thüringen's, Poland's and Sweden's exports)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
EXPORTS = "exports/"  # where data/sources.yaml's real exports are


def copy_seed_data(target: Path) -> Path:
    """data/ copied to `target`, its real exports left out (files and their lines in sources.yaml)."""
    shutil.copytree(PROJECT / "data", target, ignore=shutil.ignore_patterns("exports"))
    sources = target / "sources.yaml"
    lines = sources.read_text(encoding="utf-8").splitlines(keepends=True)
    sources.write_text("".join(line for line in lines if EXPORTS not in line), encoding="utf-8")
    return target


@cache
def seed_data_dir() -> Path:
    """One copy for the whole session (read, never written: tests that edit data copy their own)."""
    folder = Path(tempfile.mkdtemp(prefix="s3kg-seed-data-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return copy_seed_data(folder / "data")
