"""Writing the table index of a build: for each table (loaders/publish/tables/spec.py), its rows
numbered in IRI order, each facet's values with the rows that have them, each column's sort
order and each range's bounds, as arrays a page reads by key (loaders/publish/tables/read.py)
instead of grouping every row of the class on each request (issue 26: a page scans no more than
it shows). The arrays are the table's own queries' answers, read once per build:

    <folder>/<class>/rows.sqlite          the rows' IRIs by number, the facets' values by number
    <folder>/<class>/facet-<name>.npy      (value, row) pairs, sorted by value then row
    <folder>/<class>/sort-<column>[-<language>].npy   each row's rank in the column's order
    <folder>/<class>/range-<n>.npy        each row's least and greatest value along a range's path

A row's sort key is the column's aggregate over its values as the table's query makes it (MIN,
MAX, COUNT; SAMPLE as the least, so that the order is the same on every build); a label column
has an order per language: the row's label in that language, else its least label."""

from __future__ import annotations

import json
import shutil
import sqlite3
from array import array
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np

from loaders.core.code_digest import code_digest, mark
from loaders.core.queries import Readable, select_values
from loaders.publish.tables import spec
from loaders.publish.tables.spec import ENDS, STARTS, TABLES, Column, Table

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
    return code_digest(__file__, spec.__file__)


def range_paths(table: Table) -> list[tuple[str, str]]:
    """The paths whose least and greatest values a table's index keeps, with their kind (number or
    date), in file order: each range filter's, then (with a status) the start and end dates."""
    paths = [(bound.path, bound.kind) for bound in table.bounds.values()]
    if "status" in table.choices:
        paths += [(STARTS, "date"), (ENDS, "date")]
    return list(dict.fromkeys(paths))


def write_table_index(store: Readable, folder: Path) -> None:
    """Index every table of `store` into `folder` (replaced as a whole, never half-written)."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for table in TABLES.values():
        _write_table(store, table, partial / table.cls)
    if folder.exists():
        shutil.rmtree(folder)
    partial.rename(folder)


def _write_table(store: Readable, table: Table, folder: Path) -> None:
    folder.mkdir()
    member = f"?row a s3:{table.cls} ."
    iris = sorted({row for (row,) in select_values(store, f"SELECT ?row WHERE {{ {member} }}")})
    ids = {iri: number for number, iri in enumerate(iris)}
    db = sqlite3.connect(folder / ROWS_FILE)
    try:
        mark(db, index_code())
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO row VALUES (?, ?)", enumerate(iris))
        closures: dict[str, dict[str, set[str]]] = {}
        for name, path in table.facets.items():
            values = _write_facet(folder / f"facet-{name}.npy", ids, _along(store, path, closures))
            db.executemany("INSERT INTO value VALUES (?, ?, ?)", ((name, n, iri) for n, iri in enumerate(values)))
        db.commit()
    finally:
        db.close()
    languages: dict[str, list[str]] = {}
    for column in table.columns:
        languages[column.name] = _write_sort(store, table, column, ids, folder)
    for number, (path, kind) in enumerate(range_paths(table)):
        query = f"SELECT ?row ?v WHERE {{ ?row {path} ?v }}"  # rows of other classes left out after
        np.save(folder / f"range-{number}.npy", _bounds(ids, kind, select_values(store, query)))
    meta = {"rows": len(iris), "languages": languages, "ranges": [path for path, _ in range_paths(table)]}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def _along(store: Readable, path: str, closures: dict[str, dict[str, set[str]]]) -> Iterator[list[str]]:
    """The (row, IRI) pairs of a path, rows of any class (those not in the table are left out
    after). Each alternative is asked on its own and a last step `p*` is taken here from p's
    closure, read once: Oxigraph walks an alternative or a closure from every row (a project's
    regions and all they lie in took 5 s for 200,000 pairs at 50,000 projects, 1.8 s so)."""
    for alternative in path.split("|") if "(" not in path else [path]:
        head, _, last = alternative.rpartition("/")
        star = last.endswith("*") and head and not any(mark in last[:-1] for mark in "/^*+?")
        query = f"SELECT ?row ?v WHERE {{ ?row {head if star else alternative} ?v FILTER isIRI(?v) }}"
        if not star:
            yield from select_values(store, query)
            continue
        step = last[:-1]
        if step not in closures:
            closures[step] = {}
            for narrower, broader in select_values(store, f"SELECT ?a ?b WHERE {{ ?a {step}+ ?b FILTER isIRI(?b) }}"):
                closures[step].setdefault(narrower, set()).add(broader)
        for row, value in select_values(store, query):
            yield [row, value]
            for broader in closures[step].get(value, ()):
                yield [row, broader]


def _write_facet(path: Path, ids: dict[str, int], found: Iterable[list[str]]) -> list[str]:
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


def _write_sort(store: Readable, table: Table, column: Column, ids: dict[str, int], folder: Path) -> list[str]:
    """A column's order as each row's rank (0: no value, first in ascending order as in SPARQL);
    a label column's for each language its labels have. Returns those languages."""
    pattern = column.pattern.replace("?v", "?value")
    query = f"SELECT ?row ?value (LANG(?value) AS ?language) WHERE {{ {pattern} }}"  # other classes' rows left out
    least: dict[str, dict[int, object]] = {"": {}}  # language ('' any) → row → least key
    counted: dict[int, set[str]] = {}
    for row, value, language in select_values(store, query):
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
            found = least.setdefault(tag, {})
            held = found.get(number)
            if held is None or (key > held if column.aggregate == "MAX" else key < held):  # type: ignore[operator]
                found[number] = key
    if column.aggregate == "COUNT":  # a row without a value counts 0 (a value, unlike a missing label)
        least[""] = {number: float(len(counted.get(number, ()))) for number in range(len(ids))}
    anyone = least.pop("")
    np.save(folder / f"sort-{column.name}.npy", _ranks(anyone, len(ids)))
    for tag, keys in least.items():
        np.save(folder / f"sort-{column.name}-{tag}.npy", _ranks({**anyone, **keys}, len(ids)))
    return sorted(least)


def _ranks(keys: dict[int, object], rows: int) -> np.ndarray:
    """Dense ranks from 1 by key (rows with equal keys share one); 0 for rows without a key."""
    ranks = np.zeros(rows, dtype=np.int32)
    order = {key: rank for rank, key in enumerate(sorted(set(keys.values())), start=1)}  # type: ignore[type-var]
    for number, key in keys.items():
        ranks[number] = order[key]
    return ranks


def _bounds(ids: dict[str, int], kind: str, found: Iterable[list[str]]) -> np.ndarray:
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
