"""Which code wrote an SQLite file a build keeps (the search index, the figures, the linking's
inputs): a digest of the modules that wrote it, kept in the file's `user_version`. A build patches
an earlier build's file only when the same code made it; otherwise it writes the file whole."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path


def code_digest(*modules: str, extra: str = "") -> int:
    """A digest of these modules' source files (their `__file__`) and of `extra` (say, the queries
    that wrote the file), as SQLite's user_version holds it."""
    digest = hashlib.sha256(b"".join(Path(module).read_bytes() for module in modules) + extra.encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1  # user_version is a signed 32-bit integer


def made_by(path: Path) -> int:
    """The code digest an SQLite file was written with (0: none recorded, or no file an SQLite
    database can be read from: a missing, truncated or overwritten file is written whole again)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError:  # OperationalError (cannot open) included
        return 0


def mark(db: sqlite3.Connection, digest: int) -> None:
    """Record the code digest in the file being written."""
    db.execute(f"PRAGMA user_version = {int(digest)}")  # a PRAGMA takes no parameters; an int is safe
