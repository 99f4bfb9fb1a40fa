"""Reading a build's table index (written by loaders/publish/tables/write.py): the rows a view
of a table keeps, how many, each facet's values with their counts, and one page of rows in the
view's order — what the table's SPARQL queries answer, read by key from arrays the processes
share (memory-mapped), in time that grows with the rows kept, not with the store.

    index = TableIndex.open(folder / "Project", TABLES["Project"])   # None: no index, or another code's
    answer = index.answer(Ask(filters=(("programme", iri),), sort="budget"), offset=0, limit=50)
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from loaders.core.code_digest import made_by
from loaders.publish.tables.places import Places
from loaders.publish.tables.spec import ENDS, STARTS, Table
from loaders.publish.tables.write import META_FILE, ROWS_FILE, bound_number, index_code

log = logging.getLogger(__name__)

FACET_VALUES = 30  # the values a facet shows, most rows first (as the table's facet query)
SORTED_SHARE = 16  # a view keeping at least 1/16 of the rows reads them in the column's stored order


@dataclass(frozen=True)
class Ask:
    """A view of a table, as the page's parameters give it (server/pages/browse.py's View)."""

    filters: tuple[tuple[str, str], ...] = ()  # (facet, value IRI): each must hold
    ranges: tuple[tuple[str, str], ...] = ()  # (range parameter, its value: a number or an ISO date)
    chosen: tuple[tuple[str, str], ...] = ()  # (choice, value): the status
    today: str = ""  # ISO date the status is told on
    found: tuple[str, ...] | None = None  # a search's hits: the rows are those of them the table has
    sort: str = "label"
    descending: bool = False
    language: str = "en"


@dataclass(frozen=True)
class Answer:
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # facet → (value, rows), as shown
    rows: list[str] = field(default_factory=list)  # the page's rows, in the view's order


class TableIndex:
    """One table's index of one build, read-only; safe to share between threads."""

    def __init__(self, folder: Path, table: Table):
        self.folder, self.table = folder, table
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self.size: int = meta["rows"]
        self.languages: dict[str, list[str]] = meta["languages"]
        self._ranges = {path: number for number, path in enumerate(meta["ranges"])}
        self._local = threading.local()
        with sqlite3.connect(f"file:{folder / ROWS_FILE}?mode=ro", uri=True) as db:
            named = db.execute("SELECT facet, id, iri FROM value ORDER BY facet, id").fetchall()
        self._values: dict[str, list[str]] = {name: [] for name in table.facets}
        for name, _, iri in named:
            self._values[name].append(iri)
        self._numbers = {name: {iri: n for n, iri in enumerate(iris)} for name, iris in self._values.items()}
        # every array mapped now: a damaged file (cut short, overwritten) fails here, not in a page
        self._arrays = {file.name[: -len(".npy")]: np.load(file, mmap_mode="r") for file in folder.glob("*.npy")}
        wanted = {f"facet-{name}" for name in table.facets} | {f"range-{n}" for n in range(len(self._ranges))}
        wanted |= {f"sort-{column.name}{order}" for column in table.columns for order in ("", ".asc", ".desc")}
        if missing := sorted(wanted - set(self._arrays)):
            raise ValueError(f"{folder} has no {', '.join(missing)}")
        self.places = Places(folder, self._arrays) if table.mapped else None
        self._every: dict[str, np.ndarray] = {}  # each facet's counts over every row
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: Path, table: Table) -> TableIndex | None:
        """The index in `folder`, or None when there is none, other code wrote it, or a file of
        it cannot be read (logged: the tables are then read by SPARQL)."""
        try:
            if not (folder / META_FILE).is_file() or made_by(folder / ROWS_FILE) != index_code():
                return None
            return cls(folder, table)
        except (OSError, ValueError, KeyError, sqlite3.Error) as error:
            log.warning("table index not used", extra={"folder": str(folder), "error": f"{type(error).__name__}: {error}"})
            return None

    def _array(self, name: str) -> np.ndarray:
        return self._arrays[name]

    @property
    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.folder / ROWS_FILE}?mode=ro", uri=True, check_same_thread=False)
        return db

    def answer(self, ask: Ask, offset: int, limit: int, facets: bool = True) -> Answer:
        """How many rows the view keeps, its facets (with `facets`) and its rows from `offset`."""
        base = self.rows(ask)
        statuses = self._status(base, ask.today) if self.table.choices and (facets or ask.chosen) else {}
        kept = base
        if ask.chosen:  # each chosen status must hold
            kept = base[np.logical_and.reduce([statuses[value] for _, value in ask.chosen])]
        mask = self.mask(kept)
        counted: dict[str, list[tuple[str, int]]] = {}
        if facets:
            counted = {name: self._counts(name, mask) for name in self.table.facets}
            for name, choices in self.table.choices.items():  # each value counted with the other filters
                counted[name] = [(value, int(statuses[value].sum())) for value in choices if statuses[value].any()]
        return Answer(len(kept), counted, self._page(kept, mask, ask, offset, limit))

    def rows(self, ask: Ask) -> np.ndarray:
        """The rows the view's members, facets and ranges keep, as sorted row numbers."""
        postings = []
        if ask.found is not None:
            postings.append(self._numbers_of(ask.found))
        for name, value in ask.filters:
            number = self._numbers[name].get(value)
            if number is None:
                return np.zeros(0, dtype=np.int64)
            postings.append(self._posting(name, number))
        postings.sort(key=len)
        kept = np.arange(self.size, dtype=np.int64) if not postings else postings[0].astype(np.int64)
        for posting in postings[1:]:
            kept = np.intersect1d(kept, posting, assume_unique=True)
        for name, value in ask.ranges:
            bound = self.table.bounds[name]
            limit = bound_number(bound.kind, value)
            if limit is None:
                return np.zeros(0, dtype=np.int64)
            low, high = self._range(bound.path, kept)
            kept = kept[high >= limit] if bound.above else kept[low <= limit]
        return kept

    def mask(self, kept: np.ndarray) -> np.ndarray | None:
        """Which rows are kept, by row number (None: every row, no mask needed)."""
        if len(kept) == self.size:
            return None
        mask = np.zeros(self.size, dtype=bool)
        mask[kept] = True
        return mask

    def iris(self, rows: np.ndarray) -> list[str]:
        """The IRIs of these rows, in their order."""
        named: dict[int, str] = {}
        numbers = rows.tolist()
        for start in range(0, len(numbers), 10_000):
            chunk = ",".join(map(str, numbers[start : start + 10_000]))
            named.update(self._db.execute(f"SELECT id, iri FROM row WHERE id IN ({chunk})").fetchall())
        return [named[n] for n in numbers]

    def _numbers_of(self, iris: tuple[str, ...]) -> np.ndarray:
        found = self._db.execute(
            "SELECT id FROM row WHERE iri IN (SELECT value FROM json_each(?)) ORDER BY id", (json.dumps(list(iris)),)
        ).fetchall()
        return np.array([n for (n,) in found], dtype=np.int64)

    def _posting(self, name: str, number: int) -> np.ndarray:
        pairs = self._array(f"facet-{name}")
        start, end = np.searchsorted(pairs[0], [number, number + 1])
        return np.asarray(pairs[1][start:end])

    def _range(self, path: str, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bounds = self._array(f"range-{self._ranges[path]}")
        if len(kept) < self.size:  # (every row kept: read in place, not gathered)
            bounds = bounds[kept]
        return bounds[:, 0], bounds[:, 1]

    def _status(self, kept: np.ndarray, today: str) -> dict[str, np.ndarray]:
        """Each status's rows among `kept` (a mask), as the table's status patterns tell them."""
        day = float(date.fromisoformat(today or date.today().isoformat()).toordinal())
        start_low, start_high = self._range(STARTS, kept)
        end_low, _ = self._range(ENDS, kept)
        with np.errstate(invalid="ignore"):
            completed = end_low < day
            planned = (start_high > day) & ~completed
        dated = ~np.isnan(start_low) | ~np.isnan(end_low)
        return {"completed": completed, "planned": planned, "ongoing": dated & ~completed & ~planned}

    def counted(self, name: str) -> list[tuple[str, int]]:
        """Every value of a facet with its rows among all rows, in IRI order (the map's filters)."""
        counts = self._every_counts(name)
        return [(self._values[name][n], int(counts[n])) for n in np.flatnonzero(counts)]

    def warm(self) -> None:
        """Count what a view of every row counts, so that a process's first page does not."""
        for name in self.table.facets:
            self._every_counts(name)

    def _every_counts(self, name: str) -> np.ndarray:
        """A facet's counts over every row, counted once per process."""
        with self._lock:
            counts = self._every.get(name)
            if counts is None:
                counts = self._every[name] = np.bincount(self._array(f"facet-{name}")[0], minlength=len(self._values[name]))
            return counts

    def _counts(self, name: str, mask: np.ndarray | None) -> list[tuple[str, int]]:
        """The facet's values among the kept rows (`mask`; None: every row), most rows first, then by IRI."""
        if mask is None:
            counts = self._every_counts(name)
        else:
            pairs = self._array(f"facet-{name}")
            counts = np.bincount(pairs[0][mask[pairs[1]]], minlength=len(self._values[name]))
        present = np.flatnonzero(counts)
        shown = present[np.lexsort((present, -counts[present]))][:FACET_VALUES]
        return [(self._values[name][n], int(counts[n])) for n in shown]

    def _page(self, kept: np.ndarray, mask: np.ndarray | None, ask: Ask, offset: int, limit: int) -> list[str]:
        """The rows from `offset` in the view's order (the column's, then by IRI, as numbered)."""
        end = min(offset + limit, len(kept))
        if offset >= end:
            return []
        column = self._sort_file(ask.sort, ask.language)
        if len(kept) * SORTED_SHARE >= self.size:  # most rows: the column's order, the others left out
            order = np.asarray(self._array(f"{column}.{'desc' if ask.descending else 'asc'}"))
            if mask is not None:
                order = order[mask[order]]
            ordered = order[offset:end].astype(np.int64)
        else:  # few: their keys sorted as far as the page
            ranks = self._array(column)[kept].astype(np.int64)
            keys = ((int(ranks.max()) - ranks) if ask.descending else ranks) * (self.size + 1) + kept
            first = np.argpartition(keys, end - 1)[:end] if end < len(keys) else np.arange(len(keys))
            ordered = kept[first[np.argsort(keys[first], kind="stable")]][offset:end]
        return self.iris(ordered)

    def _sort_file(self, column: str, language: str) -> str:
        tag = language.lower()
        return f"sort-{column}-{tag}" if tag in self.languages.get(column, []) else f"sort-{column}"


def open_indexes(folder: Path, tables: dict[str, Table]) -> dict[str, TableIndex]:
    """The indexes a build's tables folder holds, by class (those missing or of other code left out)."""
    found = {name: TableIndex.open(folder / name, table) for name, table in tables.items()}
    return {name: index for name, index in found.items() if index is not None}
