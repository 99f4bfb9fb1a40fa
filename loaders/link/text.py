"""Text evidence for the matcher: do a project's words and a priority's words say the same thing,
whatever EU language each is written in?

The method, and why: words are folded (case, accents: "Mobilität" → "mobilitat") and cut to
their first five letters ("mobil"), weighted by how rare they are among the texts compared (the
inverse document frequency) and compared by cosine. Cutting words to a fixed prefix is the
truncation stemming of multilingual retrieval (McNamee & Mayfield, "Character N-gram
Tokenization for European Language Text Retrieval", 2004; McNamee, Nicholas & Mayfield, "Addressing
Morphological Variation in Alphabetic Languages", SIGIR 2009): it needs no dictionary per
language, works for the 24 EU languages written in Latin or Greek script alike, and makes the
international vocabulary of research and industry meet across languages ("mobilità", "mobilité",
"mobility", "Mobilität"; "energetika", "Energie", "energy"; "biotechnologie", "biotechnology").
Function words are dropped with the stop-word lists of the text's language (stopwords-iso, 23 of
the 24 EU languages; all of them together where a text's language is unknown); rarity does the
rest: words every text uses weigh next to nothing. Every match can say which words it rests on,
as written on both sides, so a person can judge it.

What it cannot do, stated plainly: words that are not cognates ("skog" and "forest", "Gesundheit"
and "health") do not meet; a model that would bridge them must ship inside a package from the
registries (nothing is fetched at run time), and none of the well-kept ones does. The
priorities' NACE labels and names in several languages widen what can meet.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import stopwordsiso

from loaders.core.languages import EU_LANGUAGES
from loaders.core.words import STEM, WORD, fold

SHORTEST = 4  # shorter words (articles, prepositions, most function words) are left out
HEAD = 4  # the shortest part of a compound taken for a word of its own
# Stems of the words every S3 text uses about itself, in the EU languages: smart, specialisation,
# strategy, innovation, project (progetto), programme, region, Europe. They say how, not what about.
# (folded: written without accents)
BOILERPLATE = frozenset({"smart", "slim", "slimm", "intel", "strat", "speci", "spezi", "innov", "inova", "inowa",
                         "proje", "proge", "progr", "regio", "europ", "evrop"})  # fmt: skip
COMMONEST = 0.25  # a stem in more than this share of the texts is a stop-word of this corpus


@cache
def stop_words(language: str) -> frozenset[str]:
    """The folded function words of a language (two letters); of all EU languages for any other tag."""
    primary = language.split("-")[0].lower()
    languages = [primary] if primary in EU_LANGUAGES and stopwordsiso.has_lang(primary) else EU_LANGUAGES
    return frozenset(fold(w) for lang in languages if stopwordsiso.has_lang(lang) for w in stopwordsiso.stopwords(lang))


@dataclass
class Terms:
    """The words of a text (folded, function words left out), how often each occurs, and the
    first spelling written for each; stems are cut from them once all texts are read."""

    words: Counter[str] = field(default_factory=Counter)
    written: dict[str, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)  # stems, filled by Corpus
    spelled: dict[str, str] = field(default_factory=dict)  # stem → a word as written, filled by Corpus

    def add(self, text: str, language: str = "") -> None:
        """The words of `text`, written in `language` (a language tag; empty or "und" if unknown)."""
        stop = stop_words(language)
        for word in WORD.findall(text):
            folded = fold(word)
            if len(folded) < SHORTEST or folded in stop:
                continue
            self.words[folded] += 1
            self.written.setdefault(folded, word)


def terms(texts: Iterable[tuple[str, str]]) -> Terms:
    """The terms of (text, language) pairs."""
    found = Terms()
    for text, language in texts:
        found.add(text, language)
    return found


def head(word: str, vocabulary: set[str]) -> str | None:
    """The longest word a compound ends with that the texts also write alone:
    "robotersystemen" → "systemen" when "systemen" occurs as a word (German, Dutch and the
    Nordic languages write compounds as one word; their last part names what the thing is)."""
    return next((word[start:] for start in range(HEAD, len(word) - HEAD + 1) if word[start:] in vocabulary), None)


@dataclass(frozen=True)
class Similar:
    """How alike two texts are (cosine, 0 to 1) and the words both use, the weightiest first,
    each as "word of the project ~ word of the priority" (one word when both write it alike)."""

    score: float
    words: tuple[str, ...]


class Corpus:
    """The rarity of each stem among the texts compared, and each text's weighted stems."""

    def __init__(self, documents: list[Terms]) -> None:
        vocabulary = {w for d in documents for w in d.words if len(w) >= HEAD + 1}
        self.frequency: Counter[str] = Counter()
        self.size = len(documents)
        for document in documents:
            for word, count in document.words.items():
                last = head(word, vocabulary)
                for part in [word] if last is None else [word, last]:
                    stem = part[:STEM]
                    if stem in BOILERPLATE:
                        continue
                    document.counts[stem] += count
                    document.spelled.setdefault(stem, document.written[word])
            self.frequency.update(document.counts.keys())
        for document in documents:  # the stems are all that is compared from here on
            document.words.clear()
            document.written.clear()

    def weights(self, document: Terms) -> dict[str, float]:
        """Each stem's tf-idf weight, the vector of unit length; a stem in more than a quarter of
        the texts (COMMONEST) is left out."""
        ceiling = max(2.0, COMMONEST * self.size)
        raw = {
            stem: (1 + math.log(count)) * math.log((1 + self.size) / (1 + self.frequency[stem]))
            for stem, count in document.counts.items()
            if self.frequency[stem] <= ceiling
        }
        norm = math.sqrt(sum(w * w for w in raw.values()))
        return {stem: w / norm for stem, w in raw.items() if w > 0} if norm else {}


def similar(a: dict[str, float], b: dict[str, float], a_terms: Terms, b_terms: Terms, shown: int = 5) -> Similar:
    """The cosine of two weighted stem vectors and the words behind it."""
    if len(a) > len(b):
        return _flip(similar(b, a, b_terms, a_terms, shown))
    parts = sorted(((w * b[stem], stem) for stem, w in a.items() if stem in b), reverse=True)
    words = tuple(_pair(a_terms.spelled[s], b_terms.spelled[s]) for _, s in parts[:shown])
    return Similar(round(sum(p for p, _ in parts), 3), words)


def _pair(one: str, other: str) -> str:
    return one if fold(one) == fold(other) else f"{one} ~ {other}"


def _flip(found: Similar) -> Similar:
    flipped = tuple(" ~ ".join(reversed(w.split(" ~ "))) for w in found.words)
    return Similar(found.score, flipped)
