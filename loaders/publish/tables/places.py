"""The map's part of a table's index (a table the spec marks `mapped`: projects): where each row is
placed, who its partners are and where, and its budget in euro, as arrays, so that a map view
counts the regions of the rows it keeps without reading the build (server/pages/geo.py):

    places.json       the NUTS codes (numbered in code order)
    places.npy        (row, code) pairs: the row's own regions and its partners', sorted
    orgplaces.npy     (organisation, code) pairs, sorted: numbered by their place in it
    partners.npy      (row, organisation place) pairs, sorted
    budget.npy        each row's greatest total budget in euro, from 0 (NaN: none)
    organisations.txt the organisations' IRIs by number (for a view's list of partners)

The regions at a NUTS level are what the reader makes of the codes (a code's region at level 2
needs the drawn shapes: server/pages/choropleth.py's `at_level`), so the arrays keep the codes
and `Places.areas` counts with a lookup from code to region."""

from __future__ import annotations

import json
import threading
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loaders.core.keyed_reads import Inputs
from loaders.core.vocab import NUTS
from loaders.publish.tables.reads import BUDGETS, OWN_PLACES, PARTNER_PLACES

PLACES_FILE = "places.json"
ORGANISATIONS_FILE = "organisations.txt"  # the organisations' IRIs, one a line, in number order
_ARRAYS = ("places", "orgplaces", "partners", "budget")
PLACE_FILES = (PLACES_FILE, ORGANISATIONS_FILE, *(f"{name}.npy" for name in _ARRAYS))


def _numbers(found: array[int]) -> np.ndarray:
    return np.frombuffer(found, dtype=np.int64)


def _pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Distinct (a, b) pairs of small numbers, sorted, as a 2×N int32 array."""
    keys = np.unique((first.astype(np.int64) << 32) | second)
    return np.stack([keys >> 32, keys & 0xFFFFFFFF]).astype(np.int32)


def write_places(inputs: Inputs, ids: dict[str, int], folder: Path) -> None:
    """The map's arrays of a table whose rows are numbered `ids`, from the reads of
    `reads.place_reads` (a region not in the NUTS namespace places nothing). Read twice from the
    reads' file, numbers only in memory: the codes and organisations first, to number them in order."""
    assert OWN_PLACES is not None
    nuts = str(NUTS)

    def own() -> Iterator[tuple[int, str, str]]:
        for row, code in inputs.distinct(OWN_PLACES.name):
            if row in ids and code.startswith(nuts):
                yield ids[row], "", code[len(nuts) :]

    def partners() -> Iterator[tuple[int, str, str]]:
        for read in PARTNER_PLACES:
            for row, organisation, code in inputs.distinct(read.name):
                if row in ids and code.startswith(nuts):
                    yield ids[row], organisation, code[len(nuts) :]

    codes, organisations = set(), set()
    for _, organisation, code in (*own(), *partners()):
        codes.add(code)
        organisations.add(organisation)
    organisations.discard("")
    coded = {code: number for number, code in enumerate(sorted(codes))}
    named = {iri: number for number, iri in enumerate(sorted(organisations))}
    rows, places, partnered, orgs, orgcodes = array("q"), array("q"), array("q"), array("q"), array("q")
    for row, _, code in own():
        rows.append(row)
        places.append(coded[code])
    for row, organisation, code in partners():
        rows.append(row)
        places.append(coded[code])
        partnered.append(row)
        orgs.append(named[organisation])
        orgcodes.append(coded[code])
    orgplaces = _pairs(_numbers(orgs), _numbers(orgcodes))
    numbered = (orgplaces[0].astype(np.int64) << 32) | orgplaces[1]
    joined = _pairs(_numbers(partnered), np.searchsorted(numbered, (_numbers(orgs) << 32) | _numbers(orgcodes)))
    budget = np.full(len(ids), np.nan)  # NaN: no amount in euro
    for iri, amount in inputs.distinct(BUDGETS.name):
        number = ids.get(iri)
        try:
            value = float(amount)
        except ValueError:
            continue
        if number is not None:  # from 0, as Python's max: NaN never replaces
            held = float(budget[number])
            budget[number] = max(0.0 if np.isnan(held) else held, value)
    for name, found in zip(_ARRAYS, (_pairs(_numbers(rows), _numbers(places)), orgplaces, joined, budget), strict=True):
        np.save(folder / f"{name}.npy", found)
    (folder / ORGANISATIONS_FILE).write_text("".join(f"{iri}\n" for iri in sorted(organisations)), encoding="utf-8")
    meta = {"codes": sorted(codes)}
    (folder / PLACES_FILE).write_text(json.dumps(meta), encoding="utf-8")


