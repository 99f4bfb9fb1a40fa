"""The language a source's text is written in, where the source does not say it.

keep.eu's closed-project workbook gives a project's name and description "in language 1" and
"in language 2", the languages of the programme's countries, unnamed. A text is tagged with the EU
language py3langid finds (a naive Bayes model over byte n-grams, shipped in the package:
deterministic, nothing fetched) only when the model is sure of it; otherwise it stays `und`
(undetermined, BCP 47), which is what the source states.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

EU_LANGUAGES = tuple("bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv".split(" "))  # noqa: SIM905
SURE = 0.95  # the model's probability (normalised over the EU languages) a tag needs
SHORTEST = 12  # letters: below this a text says too little of its language


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # the model (and numpy) only when a text is guessed

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(EU_LANGUAGES))
    return identifier


def guess(text: str) -> str:
    """The EU language `text` is written in, or `und` when that cannot be told with confidence."""
    if sum(c.isalpha() for c in text) < SHORTEST:
        return "und"
    language, probability = _identifier().classify(text)
    return str(language) if probability >= SURE else "und"
