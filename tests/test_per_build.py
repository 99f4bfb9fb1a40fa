"""Values computed once per published build: reused within a build, recomputed after a new one."""

from __future__ import annotations

from server.per_build import PerBuild


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
