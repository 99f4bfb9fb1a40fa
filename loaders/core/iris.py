"""Deterministic IRIs for entities, minted from source identifiers under a base IRI.

The same identifiers always give the same IRIs, so rebuilding from the same sources
yields the same graph. No entity is ever a blank node.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from rdflib import URIRef

DEFAULT_BASE_IRI = "https://w3id.org/s3kg/id/"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_UNQUOTED = re.compile(r"[A-Za-z0-9._~-]*")  # what percent-encoding leaves as it is (RFC 3986's unreserved)


def _segment(text: str) -> str:
    return text if _UNQUOTED.fullmatch(text) else quote(text, safe="")


def is_valid_id(identifier: str) -> bool:
    """An identifier is safe as one IRI path segment without escaping."""
    return bool(_ID.match(identifier))


@lru_cache(maxsize=16384)  # the same names and codes recur on many rows of an export
def slug(text: str) -> str:
    """A lower-case, dash-separated path segment for free text (names, labels); accents are
    dropped from their letters ("Université" → "universite"), other scripts are kept
    ("Αριστοτέλειο" → "αριστοτελειο", percent-encoded in the IRI)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    cleaned = re.sub(r"[\W_]+", "-", plain.lower()).strip("-")
    return cleaned or quote(text, safe="")


@dataclass(frozen=True)
class IriMinter:
    """Mints `<base><collection>/<id>[/<part>...]` IRIs."""

    base: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^\s<>\"{}|\\^`]+/$", self.base):
            raise ValueError(f"base IRI {self.base!r} must be an http(s) IRI ending in '/', e.g. https://w3id.org/s3kg/id/")

    def entity(self, collection: str, identifier: str, *parts: str) -> URIRef:
        segments = [collection, identifier, *parts]
        return URIRef(self.base + "/".join(map(_segment, segments)))

    def graph(self, source_id: str) -> URIRef:
        return self.entity("graph", source_id)
