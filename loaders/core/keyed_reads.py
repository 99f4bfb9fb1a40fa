"""What a build reads of the merged sources, kept by subject in an SQLite file beside each build,
so that an incremental build reads again only the subjects its change can reach instead of every
project and organisation of the store: the linking's inputs (loaders/link/links.py) and the
tables' index (loaders/publish/tables/).

A keyed read (`Read`) is a SELECT whose first variable is the subject its rows belong to. A
subject's rows can change only when a triple the read matches changes:
- for a read whose every triple pattern has that subject as its subject (a star, checked from the
  query's algebra: `loaders.link.reads.star_of`; a test checks every read), only a changed triple *of that subject* can;
- a read that walks further (a project's partners' regions) says how to find, in the new store,
  the subjects a changed node is reached from (`reach`). That is enough: on a path the old store
  had from a subject, the first triple that changed has as its subject either the subject itself
  or a node the unchanged part of the path still reaches.

Whichever way the rows were made (read whole, or patched from the earlier build's file), a
build reads them from the file in its key's order (read, subject, values), so a patched build
computes from exactly the rows, in exactly the order, of a full one.
"""

from __future__ import annotations

import functools
import shutil
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib.plugins.sparql import prepareQuery

from loaders.core.code_digest import code_digest, made_by, mark
from loaders.core.queries import Readable, select_values
from loaders.core.vocab import PREFIXES

_TABLE = "CREATE TABLE rows (read TEXT, subject TEXT, a TEXT, b TEXT, n INTEGER, PRIMARY KEY (read, subject, a, b)) WITHOUT ROWID"
CHUNK = 400  # subjects per query when reading by key
# SQLite's page cache while the rows are written: with its default (2 MB) the tables' index of
# 6.3 M triples took 176 s, not 151 s (peak 394 MiB, not 462 MiB)
CACHE_KIB = 65_536
WHOLE_SHARE = 0.2  # a read is read whole again when a change reaches more than this share of all subjects kept


@dataclass(frozen=True)
class Read:
    """One query the linking reads, keyed by its first variable; `reach` are graph patterns, each
    binding ?subject to subjects whose rows a changed node ?node can change (none: the read is a
    star around its subject, and only the subject's own triples can). Each pattern is asked on its
    own, with ?node given: inside a UNION, Oxigraph would walk the path for every node first."""

    name: str
    query: str
    reach: tuple[str, ...] = ()


@functools.cache
def _shape(query: str) -> tuple[str, int]:
    """The query's key variable and its number of columns."""
    variables = prepareQuery(query, initNs=PREFIXES).algebra["PV"]
    return str(variables[0]), len(variables)


def _digest(reads: Sequence[Read]) -> int:
    return code_digest(__file__, extra="\n".join(f"{r.name}|{r.query}|{r.reach}" for r in reads))


