"""The lines an N-Triples file lost and gained (`loaders.publish.line_diff`): the comparison of
the common head and tail's bytes gives what a digest of every line of both files gives, for edits
anywhere (first line, last line, none), lines written twice, a last line without its line end,
and files of many blocks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from loaders.publish import line_diff
from loaders.publish.line_diff import line_difference


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes(("\n".join(lines) + end).encode() if lines else b"")
    return path


def _fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(before: Path, after: Path) -> tuple[list[bytes], list[bytes]]:
        raise AssertionError("the digest of every line was used")

    monkeypatch.setattr(line_diff, "_whole", refused)


LINES = [f"<s{i}> <p> <o{i % 7}> ." for i in range(200)]


@pytest.mark.parametrize(
    ("name", "before", "after", "removed", "added"),
    [
        ("one line changed", LINES, [*LINES[:50], "<x> <p> <y> .", *LINES[51:]], [LINES[50]], ["<x> <p> <y> ."]),
        ("the first line changed", LINES, ["<x> <p> <y> .", *LINES[1:]], [LINES[0]], ["<x> <p> <y> ."]),
        ("the last line changed", LINES, [*LINES[:-1], "<x> <p> <y> ."], [LINES[-1]], ["<x> <p> <y> ."]),
        ("a line added at the end", LINES, [*LINES, "<x> <p> <y> ."], [], ["<x> <p> <y> ."]),
        ("a line removed at the start", LINES, LINES[1:], [LINES[0]], []),
        ("nothing changed", LINES, LINES, [], []),
        ("a removed line the head still states", [LINES[3], *LINES], [LINES[3], *LINES[:3], *LINES[4:]], [], []),
        ("a removed line the tail still states", [*LINES, LINES[3]], [*LINES[:3], *LINES[4:], LINES[3]], [], []),
        ("an added line the head already states", LINES, [*LINES[:100], LINES[0], *LINES[100:]], [], []),
        ("an added line the tail already states", LINES, [*LINES[:100], LINES[-1], *LINES[100:]], [], []),
        ("a line moved within the change", LINES, [*LINES[:10], LINES[11], LINES[10], *LINES[12:]], [], []),
        ("one line changed into a longer one", LINES, [*LINES[:5], LINES[5] + " ", *LINES[6:]], [LINES[5]], [LINES[5] + " "]),
    ],
)
def test_the_difference_of_two_mapped_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    before: list[str],
    after: list[str],
    removed: list[str],
    added: list[str],
) -> None:
    _fast_only(monkeypatch)
    got = line_difference(_write(tmp_path / "a.nt", before), _write(tmp_path / "b.nt", after))
    assert got == ([x.encode() for x in removed], [x.encode() for x in added]), name


def test_a_last_line_without_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fast_only(monkeypatch)
    before, after = _write(tmp_path / "a.nt", LINES, end=""), _write(tmp_path / "b.nt", [*LINES[:-1], "<x> <p> <y> ."], end="")
    assert line_difference(before, after) == ([LINES[-1].encode()], [b"<x> <p> <y> ."])
    assert line_difference(before, _write(tmp_path / "c.nt", LINES)) == ([], [])


def test_an_empty_file_and_many_changes_are_compared_whole(tmp_path: Path) -> None:
    empty, full = _write(tmp_path / "a.nt", []), _write(tmp_path / "b.nt", LINES)
    assert line_difference(empty, full) == ([], [x.encode() for x in LINES])
    assert line_difference(full, empty) == ([x.encode() for x in LINES], [])
    changed = _write(tmp_path / "c.nt", [line.replace("<p>", "<q>") for line in LINES])
    assert line_difference(full, changed) == line_diff._whole(full, changed)


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_of_a_large_file_match_a_digest_of_every_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Files of several blocks (`BLOCK` made small), lines repeated, a few lines changed, added or
    removed anywhere: the same answer as comparing every line."""
    rng = random.Random(seed)
    monkeypatch.setattr(line_diff, "BLOCK", rng.choice([16, 64, 1024]))

    lines = [f'<s{rng.randrange(300)}> <p> "{"x" * rng.randrange(30)}" .' for _ in range(rng.randrange(1, 600))]
    edited = list(lines)
    for _ in range(rng.randrange(0, 4)):
        at = rng.randrange(len(edited) + 1)
        kind = rng.choice(["change", "add", "remove", "repeat"])
        if kind == "change" and at < len(edited):
            edited[at] = f"<n{rng.randrange(50)}> <p> <o> ."
        elif kind == "add":
            edited.insert(at, f"<n{rng.randrange(50)}> <p> <o> .")
        elif kind == "remove" and at < len(edited):
            del edited[at]
        elif kind == "repeat" and lines:
            edited.insert(at, rng.choice(lines))
    before, after = _write(tmp_path / "a.nt", lines), _write(tmp_path / "b.nt", edited, end=rng.choice(["\n", ""]))
    assert line_difference(before, after) == line_diff._whole(before, after)