@dataclass(frozen=True)
class Counted:
    """A map view's figures per region at one level: the regions in code order."""

    regions: list[str]
    projects: np.ndarray  # the kept rows placed in each region
    partners: np.ndarray  # the organisations there that are partners of kept rows
    budget: np.ndarray  # the summed budget of the kept rows placed there
    unplaced: int  # kept rows with no region at the level


class Places:
    """The map's arrays of one table's index, memory-mapped (shared by a server's processes)."""

    def __init__(self, folder: Path, arrays: dict[str, np.ndarray]):
        """`arrays`: the index's arrays, mapped by name (those of the map among them)."""
        self.folder = folder
        self.codes: list[str] = json.loads((folder / PLACES_FILE).read_text(encoding="utf-8"))["codes"]
        if missing := [name for name in _ARRAYS if name not in arrays]:
            raise ValueError(f"{folder} has no {', '.join(missing)}")
        self._arrays = arrays
        self._organisations: list[str] | None = None  # read when a list is first asked for
        self._lock = threading.Lock()

    def areas(self, kept: np.ndarray | None, count: int, region_of: Sequence[str | None]) -> Counted:
        """The figures of the `count` rows kept (`kept`: a mask over the rows; None: every row),
        with `region_of` each code's region at the level (None: none at that level)."""
        regions = sorted({region for region in region_of if region})
        number = {region: n for n, region in enumerate(regions)}
        lookup = np.array([number[r] if r else -1 for r in region_of] + [-1], dtype=np.int64)
        width = len(regions) + 1
        rows, codes = self._arrays["places"]
        region = lookup[codes]
        keep = region >= 0
        if kept is not None:
            keep &= kept[rows]
        placed = _distinct(rows[keep].astype(np.int64) * width + region[keep])
        placed_rows, placed_regions = placed // width, placed % width
        projects = np.bincount(placed_regions, minlength=len(regions))
        amounts = np.nan_to_num(self._arrays["budget"][placed_rows], nan=0.0)
        budget = np.bincount(placed_regions, weights=amounts, minlength=len(regions))
        unplaced = count - (int(np.count_nonzero(np.diff(placed_rows))) + 1 if len(placed_rows) else 0)
        by, where = self._arrays["partners"]
        orgplaces = self._arrays["orgplaces"]
        used = np.zeros(orgplaces.shape[1], dtype=bool)
        used[where if kept is None else where[kept[by]]] = True
        organisations, found = orgplaces[0][used].astype(np.int64), lookup[orgplaces[1][used]]
        partners = np.bincount(_distinct(organisations[found >= 0] * width + found[found >= 0]) % width, minlength=len(regions))
        return Counted(regions, projects, partners, budget, unplaced)

    def listed(self, rows: np.ndarray) -> list[PlacedRow]:
        """What a view's list says of each of `rows` (ascending): its codes, its partners and their
        codes in IRI then code order, and its budget."""
        with self._lock:
            if self._organisations is None:
                self._organisations = (self.folder / ORGANISATIONS_FILE).read_text(encoding="utf-8").splitlines()
            organisations = self._organisations
        by, codes = self._arrays["places"]
        partnered, where = self._arrays["partners"]
        orgs, orgcodes = self._arrays["orgplaces"]
        budget = self._arrays["budget"]
        spans = [np.searchsorted(array, rows, side=side) for array in (by, partnered) for side in ("left", "right")]
        found = []
        for number, row in enumerate(rows.tolist()):
            held = float(budget[row])
            places = codes[spans[0][number] : spans[1][number]]
            joined = where[spans[2][number] : spans[3][number]]
            found.append(
                PlacedRow(
                    [self.codes[c] for c in places.tolist()],
                    [(organisations[orgs[j]], self.codes[orgcodes[j]]) for j in joined.tolist()],
                    None if np.isnan(held) else held,
                )
            )
        return found


@dataclass(frozen=True)
class PlacedRow:
    """One row as a view's list names it."""

    codes: list[str]
    partners: list[tuple[str, str]]  # (organisation IRI, NUTS code)
    budget: float | None


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The keys each once, sorted. The pairs are sorted by row then code, and a code's region is
    its prefix, so the keys mostly come sorted: then one pass, else a sort."""
    if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
        keys = np.sort(keys)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first]