def _by_key(query: str, subjects: Sequence[str]) -> str:
    """The query for these subjects only: a VALUES block at the start of its WHERE clause."""
    variable, _ = _shape(query)
    values = " ".join(str(ox.NamedNode(s)) for s in subjects)
    where = query.index("WHERE {") + len("WHERE {")
    return f"{query[:where]} VALUES ?{variable} {{ {values} }} {query[where:]}"


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class Inputs:
    """The rows of every keyed read, in an SQLite file (or in memory, for a store read once)."""

    def __init__(self, db: sqlite3.Connection, reads: Sequence[Read]) -> None:
        self.db, self.reads = db, {read.name: read for read in reads}
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self.reread = 0  # subjects read again by key (0 when read whole)
        self.changed: set[str] | None = None  # the reads whose rows a patch changed (None: read whole)

    @classmethod
    def read(cls, store: Readable, reads: Sequence[Read], path: Path | None = None) -> Inputs:
        """Every read's rows, read whole from the store (into `path`, if given)."""
        if path is not None:
            path.unlink(missing_ok=True)
        db = sqlite3.connect(str(path) if path is not None else ":memory:")
        db.execute(_TABLE)
        inputs = cls(db, reads)
        for read in reads:
            inputs._add(read, select_values(store, read.query))
        mark(db, _digest(reads))
        db.commit()
        return inputs

    @classmethod
    def patched(
        cls, store: Readable, reads: Sequence[Read], earlier: Path, path: Path, touched: Collection[ox.NamedNode | ox.BlankNode]
    ) -> Inputs:
        """The earlier build's rows, copied to `path`, with those of the subjects `touched` can
        reach read again from the store; read whole when the earlier file is missing or other
        code wrote it, or a changed node is a blank node (not one the store can be asked by)."""
        if not earlier.is_file() or made_by(earlier) != _digest(reads) or any(isinstance(n, ox.BlankNode) for n in touched):
            return cls.read(store, reads, path)
        shutil.copyfile(earlier, path)
        inputs = cls(sqlite3.connect(str(path)), reads)
        nodes = sorted(n.value for n in touched)
        (known,) = inputs.db.execute("SELECT count(DISTINCT subject) FROM rows").fetchone()
        inputs.changed = set()
        for read in reads:
            subjects = sorted(inputs._reached(store, read, nodes))
            if len(subjects) > WHOLE_SHARE * known:
                inputs.db.execute("DELETE FROM rows WHERE read = ?", (read.name,))
                inputs._add(read, select_values(store, read.query))
                inputs.changed.add(read.name)
                continue
            before = inputs._rows_of(read.name, subjects)
            inputs.db.executemany("DELETE FROM rows WHERE read = ? AND subject = ?", ((read.name, s) for s in subjects))
            for chunk in _chunks(subjects):
                inputs._add(read, select_values(store, _by_key(read.query, chunk)))
            if inputs._rows_of(read.name, subjects) != before:
                inputs.changed.add(read.name)
            inputs.reread += len(subjects)
        inputs.db.commit()
        return inputs

    def _reached(self, store: Readable, read: Read, nodes: Sequence[str]) -> set[str]:
        """The subjects whose rows of `read` a change of these nodes' triples can change."""
        found = set(nodes)
        for pattern in read.reach:
            for chunk in _chunks(nodes):
                values = " ".join(str(ox.NamedNode(n)) for n in chunk)
                query = f"SELECT DISTINCT ?subject WHERE {{ VALUES ?node {{ {values} }} {pattern} }}"
                found.update(subject for (subject,) in select_values(store, query))
        return found

    def _rows_of(self, name: str, subjects: Sequence[str]) -> set[tuple[str, str, str, int]]:
        found: set[tuple[str, str, str, int]] = set()
        for chunk in _chunks(subjects):
            found.update(
                self.db.execute(
                    f"SELECT subject, a, b, n FROM rows WHERE read = ? AND subject IN ({','.join('?' * len(chunk))})",
                    (name, *chunk),
                )
            )
        return found

    def _add(self, read: Read, rows: Iterable[list[str]]) -> None:
        _, width = _shape(read.query)
        self.db.executemany(
            "INSERT INTO rows VALUES (?, ?, ?, ?, 1) ON CONFLICT (read, subject, a, b) DO UPDATE SET n = n + 1",
            ((read.name, row[0], row[1], row[2] if width > 2 else "") for row in rows),
        )

    def rows(self, name: str) -> Iterator[tuple[str, ...]]:
        """A read's rows in the file's order (subject, then values), each as often as the store gave it."""
        _, width = _shape(self.reads[name].query)
        found = self.db.execute("SELECT subject, a, b, n FROM rows WHERE read = ? ORDER BY subject, a, b", (name,))
        for subject, a, b, n in found:
            row = (subject, a, b) if width > 2 else (subject, a)
            for _ in range(n):
                yield row

    def distinct(self, name: str) -> Iterator[tuple[str, ...]]:
        """A read's rows in the file's order, each once (as SQLite's cursor gives them: no Python
        step per row)."""
        _, width = _shape(self.reads[name].query)
        columns = "subject, a, b" if width > 2 else "subject, a"
        return iter(self.db.execute(f"SELECT {columns} FROM rows WHERE read = ? ORDER BY subject, a, b", (name,)))

    def close(self) -> None:
        self.db.close()
