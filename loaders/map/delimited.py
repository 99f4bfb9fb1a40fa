"""Delimited text files as real exports come: the encoding and the quoting found per file, and
every record read to the end of the file, each with the line it starts on.

TSV is not CSV. A tab-separated export usually writes a quote as data (`"Зора-ЕС" ЕООД`), while a
comma- or semicolon-separated one encloses fields in quotes; some files of each kind do the other.
`detect` looks at how the file's own quotes are used and says which it is (`Dialect.describe`).
A record the CSV reader cannot parse is given as `Broken` with its first line, and reading goes
on from the line after it: one bad record never ends a file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from charset_normalizer import from_bytes

from loaders.core.file_limits import MB, FileRefused, current

SAMPLE_BYTES = 8 * MB  # how much of a file decides its quoting
# Legacy encodings of EU exports saved from spreadsheets: Central European, Cyrillic, Western, Greek, Baltic.
LEGACY_ENCODINGS = ["cp1250", "cp1251", "cp1252", "cp1253", "cp1257", "iso8859_2"]
NAMES = {"\t": "tab-separated", ",": "comma-separated", ";": "semicolon-separated", "|": "pipe-separated"}


class NotText(ValueError):
    """The file is not text in an encoding we can tell."""


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quoting: bool  # fields may be enclosed in double quotes; otherwise a quote is data
    encoding: str  # a Python codec name

    def describe(self) -> str:
        quotes = "quoted fields" if self.quoting else "quotes as data"
        encoding = "UTF-8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding.upper().replace("_", "-")
        return f"{NAMES.get(self.delimiter, repr(self.delimiter))}, {quotes}, {encoding}"


@dataclass(frozen=True)
class Broken:
    """A record the reader cannot parse; only its first line is given up."""

    reason: str


def encoding_of(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, or the legacy code page the file's
    non-ASCII bytes fit best; NotText when none fits."""
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        foreign = bytearray()  # lines with non-ASCII bytes, to tell the code page
        try:
            for line in handle:
                decoder.decode(line)
                if not line.isascii() and len(foreign) < MB:
                    foreign += line
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            foreign += line
            for line in handle:
                if len(foreign) >= MB:
                    break
                if not line.isascii():
                    foreign += line
    best = from_bytes(bytes(foreign), cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        raise NotText("is not UTF-8, nor text in a legacy code page (" + ", ".join(LEGACY_ENCODINGS) + ")")
    return str(best.encoding)


def _quoting(sample: str, delimiter: str) -> bool:
    """Does the file enclose fields in quotes? Counted over the sample: fields that open with a
    quote and close with one right before a delimiter or line end (quoted), against fields that
    open with a quote closed before other text (`"Зора-ЕС" ЕООД`: a quote as data). Without
    either, CSV quotes and TSV does not."""
    d = re.escape(delimiter)
    quoted = len(re.findall(rf'(?:^|{d})"(?:[^"]|"")*"(?={d}|\r?\n|$)', sample, re.MULTILINE))
    as_data = len(re.findall(rf'(?:^|{d})"[^"{d}\r\n]*"[^"{d}\r\n]', sample, re.MULTILINE))
    if quoted or as_data:
        return quoted > as_data
    return delimiter != "\t"


def detect(path: Path, delimiter: str) -> Dialect:
    """The file's encoding and quoting (NotText when it is not text)."""
    encoding = encoding_of(path)
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(SAMPLE_BYTES)
    return Dialect(delimiter, _quoting(sample, delimiter), encoding)


class _Lines:
    """The physical lines of a file, numbered, with the lines of the record being read kept so
    that a broken record can give back all but its first."""

    def __init__(self, handle: TextIO):
        self.handle = handle
        self.number = 0  # lines taken so far
        self.pending: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.pending.popleft() if self.pending else next(self.handle)
        self.number += 1
        self.taken.append(line)
        return line

    def give_back_all_but_first(self) -> None:
        self.pending.extendleft(reversed(self.taken[1:]))
        self.number -= len(self.taken) - 1


class Records:
    """The records of a delimited file as (line it starts on, cells) or (line, Broken); blank
    lines are no records. `position` is how many bytes have been read, for progress bars."""

    def __init__(self, path: Path, dialect: Dialect):
        self.dialect = dialect
        self.handle = path.open(encoding=dialect.encoding, newline="")
        self.lines = _Lines(self.handle)
        csv.field_size_limit(current().max_field_mb * MB)  # per read: the csv module keeps one limit per process
        self.reader = self._reader()
        self._records = self._read()

    def _reader(self) -> Iterator[list[str]]:
        if self.dialect.quoting:
            return csv.reader(self.lines, delimiter=self.dialect.delimiter, strict=True)
        return csv.reader(self.lines, delimiter=self.dialect.delimiter, quoting=csv.QUOTE_NONE)

    def position(self) -> int:
        return int(self.handle.buffer.tell())  # type: ignore[attr-defined]

    def close(self) -> None:
        self.handle.close()

    def __iter__(self) -> Iterator[tuple[int, list[str] | Broken]]:
        return self._records  # one pass: the header taken first, the rest after it

    def _read(self) -> Iterator[tuple[int, list[str] | Broken]]:
        while True:
            start = self.lines.number + 1
            self.lines.taken.clear()
            try:
                record = next(self.reader)
            except StopIteration:
                return
            except csv.Error as error:
                if "field larger than field limit" in str(error):
                    raise FileRefused(
                        f"line {start}: a field is over {current().max_field_mb} MB (setting max_field_mb)."
                    ) from None
                self.lines.give_back_all_but_first()
                self.reader = self._reader()
                yield start, Broken(f"the line cannot be read as {self.dialect.describe()}: {error}")
                continue
            if record:
                yield start, record
