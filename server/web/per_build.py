"""Answers that depend only on the published build (counts per class, members of a class in
order), computed once per build and kept until a new build is published.

At keep.eu or Kohesio scale these take seconds to compute (sorting 200,000 projects by label,
summing budgets by domain) but never change between builds, so pages read them from here. A
value asked for while another thread computes it is waited for, not computed twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Event, Lock
from typing import TypeVar

T = TypeVar("T")


class PerBuild:
    """A small LRU of computed values, emptied when the build changes."""

    def __init__(self, limit: int = 32):
        self.limit = limit
        self._build: str | None = None
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._pending: dict[Hashable, Event] = {}
        self._lock = Lock()

    def get(self, build: str, key: Hashable, compute: Callable[[], T]) -> T:
        while True:
            with self._lock:
                self._follow(build)
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]  # type: ignore[return-value]
                pending = self._pending.get(key)
                if pending is None:
                    done = self._pending[key] = Event()
                    break
            pending.wait()  # another thread is computing it; then look again
        try:
            value = compute()  # outside the lock: other pages are not held up by a long computation
            with self._lock:
                if build == self._build:
                    self._keep(key, value)
            return value
        finally:
            with self._lock:
                if self._pending.get(key) is done:
                    del self._pending[key]
            done.set()

    def peek(self, build: str, key: Hashable) -> object | None:
        """The value kept for `key` in this build, or None (for callers that compute it themselves,
        e.g. on the event loop through the query workers)."""
        with self._lock:
            if build != self._build or key not in self._values:
                return None
            self._values.move_to_end(key)
            return self._values[key]

    def put(self, build: str, key: Hashable, value: object) -> None:
        with self._lock:
            self._follow(build)
            self._keep(key, value)

    def _follow(self, build: str) -> None:
        """Forget everything when the build changes (the lock held)."""
        if build != self._build:
            self._build, self._values, self._pending = build, OrderedDict(), {}

    def _keep(self, key: Hashable, value: object) -> None:
        """Keep a value, dropping the least recently used past the limit (the lock held)."""
        self._values[key] = value
        while len(self._values) > self.limit:
            self._values.popitem(last=False)
