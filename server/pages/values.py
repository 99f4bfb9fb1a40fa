"""Literal values as people read them, in the page's language: amounts ("€ 42 000 000"), dates
("1 April 2021") and numbers, and the values of one property ordered with the reader's language
first. Pure functions; the page templates only print what they return."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
CURRENCY_SIGNS = {"EUR": "€", "SEK": "SEK", "PLN": "zł", "DKK": "DKK", "GBP": "£", "CHF": "CHF", "NOK": "NOK"}
MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
}
APPROXIMATELY = {"en": "about", "nl": "ongeveer", "fr": "environ", "sv": "cirka", "pl": "około"}
THIN_SPACE = "\u202f"  # groups digits in every page language without the comma/point ambiguity

# Language names as their speakers write them: a summary in another language than the page's says which.
AUTONYMS = {
    "bg": "български", "cs": "čeština", "da": "dansk", "de": "Deutsch", "el": "ελληνικά", "en": "English",
    "es": "español", "et": "eesti", "fi": "suomi", "fr": "français", "ga": "Gaeilge", "hr": "hrvatski",
    "hu": "magyar", "it": "italiano", "lt": "lietuvių", "lv": "latviešu", "mt": "Malti", "nl": "Nederlands",
    "pl": "polski", "pt": "português", "ro": "română", "sk": "slovenčina", "sl": "slovenščina", "sv": "svenska",
}  # fmt: skip


def number(lexical: str) -> str:
    """'42000000' → '42 000 000'; '2500000.50' → '2 500 000.50'; other text as it is."""
    try:
        value = Decimal(lexical)
    except InvalidOperation:
        return lexical
    whole, _, fraction = f"{value:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    grouped = f"{int(digits):,}".replace(",", THIN_SPACE)
    return sign + grouped + (f".{fraction}" if fraction and fraction.strip("0") else "")


def amount(value: str, currency: str, approximate: bool, language: str) -> str:
    """'€ 42 000 000', or 'about € 42 000 000' when the source gives it approximately."""
    text = f"{CURRENCY_SIGNS.get(currency, currency)} {number(value)}".strip()
    return f"{APPROXIMATELY.get(language, 'about')} {text}" if approximate else text


def day(lexical: str, language: str) -> str:
    """'2021-04-01' → '1 April 2021' (in the page's language); anything else as it is."""
    try:
        parsed = date.fromisoformat(lexical)
    except ValueError:
        return lexical
    month = MONTHS.get(language, MONTHS["en"]).split()[parsed.month - 1]
    return f"{parsed.day} {month} {parsed.year}"


def literal(term: ox.Literal, language: str) -> str:
    """A literal as a page shows it: dates and numbers formatted, text as it is."""
    datatype = term.datatype.value if term.datatype is not None else ""
    if datatype == XSD + "date":
        return day(term.value, language)
    if datatype in (XSD + "integer", XSD + "decimal", XSD + "nonNegativeInteger"):
        return number(term.value)
    if datatype == XSD + "boolean":
        return {"true": "✓", "false": "✗"}.get(term.value, term.value)
    return term.value


def by_language(values: list[ox.Literal], languages: list[str]) -> list[ox.Literal]:
    """The values of one property, those in the reader's languages first (in their order)."""
    rank = {code: n for n, code in enumerate(languages)}
    return sorted(values, key=lambda v: (rank.get((v.language or "").split("-")[0], len(rank)), v.language or "", v.value))
