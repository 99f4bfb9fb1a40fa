"""Writing the table index of a build: for each table (loaders/publish/tables/spec.py), its rows
numbered in IRI order, each facet's values with the rows that have them, each column's sort
order and each range's bounds, as arrays a page reads by key (loaders/publish/tables/read.py)
instead of grouping every row of the class on each request (issue 26: a page scans no more than
it shows). The arrays are made from what the table's paths read (loaders/publish/tables/reads.py),
kept by row in `reads.sqlite` so that the next build reads again only the rows its change reaches:

    <folder>/<class>/rows.sqlite          the rows' IRIs by number, the facets' values by number
    <folder>/<class>/facet-<name>.npy      (value, row) pairs, sorted by value then row
    <folder>/<class>/sort-<column>[-<language>].npy   each row's rank in the column's order
    <folder>/<class>/sort-<column>[-<language>].asc.npy, .desc.npy   the rows in that order
    <folder>/<class>/range-<n>.npy        each row's least and greatest value along a range's path
    <folder>/<class>/places.json, *.npy   a mapped table's places, partners and budgets (places.py)

A row's sort key is the column's aggregate over its values as the table's query makes it (MIN,
MAX, COUNT; SAMPLE as the least, so that the order is the same on every build); a label column
has an order per language: the row's label in that language, else its least label."""

from __future__ import annotations

import json
import shutil
import sqlite3
from array import array
from collections.abc import Collection, Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyoxigraph as ox

from loaders.core import keyed_reads
from loaders.core.code_digest import code_digest, made_by, mark
from loaders.core.keyed_reads import Inputs
from loaders.core.queries import Readable
from loaders.publish.space import share
from loaders.publish.tables import places, reads, spec
from loaders.publish.tables.places import PLACE_FILES, write_places
from loaders.publish.tables.reads import (
    READS_FILE,
    Along,
    closure_read,
    column_read,
    every_read,
    facet_reads,
    member_read,
    place_reads,
    range_paths,
    range_read,
)
from loaders.publish.tables.spec import TABLES, Column, Table

TABLES_FOLDER = "tables"  # in a build's dumps folder, beside the figures
ROWS_FILE = "rows.sqlite"
META_FILE = "meta.json"
NONE = np.nan  # a range's bound of a row without a value
_SCHEMA = """
CREATE TABLE row (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
CREATE TABLE value (facet TEXT NOT NULL, id INTEGER NOT NULL, iri TEXT NOT NULL, PRIMARY KEY (facet, id)) WITHOUT ROWID;
"""


def index_code() -> int:
    """The digest of the code that writes the index and of the tables it indexes: a reader uses an
    index only when its own code would have written the same."""
    return code_digest(__file__, spec.__file__, reads.__file__, places.__file__, keyed_reads.__file__)


