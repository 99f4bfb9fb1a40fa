"""A search index's content by entity, to compare an index patched by a build with one written whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def index_rows(path: Path) -> tuple[int, set[tuple[str, ...]]]:
    """Every entity's row of every table, by IRI (the ids differ: a patched index numbers its new
    rows after the others), and how many; checks that no table keeps a row the others lost."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT e.iri, e.type, e.labels, COALESCE(e.context, ''), w.names, w.other_names, w.descriptions, w.stems, "
            "k.type, n.names "
            "FROM entities e JOIN words w ON w.rowid = e.id JOIN kinds k ON k.id = e.id JOIN name_words n ON n.rowid = e.id"
        ).fetchall()
        counts = {
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("entities", "words", "name_words", "kinds")
        }
    assert counts == {len(rows)}, counts
    return len(rows), set(rows)
