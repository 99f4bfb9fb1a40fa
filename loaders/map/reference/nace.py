"""The NACE Rev. 2 classification (data/reference/nace-rev2.csv: 21 sections, 88 divisions, 272
groups, 615 classes, English labels, from Eurostat's RAMON RDF; nace-rev2-labels.csv: the same
items in German, French and Italian), to check the codes a strategy gives and to publish the
labels of those it uses — in several languages, so that projects written in them meet the
priorities' sectors by their words (loaders/link/text.py).

Codes are accepted as teams write them: with or without the section letter ("C13", "13"), with
or without the dot ("C14.1", "141", "14.13", "1413"). A division without its letter is resolved to
its section; a letter that is not the division's section, or a code that does not exist, is
refused naming the nearest codes that do. IRIs are those of the EU Vocabularies
(http://data.europa.eu/ux2/nace2/): a section by its letter, the others by their digits (`C14.13`
is `…/nace2/1413`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import URIRef

from loaders.core.paths import REFERENCE_DIR
from loaders.core.vocab import NACE

NACE_FILE = REFERENCE_DIR / "nace-rev2.csv"
LABELS_FILE = REFERENCE_DIR / "nace-rev2-labels.csv"  # code, language, label
WRITTEN = re.compile(r"^(?P<section>[A-Ua-u])?\s*(?P<digits>\d{2}(\.?\d{1,2})?)?$")
LEVELS = {1: "section", 2: "division", 3: "group", 4: "class"}


class UnknownNace(ValueError):
    """A code that is not NACE Rev. 2, with the nearest codes that are."""

    def __init__(self, message: str, nearest: list[str]):
        super().__init__(message)
        self.nearest = nearest


@dataclass(frozen=True)
class NaceItem:
    code: str  # as the classification writes it: "C", "13", "14.1", "14.13"
    level: int
    section: str
    parent: str
    label: str  # in English
    labels: tuple[tuple[str, str], ...] = ()  # (language, label) in the other languages of the tables

    @property
    def written(self) -> str:
        """With its section letter, as strategies write it: "C", "C13", "C14.13"."""
        return self.code if self.level == 1 else f"{self.section}{self.code}"

    @property
    def iri(self) -> URIRef:
        return NACE[self.code.replace(".", "")]


@dataclass(frozen=True)
class NaceTable:
    items: dict[str, NaceItem]  # by code as the classification writes it

    @classmethod
    @lru_cache(maxsize=1)
    def read(cls, path: Path = NACE_FILE, labels: Path = LABELS_FILE) -> NaceTable:
        other: dict[str, list[tuple[str, str]]] = {}
        with labels.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                other.setdefault(row["code"], []).append((row["language"], row["label"]))
        with path.open(encoding="utf-8", newline="") as handle:
            items = {
                r["code"]: NaceItem(
                    r["code"], int(r["level"]), r["section"], r["parent"], r["label_en"], tuple(other.get(r["code"], ()))
                )
                for r in csv.DictReader(handle)
            }
        return cls(items)

    def resolve(self, written: str) -> NaceItem:
        """The item a code as written names, or UnknownNace saying why and what is near."""
        match = WRITTEN.match(written.strip())
        if match is None or not (match["section"] or match["digits"]):
            raise UnknownNace(f"{written!r} is not written as a NACE Rev. 2 code", [])
        section = (match["section"] or "").upper()
        digits = (match["digits"] or "").replace(".", "")
        code = section if not digits else digits[:2] + ("." + digits[2:] if len(digits) > 2 else "")
        item = self.items.get(code)
        if item is None:
            level = len(digits) if digits else 1  # two digits a division, three a group, four a class
            raise UnknownNace(f"{written!r}: NACE Rev. 2 has no {LEVELS[level]} {code}", self.nearest(code, level, section))
        if section and item.section != section:
            raise UnknownNace(
                f"{written!r}: {LEVELS[item.level]} {item.code} is in section {item.section}, not {section}", [item.written]
            )
        return item

    def nearest(self, code: str, level: int, section: str = "") -> list[str]:
        """Up to three codes of the same level closest to `code` (in its section, when one is given)."""
        same = [i for i in self.items.values() if i.level == level and (not section or i.section == section)]
        if level == 1:
            return sorted(i.code for i in same)[:3]
        target = float(code.replace(".", "").ljust(4, "0"))
        same.sort(key=lambda i: (abs(float(i.code.replace(".", "").ljust(4, "0")) - target), i.code))
        return [f"{i.written} ({i.label})" for i in same[:3]]

    def chain(self, item: NaceItem) -> list[NaceItem]:
        """The item and every broader one, up to its section."""
        found = [item]
        while found[-1].parent:
            found.append(self.items[found[-1].parent])
        return found
