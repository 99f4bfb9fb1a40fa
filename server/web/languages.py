"""The reader's language: from ?lang= or Accept-Language, the page language, the best label."""

from __future__ import annotations

import re

import pyoxigraph as ox

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")  # BCP 47, as far as label matching needs


class BadLanguage(ValueError):
    """A ?lang= value that is not a language tag (answered 400)."""


def preferred_languages(lang: str | None, accept_language: str | None) -> list[str]:
    """The reader's languages, best first: ?lang=, then Accept-Language by q-value, then English.
    Each is a primary language subtag, lower case ASCII: safe in headers, ETags and HTML."""
    if lang is not None and not _LANGUAGE_TAG.fullmatch(lang):
        raise BadLanguage(f"?lang= must be a language tag such as 'en', 'nl' or 'pt-BR'; {lang[:20]!r} is not one.")
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if _LANGUAGE_TAG.fullmatch(tag) and q > 0:  # anything else, "*" included, is ignored
            ranked.append((-q, order, tag.split("-")[0].lower()))
    languages = ([lang.split("-")[0].lower()] if lang else []) + [tag for _, _, tag in sorted(ranked)] + ["en"]
    return list(dict.fromkeys(languages))


PAGE_LANGUAGES = ("en", "nl", "fr", "sv", "pl")  # the languages of the seeds, the ontology's labels and the page text


def page_language(languages: list[str]) -> str:
    """The language a page is written in: the reader's first that pages offer (English at the latest).
    Labels still follow the reader's whole list, so a page may quote a label in another language."""
    return next((code for code in languages if code in PAGE_LANGUAGES), "en")


def reader_page_language(lang: str | None, accept_language: str | None) -> str:
    """The page language for ?lang= and Accept-Language (pages with no labels to choose)."""
    return page_language(preferred_languages(lang, accept_language))


def best_label(labels: list[ox.Literal], languages: list[str]) -> str | None:
    for language in languages:
        for label in labels:
            if (label.language or "").split("-")[0] == language:
                return label.value
    return labels[0].value if labels else None
