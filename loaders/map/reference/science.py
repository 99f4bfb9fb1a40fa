"""The two research classifications a strategy's priorities may name, as Eye@RIS3 lists them:
fields of research and development (FORD, OECD Frascati Manual 2015: data/reference/ford.csv)
and socio-economic objectives of R&D (NABS 2007, Eurostat: data/reference/nabs-2007.csv).

Codes are accepted as lists write them ("2.5", "2.5.", "12.3."); one that does not exist is
refused naming the nearest that do.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from loaders.core.paths import REFERENCE_DIR

FORD_FILE = REFERENCE_DIR / "ford.csv"
NABS_FILE = REFERENCE_DIR / "nabs-2007.csv"


class UnknownCode(ValueError):
    def __init__(self, message: str, nearest: list[str]):
        super().__init__(message)
        self.nearest = nearest


@dataclass(frozen=True)
class Classification:
    name: str
    labels: dict[str, str]  # code → English label

    @classmethod
    @lru_cache(maxsize=2)
    def read(cls, name: str, path: Path) -> Classification:
        with path.open(encoding="utf-8", newline="") as handle:
            return cls(name, {r["code"]: r["label_en"] for r in csv.DictReader(handle)})

    def resolve(self, written: str) -> str:
        """The code as the classification writes it ("2.5"), or UnknownCode with the nearest."""
        code = written.strip().rstrip(".")
        if code in self.labels:
            return code
        raise UnknownCode(f"{written!r} is not a {self.name} code", self.nearest(code))

    def nearest(self, code: str) -> list[str]:
        """Up to three codes closest to `code`: the same heading first, then by number."""

        def number(text: str) -> tuple[int, int]:
            head, _, sub = text.partition(".")
            return (int(head) if head.isdigit() else 0, int(sub) if sub.isdigit() else 0)

        target = number(code)
        ranked = sorted(self.labels, key=lambda c: (abs(number(c)[0] - target[0]), abs(number(c)[1] - target[1]), c))
        return [f"{c} ({self.labels[c]})" for c in ranked[:3]]


def ford() -> Classification:
    return Classification.read("field of research and development (FORD)", FORD_FILE)


def nabs() -> Classification:
    return Classification.read("socio-economic objective (NABS 2007)", NABS_FILE)
