"""Words as the matcher and the search index compare them: folded (case, accents) and cut to a
stem of five letters, the truncation stemming of multilingual retrieval (loaders/link/text.py
says why): "Mobilität", "mobilité" and "mobility" all become "mobil", "textiel", "Textilien" and
"textiles" all "texti"."""

from __future__ import annotations

import re
import unicodedata

STEM = 5  # letters kept of each word
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
WORD = re.compile(r"[^\W\d_]+")  # a word: letters only


def fold(word: str) -> str:
    """Lower case without accents: "Mobilität" → "mobilitat", "Łódź" → "lodz"."""
    decomposed = unicodedata.normalize("NFKD", word.lower().translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stems(text: str) -> list[str]:
    """The stems of a text's words, in order (a word of five letters or fewer is its own stem)."""
    return [fold(word)[:STEM] for word in WORD.findall(text)]
