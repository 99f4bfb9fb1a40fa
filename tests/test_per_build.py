"""Values computed once per published build: reused within a build, recomputed after a new one."""

from __future__ import annotations

import threading

import pytest

from server.web.per_build import PerBuild


def test_a_value_is_computed_once_per_build_and_again_for_a_new_build() -> None:
    cache = PerBuild()
    calls: list[str] = []

    def compute(tag: str) -> str:
        calls.append(tag)
        return tag

    assert cache.get("build-1", "counts", lambda: compute("first")) == "first"
    assert cache.get("build-1", "counts", lambda: compute("again")) == "first"
    assert cache.get("build-2", "counts", lambda: compute("new build")) == "new build"
    assert calls == ["first", "new build"]


def test_the_least_recently_used_value_goes_first() -> None:
    cache = PerBuild(limit=2)
    cache.get("b", "x", lambda: 1)
    cache.get("b", "y", lambda: 2)
    cache.get("b", "x", lambda: 0)  # x is used again: y is now the oldest
    cache.get("b", "z", lambda: 3)
    assert cache.get("b", "x", lambda: -1) == 1
    assert cache.get("b", "y", lambda: -1) == -1, "y was dropped"


def test_a_value_asked_for_while_it_is_computed_is_waited_for_not_computed_again() -> None:
    cache = PerBuild()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get("b", "k", slow)))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get("b", "k", slow)))
    second.start()
    second.join(0.2)
    assert second.is_alive(), "the second reader waits for the first computation"
    release.set()
    first.join(5)
    second.join(5)
    assert results == [42, 42] and calls == [1]


def test_a_failed_computation_lets_the_next_reader_try_again() -> None:
    cache = PerBuild()

    def broken() -> int:
        raise ValueError("store gone")

    with pytest.raises(ValueError):
        cache.get("b", "k", broken)
    assert cache.get("b", "k", lambda: 7) == 7
