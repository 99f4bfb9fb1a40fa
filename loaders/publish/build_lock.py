"""One build at a time per store directory.

Two builds, or two `s3kg load`s, that overlap on one store would each stage, sweep and switch
(a sweep took the other's live staging store, corrupting the published one). So everything that
writes a store directory — `build`, and `load`/`unload` around their change of the sources list —
holds an exclusive lock on `<store>/.build.lock` (flock(2): released by the kernel whatever way the
holder ends, so a killed build leaves no stale lock). A second comer is told who holds it (pid,
command, since when) and waits; with `wait=0` it is refused with the same words.

The lock is re-entrant within a process (`load` holds it and its build takes it again).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".build.lock"
_held: dict[Path, int] = {}  # lock files this process holds, with their depth


class BuildBusy(Exception):
    """Another build holds the store directory; the message says which and what to do."""


HOLDER_WAIT = 1.0  # seconds to wait for a build that has just taken the lock to write who it is


def _holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it just after taking it (waited for briefly: the
    lock is taken a moment before the record is written)."""
    deadline = time.monotonic() + HOLDER_WAIT
    while True:
        try:
            who = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            who = {}
        if who or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not who:
        return "another build"
    return f"another build (pid {who.get('pid')}, `{who.get('command')}`, since {who.get('since')})"


@contextmanager
def build_lock(store_dir: Path, say: Callable[[str], None], wait: float | None = None) -> Iterator[None]:
    """Hold the store directory's build lock; `say` is told once when this has to wait.
    `wait` seconds at most (None: as long as it takes), then BuildBusy."""
    store_dir.mkdir(parents=True, exist_ok=True)
    path = (store_dir / LOCK_NAME).resolve()
    if _held.get(path):
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(descriptor, path, say, wait)
        os.ftruncate(descriptor, 0)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(descriptor, json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv[:3]), "since": since}).encode())
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # releases the lock


def _acquire(descriptor: int, path: Path, say: Callable[[str], None], wait: float | None) -> None:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    holder = _holder(path)
    if wait is not None and wait <= 0:
        raise BuildBusy(f"{holder} is writing {path.parent}; try again when it has finished.")
    say(f"{holder} is writing {path.parent}; waiting for it to finish")
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() > deadline:
                raise BuildBusy(f"{holder} still held {path.parent} after {wait:g} s; try again later.") from None
            time.sleep(0.1)
