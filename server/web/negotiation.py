"""HTTP content negotiation as small pure functions: Accept with q-values and wildcards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


class NotAcceptable(Exception):
    """No offered media type is acceptable; names the ones that are supported."""

    def __init__(self, supported: Sequence[str]):
        self.supported = list(supported)
        super().__init__("None of the requested media types is available. Supported: " + ", ".join(self.supported))


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int  # position in the header, to break ties

    def matches(self, media_type: str) -> int:
        """How specifically this range matches `media_type`: 2 exact, 1 type/*, 0 */*, -1 not."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type == main and self.subtype == "*":
            return 1
        return 2 if (self.type, self.subtype) == (main, sub) else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header; a missing or empty one accepts anything. Bad parts are skipped."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        main, slash, sub = media.lower().partition("/")
        if not slash or not main or not sub:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main, sub, q, order))
    return ranges


def choose(header: str | None, offers: Sequence[str]) -> str:
    """The offer the client prefers most: the most specific matching range decides each offer's q;
    ties go to the client's order, then ours. Raises NotAcceptable naming the offers."""
    return _choose(header, tuple(offers))


@lru_cache(maxsize=512)  # clients send few distinct Accept headers; each is read once
def _choose(header: str | None, offers: tuple[str, ...]) -> str:
    ranges = parse_accept(header)
    best: tuple[float, int, int] | None = None
    chosen = None
    for rank, offer in enumerate(offers):
        matching = [(r.matches(offer), r) for r in ranges if r.matches(offer) >= 0]
        if not matching:
            continue
        specificity, media_range = max(matching, key=lambda m: (m[0], -m[1].order))
        if media_range.q <= 0:
            continue
        key = (media_range.q, -media_range.order if specificity == 2 else -len(ranges), -rank)
        if best is None or key > best:
            best, chosen = key, offer
    if chosen is None:
        raise NotAcceptable(offers)
    return chosen


def prefer(first: str, then: str | None) -> str:
    """An Accept header that asks for `first`'s types before any of `then`'s (their q halved):
    an explicit format parameter wins, and the client's own Accept header is the fallback."""
    ranges = [f"{r.type}/{r.subtype};q={r.q / 2:.3f}" for r in parse_accept(then) if r.q > 0] if then else ["*/*;q=0.001"]
    return ", ".join([first, *ranges])
