"""The matcher's text rule (loaders/link/text.py): words folded, function words dropped per
language, compounds split at a word the texts also write alone, stems of five letters weighted
by rarity, compared by cosine; each case named after the behaviour it shows."""

from __future__ import annotations

import pytest

from loaders.link.text import Corpus, Terms, fold, head, similar, stop_words, terms


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Mobilität", "mobilitat"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("ENERGETIKA", "energetika"),
        ("Sørlandet", "sorlandet"),
    ],
)
def test_words_are_compared_without_case_or_accents(written: str, folded: str) -> None:
    assert fold(written) == folded


@pytest.mark.parametrize(
    ("language", "function_word", "content_word"),
    [("de", "werden", "energie"), ("sv", "och", "skog"), ("cs", "které", "doprava"), ("fr", "leurs", "santé")],
)
def test_function_words_of_the_texts_language_are_left_out(language: str, function_word: str, content_word: str) -> None:
    words = terms([(f"{function_word} {content_word}", language)]).words
    assert fold(function_word) not in words and fold(content_word) in words


def test_a_text_of_unknown_language_drops_the_function_words_of_every_eu_language() -> None:
    assert {"werden", "ktere", "leurs"} <= stop_words("und") and "energie" not in stop_words("und")


def test_a_compound_also_counts_as_its_last_part_when_the_texts_write_that_part_alone() -> None:
    assert head("robotersystemen", {"systemen", "roboter"}) == "systemen"
    assert head("robotersystemen", {"roboter"}) is None, "no part is guessed that no text writes"


def _vectors(*texts: tuple[str, str]) -> tuple[list[Terms], list[dict[str, float]]]:
    others = ["forestry", "textiles", "tourism", "shipbuilding", "ceramics", "agriculture"]
    documents = [terms([t]) for t in texts] + [terms([(f"{other} development", "en")]) for other in others]
    corpus = Corpus(documents)
    return documents, [corpus.weights(d) for d in documents]


def test_cognates_meet_across_languages_and_the_match_names_them_as_written() -> None:
    (project, priority, *_), (a, b, *_) = _vectors(("Mobilität für Pendler", "de"), ("Sustainable mobility", "en"))
    found = similar(a, b, project, priority)
    assert found.score > 0.3 and found.words == ("Mobilität ~ mobility",)


def test_a_compound_meets_the_word_it_ends_with() -> None:
    (project, priority, *_), (a, b, *_) = _vectors(("Robotersysteme für Lackieranlagen", "de"), ("Systeme der Produktion", "de"))
    assert similar(a, b, project, priority).words == ("Robotersysteme ~ Systeme",)


def test_words_that_are_no_cognates_do_not_meet() -> None:
    (project, priority, *_), (a, b, *_) = _vectors(("Skogsbruk i norr", "sv"), ("Forestry in the north", "en"))
    assert similar(a, b, project, priority).score == 0


def test_a_word_every_text_uses_weighs_nothing() -> None:
    topics = ["forestry", "textiles", "tourism", "shipbuilding", "ceramics", "agriculture", "photonics", "logistics"]
    documents = [terms([(f"innovation in {topic}", "en")]) for topic in topics]
    weights = Corpus(documents).weights(documents[0])
    assert set(weights) == {"fores"}, "innovation is in every text"
