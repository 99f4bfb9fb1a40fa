"""The competency questions (server/endpoint/competency-questions.yaml) answered by the built store."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from conftest import PROJECT

from loaders.core.queries import Readable
from loaders.core.vocab import PREFIXES
from server.backends.port import Backend

QUESTIONS = yaml.safe_load((PROJECT / "server" / "endpoint" / "competency-questions.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reading(backend: Backend) -> Readable:
    """The build as the pages read it, from each kind of store."""
    return backend.open()


def _answer(store: Readable, query: str) -> bool | list[list[str | None]]:
    result = store.query(query, prefixes=PREFIXES)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    assert isinstance(result, ox.QuerySolutions)
    variables = [v.value for v in result.variables]
    return [[None if row[v] is None else row[v].value for v in variables] for row in result]


def test_there_are_at_least_40_questions_covering_every_seed() -> None:
    assert len(QUESTIONS) >= 40
    assert {q["seed"] for q in QUESTIONS} >= {"seed-000", "seed-001", "seed-002", "seed-003", "seed-004"}
    assert len({q["id"] for q in QUESTIONS}) == len(QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_competency_question_is_answered_as_the_seed_states(reading: Readable, question: dict[str, Any]) -> None:
    got = _answer(reading, question["query"])
    expected = question["expected"]
    if isinstance(expected, bool):
        assert got is expected, question["question"]
        return
    assert isinstance(got, list), question["question"]
    expected_rows = [[str(v) for v in row] for row in expected]
    if question.get("ordered"):
        assert got == expected_rows, question["question"]
    else:
        assert sorted(map(tuple, got), key=str) == sorted(map(tuple, expected_rows), key=str), question["question"]