def write_table_index(store: Readable, folder: Path, earlier: Path | None = None, touched: Collection[str] | None = None) -> int:
    """Index every table of `store` into `folder` (replaced as a whole, never half-written). With
    the earlier build's index and the IRIs whose triples changed since (`touched`), its reads are
    patched: only the rows the change reaches are read again (loaders/core/keyed_reads.py).
    Returns how many keys were read again (0: the reads were read whole)."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    tables = list(TABLES.values())
    reads = every_read(tables)
    if earlier is not None and touched is not None:
        nodes = {ox.NamedNode(iri) for iri in touched}
        inputs = Inputs.patched(store, reads, earlier / READS_FILE, partial / READS_FILE, nodes)
    else:
        inputs = Inputs.read(store, reads, partial / READS_FILE)
    try:
        for table in tables:
            before = _reusable(inputs, table, earlier / table.cls) if earlier is not None else None
            _write_table(inputs, table, partial / table.cls, before)
    finally:
        inputs.close()
    if folder.exists():
        shutil.rmtree(folder)
    partial.rename(folder)
    return inputs.reread


class _Before:
    """The earlier build's index of a table whose rows a patch left the same (the same numbers):
    an array whose reads it left the same too is linked from there, not derived again."""

    def __init__(self, folder: Path, changed: set[str]):
        self.folder, self.changed = folder, changed
        self.meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))

    def keeps(self, alongs: Iterable[Along]) -> bool:
        names: set[str] = set()
        for found in alongs:
            names |= {read.name for read in (found.read, found.back) if read is not None}
            names |= {closure_read(found.closure).name} if found.closure else set()
        return not names & self.changed

    def link(self, folder: Path, names: Iterable[str]) -> None:
        for name in names:
            share(self.folder / name, folder / name)

    def values(self, facet: str) -> list[str]:
        with sqlite3.connect(f"file:{self.folder / ROWS_FILE}?mode=ro", uri=True) as db:
            return [iri for (iri,) in db.execute("SELECT iri FROM value WHERE facet = ? ORDER BY id", (facet,))]


def _reusable(inputs: Inputs, table: Table, earlier: Path) -> _Before | None:
    """The earlier index of `table`, when the patch changed none of its rows and this code wrote it."""
    if inputs.changed is None or member_read(table).name in inputs.changed or not (earlier / META_FILE).is_file():
        return None
    if made_by(earlier / ROWS_FILE) != index_code():
        return None
    return _Before(earlier, inputs.changed)


def _write_table(inputs: Inputs, table: Table, folder: Path, before: _Before | None = None) -> None:
    folder.mkdir()
    iris = [row for row, _ in inputs.distinct(member_read(table).name)]
    ids = {iri: number for number, iri in enumerate(iris)}
    db = sqlite3.connect(folder / ROWS_FILE)
    try:
        mark(db, index_code())
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO row VALUES (?, ?)", enumerate(iris))
        for name in table.facets:
            if before is not None and before.keeps(facet_reads(table, name)):
                before.link(folder, [f"facet-{name}.npy"])
                values = before.values(name)
            else:
                values = _write_facet(folder / f"facet-{name}.npy", ids, _along(inputs, facet_reads(table, name)))
            db.executemany("INSERT INTO value VALUES (?, ?, ?)", ((name, n, iri) for n, iri in enumerate(values)))
        db.commit()
    finally:
        db.close()
    languages: dict[str, list[str]] = {}
    for column in table.columns:
        read = column_read(table, column)
        if before is not None and before.keeps([read]):
            languages[column.name] = before.meta["languages"][column.name]
            stems = [f"sort-{column.name}"] + [f"sort-{column.name}-{tag}" for tag in languages[column.name]]
            before.link(folder, [f"{stem}{end}" for stem in stems for end in (".npy", ".asc.npy", ".desc.npy")])
        else:
            languages[column.name] = _write_sort(_along(inputs, [read]), column, ids, folder)
    for number, (_, kind) in enumerate(range_paths(table)):
        if before is not None and before.keeps([range_read(table, number)]):
            before.link(folder, [f"range-{number}.npy"])
        else:
            np.save(folder / f"range-{number}.npy", _bounds(ids, kind, _along(inputs, [range_read(table, number)])))
    if table.mapped:
        if before is not None and before.keeps(Along(read) for read in place_reads()):
            before.link(folder, PLACE_FILES)
        else:
            write_places(inputs, ids, folder)
    meta = {"rows": len(iris), "languages": languages, "ranges": [path for path, _ in range_paths(table)]}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def _along(inputs: Inputs, alternatives: list[Along]) -> Iterator[tuple[str, ...]]:
    """The (row, value[, language]) rows of a path, over its alternatives: a closure step taken
    from its closure's rows, a path read from its far end joined to the rows it reaches."""
    for found in alternatives:
        values: Iterable[tuple[str, ...]] = inputs.distinct(found.read.name) if found.read is not None else ()
        if found.closure is not None:
            values = _closed(inputs, found.closure, values)
        if found.back is None:
            yield from values
            continue
        of: dict[str, list[tuple[str, ...]]] = {}
        for key, *rest in values:
            of.setdefault(key, []).append(tuple(rest))
        for far, row in inputs.distinct(found.back.name):
            reached: list[tuple[str, ...]] = of.get(far, []) if found.read is not None else [(far,)]
            for value in reached:
                yield (row, *value)


def _closed(inputs: Inputs, step: str, found: Iterable[tuple[str, ...]]) -> Iterator[tuple[str, ...]]:
    """Each (key, value) and (key, a node the value reaches along `step`)."""
    closure: dict[str, list[str]] = {}
    for narrower, broader in inputs.distinct(closure_read(step).name):
        closure.setdefault(narrower, []).append(broader)
    for key, value, *more in found:
        yield (key, value, *more)
        for broader in closure.get(value, ()):
            yield (key, broader, *more)


