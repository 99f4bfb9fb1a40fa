"""Finding an editor's quote in a source document, and where it is.

Positions are RFC 5147 character positions: code points from the start of the text, with line
ends as they are in the file (a CRLF counts two) and a leading byte order mark not counted.
A quote is found verbatim, or past typographic differences the editor's keyboard does not
reproduce: curly quotes and apostrophes, dashes, non-breaking and thin spaces, soft hyphens,
zero-width characters, and runs of white space (a line break inside a quoted sentence). What
is stored is always the document's own characters between the two positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_SAME_AS = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
}
_DROPPED = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")  # soft hyphen, zero-width characters
CONTEXT = 32  # characters of prefix and suffix kept with a quote, as a TextQuoteSelector has them


@dataclass(frozen=True)
class Span:
    """A passage of a document: [start, end) in RFC 5147 character positions."""

    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A source document's text as RFC 5147 counts it."""

    text: str

    @classmethod
    def read(cls, path: Path) -> Document:
        """The file's text with its line ends kept (no newline translation); a BOM is not text."""
        with path.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
        return cls(text.removeprefix("\ufeff"))

    def find(self, quote: str, after: int = 0) -> Span | None:
        """The first place at or after `after` where `quote` stands, verbatim or typographically
        normalised; None when it is not in the document."""
        exact = self.text.find(quote, after)
        if exact >= 0 and quote:
            return Span(exact, exact + len(quote))
        folded, origin = _fold(self.text)
        wanted, _ = _fold(quote)
        wanted = wanted.strip()
        if not wanted:
            return None
        start_at = next((i for i, position in enumerate(origin) if position >= after), len(origin))
        at = folded.find(wanted, start_at)
        if at < 0:
            return None
        return Span(origin[at], origin[at + len(wanted) - 1] + 1)

    def exact(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def prefix(self, span: Span) -> str:
        return self.text[max(0, span.start - CONTEXT) : span.start]

    def suffix(self, span: Span) -> str:
        return self.text[span.end : span.end + CONTEXT]


def _fold(text: str) -> tuple[str, list[int]]:
    """The text with typographic variants made plain and white space runs made one space, and
    for each character of it the position of the original character it came from."""
    out: list[str] = []
    origin: list[int] = []
    for position, char in enumerate(text):
        if char in _DROPPED:
            continue
        if char.isspace():
            if out and out[-1] == " ":
                continue
            char = " "
        out.append(_SAME_AS.get(char, char))
        origin.append(position)
    return "".join(out), origin
