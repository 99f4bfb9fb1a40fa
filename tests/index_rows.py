"""A build's SQLite files (the search index, the figures) by entity, to compare a file patched by
a build with one written whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np


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


def figure_rows(path: Path) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """Every ranked member and every total of a figures file, by IRI (a patch numbers new entities after the others)."""
    with sqlite3.connect(path) as db:
        members = db.execute(
            "SELECT o.iri, kind, known, sort, member.iri, budget, eu FROM member JOIN entity AS o ON o.id = owner"
        ).fetchall()
        totals = db.execute("SELECT iri, kind, n, budget, eu FROM total JOIN entity ON entity.id = owner").fetchall()
    return set(members), set(totals)


def table_index(folder: Path) -> dict[str, object]:
    """Every file of a tables' index (loaders/publish/tables/) as what it holds: arrays as lists,
    the rows' and facet values' IRIs by number, the description as text."""
    found: dict[str, object] = {}
    for file in sorted(folder.rglob("*")):
        name = str(file.relative_to(folder))
        if file.suffix == ".npy":
            found[name] = np.nan_to_num(np.load(file), nan=-1.0).tolist()
        elif file.name == "reads.sqlite":  # what the index read, by read and row (loaders/core/keyed_reads.py)
            with sqlite3.connect(file) as db:
                found[name] = db.execute("SELECT * FROM rows ORDER BY 1, 2, 3, 4").fetchall()
        elif file.suffix == ".sqlite":
            with sqlite3.connect(file) as db:
                found[name] = (
                    db.execute("SELECT * FROM row ORDER BY id").fetchall(),
                    db.execute("SELECT * FROM value ORDER BY 1, 2").fetchall(),
                )
        elif file.is_file():
            found[name] = file.read_text(encoding="utf-8")
    return found