def _write_facet(path: Path, ids: dict[str, int], found: Iterable[tuple[str, ...]]) -> list[str]:
    """The (value, row) pairs of a facet, each once, sorted; the values' IRIs in order (a value's
    number is its place among them, so that numbers sort as IRIs do)."""
    rows, values, named = array("q"), array("q"), dict[str, int]()
    for row, value in found:
        number = ids.get(row)
        if number is None:  # not a row of the table
            continue
        rows.append(number)
        values.append(named.setdefault(value, len(named)))
    ordered = sorted(named)
    renumber = np.zeros(len(named), dtype=np.int64)
    renumber[[named[iri] for iri in ordered]] = np.arange(len(ordered))
    pairs = np.unique((renumber[np.frombuffer(values, dtype=np.int64)] << 32) | np.frombuffer(rows, dtype=np.int64))
    np.save(path, np.stack([pairs >> 32, pairs & 0xFFFFFFFF]).astype(np.int32))
    return ordered


def _key(column: Column, lexical: str) -> object | None:
    """A value's key in the column's order (None: a value the order cannot place)."""
    if column.kind in ("money", "count"):
        try:
            return float(lexical)
        except ValueError:
            return None
    return lexical  # dates as ISO text, texts and IRIs as strings: in code point order, as Oxigraph's


def _write_sort(found: Iterable[tuple[str, ...]], column: Column, ids: dict[str, int], folder: Path) -> list[str]:
    """A column's order as each row's rank (0: no value, first in ascending order as in SPARQL);
    a label column's for each language its labels have. Returns those languages."""
    least: dict[str, dict[int, object]] = {"": {}}  # language ('' any) → row → least key
    counted: dict[int, set[str]] = {}
    for row, value, *tagged in found:
        language = tagged[0] if tagged else ""
        number = ids.get(row)
        if number is None:
            continue
        if column.aggregate == "COUNT":
            counted.setdefault(number, set()).add(value)
            continue
        key = _key(column, value)
        if key is None:
            continue
        keyed = [""] + ([language.split("-", 1)[0].lower()] if column.kind == "label" and language else [])
        for tag in keyed:
            kept = least.setdefault(tag, {})
            held = kept.get(number)
            if held is None or (key > held if column.aggregate == "MAX" else key < held):  # type: ignore[operator]
                kept[number] = key
    if column.aggregate == "COUNT":  # a row without a value counts 0 (a value, unlike a missing label)
        least[""] = {number: float(len(counted.get(number, ()))) for number in range(len(ids))}
    anyone = least.pop("")
    _save_order(folder / f"sort-{column.name}", _ranks(anyone, len(ids)))
    for tag, keys in least.items():
        _save_order(folder / f"sort-{column.name}-{tag}", _ranks({**anyone, **keys}, len(ids)))
    return sorted(least)


def _save_order(stem: Path, ranks: np.ndarray) -> None:
    """A column's ranks, and its rows in ascending and descending order (ties by row number, that
    is by IRI, in both), for a page of a view that keeps most rows to read them in order."""
    np.save(stem.with_name(stem.name + ".npy"), ranks)
    rows = np.arange(len(ranks))
    np.save(stem.with_name(stem.name + ".asc.npy"), np.lexsort((rows, ranks)).astype(np.int32))
    np.save(stem.with_name(stem.name + ".desc.npy"), np.lexsort((rows, -ranks.astype(np.int64))).astype(np.int32))


def _ranks(keys: dict[int, object], rows: int) -> np.ndarray:
    """Dense ranks from 1 by key (rows with equal keys share one); 0 for rows without a key."""
    ranks = np.zeros(rows, dtype=np.int32)
    order = {key: rank for rank, key in enumerate(sorted(set(keys.values())), start=1)}  # type: ignore[type-var]
    for number, key in keys.items():
        ranks[number] = order[key]
    return ranks


def _bounds(ids: dict[str, int], kind: str, found: Iterable[tuple[str, ...]]) -> np.ndarray:
    """Each row's least and greatest value along a path: numbers as numbers, dates as day numbers
    (NaN: none, or none that reads as the kind's)."""
    bounds = np.full((len(ids), 2), NONE)
    for row, lexical in found:
        value, number = bound_number(kind, lexical), ids.get(row)
        if value is None or number is None:
            continue
        low, high = bounds[number]
        bounds[number] = (value if np.isnan(low) else min(low, value), value if np.isnan(high) else max(high, value))
    return bounds


def bound_number(kind: str, lexical: str) -> float | None:
    """A number's value, or a date's day number (None: not one of the kind)."""
    try:
        return float(lexical) if kind == "number" else float(date.fromisoformat(lexical).toordinal())
    except ValueError:
        return None
