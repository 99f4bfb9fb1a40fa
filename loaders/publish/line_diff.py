"""The lines one N-Triples file lost and gained against another, both written by the same mapping
(one triple per line, always written the same way; a line written twice counts once).

An edited export maps to a file whose lines are mostly the earlier file's, in the same order: a
changed row changes the lines in one place. So the files' common head and tail are found by
comparing their bytes (memory-mapped, a block at a time), and only the lines between are compared
as sets. A line there counts as lost or gained only if the head and tail, which both files share,
do not state it too: each such line is looked for in them by a byte search. When the middles hold
more than `FEW` such lines (many rows changed), every line of both files is compared by digest.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, TypeVar

T = TypeVar("T")
BLOCK = 1 << 20
FEW = 64  # beyond this many candidate lines, a digest per line of both files is cheaper than byte searches


def line_difference(before: Path, after: Path) -> tuple[list[bytes], list[bytes]]:
    """The lines of `before` that `after` no longer has and those it adds, each once, in file order
    (without their line ends)."""
    if before.stat().st_size == 0 or after.stat().st_size == 0:
        return _whole(before, after)
    with before.open("rb") as a, after.open("rb") as b, _mapped(a) as old, _mapped(b) as new:
        head = _head(old, new)
        tail = _tail(old, new, head)
        lost, gained = _lines(old[head : len(old) - tail]), _lines(new[head : len(new) - tail])
        if any(b"\r" in line for line in [*lost, *gained]):
            return _whole(before, after)
        lost_set, gained_set = set(lost), set(gained)
        removed = [line for line in lost if line not in gained_set]
        added = [line for line in gained if line not in lost_set]
        if len(removed) + len(added) > FEW:
            return _whole(before, after)
        shared = (0, head), (len(old) - tail, len(old))
        return [x for x in removed if not _stated(old, x, shared)], [x for x in added if not _stated(old, x, shared)]


def _mapped(file: BinaryIO) -> mmap.mmap:
    return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)


def _lines(middle: bytes) -> list[bytes]:
    """The distinct lines, in order."""
    return list(dict.fromkeys(line for line in middle.split(b"\n") if line))


def _head(old: mmap.mmap, new: mmap.mmap) -> int:
    """Where the first line that differs starts (the length of the common whole lines)."""
    limit, at = min(len(old), len(new)), 0
    while at < limit and old[at : at + BLOCK] == new[at : at + BLOCK]:
        at += BLOCK
    if at >= limit:
        at = limit
    else:
        low, high = at, min(at + BLOCK, limit)  # the first difference is in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if old[low:middle] == new[low:middle] else (low, middle)
        at = low
    if at == len(old) == len(new):
        return at
    return old.rfind(b"\n", 0, at) + 1 if at else 0


def _tail(old: mmap.mmap, new: mmap.mmap, head: int) -> int:
    """The length of the common whole lines at the end, not reaching into the head."""
    limit, size = min(len(old), len(new)) - head, 0
    while (
        size + BLOCK <= limit and old[len(old) - size - BLOCK : len(old) - size] == new[len(new) - size - BLOCK : len(new) - size]
    ):
        size += BLOCK
    low, high = size, min(size + BLOCK, limit)  # the common end is at least `low` long and at most `high`
    while low < high:
        middle = (low + high + 1) // 2
        same = old[len(old) - middle : len(old) - size] == new[len(new) - middle : len(new) - size]
        low, high = (middle, high) if same else (low, middle - 1)
    start = len(old) - low
    if start > head and old[start - 1] != ord("\n"):  # move on to the start of the next whole line
        found = old.find(b"\n", start)
        start = found + 1 if found != -1 else len(old)
    return len(old) - start


def _stated(data: mmap.mmap, line: bytes, regions: Iterable[tuple[int, int]]) -> bool:
    """Whether one of the regions (each of whole lines) has `line` as a whole line."""
    for start, end in regions:
        if start >= end:
            continue
        first = start + len(line) + 1 <= end and data[start : start + len(line) + 1] == line + b"\n"
        alone = end - start == len(line) and data[start:end] == line  # the region is this line, with no end
        if first or alone or data.find(b"\n" + line + b"\n", start, end) != -1:
            return True
        if end == len(data) and end - len(line) - 1 >= start and data[end - len(line) - 1 : end] == b"\n" + line:
            return True
    return False


def _key(line: bytes) -> bytes:
    return hashlib.blake2b(line.rstrip(b"\r\n"), digest_size=16).digest()


def _whole(before: Path, after: Path) -> tuple[list[bytes], list[bytes]]:
    """The difference by a digest of every line of both files."""
    with before.open("rb") as lines:
        old = dict.fromkeys((_key(line) for line in lines), False)
    with after.open("rb") as lines:
        added = added_once(old, ((_key(line), line.rstrip(b"\r\n")) for line in lines))
    with before.open("rb") as lines:
        removed = gone_once(old, ((_key(line), line.rstrip(b"\r\n")) for line in lines))
    return removed, added


def added_once(before: dict[bytes, bool], items: Iterable[tuple[bytes, T]]) -> list[T]:
    """The items whose key `before` lacks, each once; marks in `before` the keys still there."""
    added: list[T] = []
    seen: set[bytes] = set()
    for key, item in items:
        if key in before:
            before[key] = True
        elif key not in seen:
            seen.add(key)
            added.append(item)
    return added


def gone_once(before: dict[bytes, bool], items: Iterable[tuple[bytes, T]]) -> list[T]:
    """The earlier items whose key was not marked as still there, each once."""
    if all(before.values()):
        return []
    gone: list[T] = []
    for key, item in items:
        if before.get(key) is False:
            before[key] = True
            gone.append(item)
    return gone
