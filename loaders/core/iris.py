"""Deterministic IRIs for entities, minted from source identifiers under a base IRI.

The same identifiers always give the same IRIs, so rebuilding from the same sources
yields the same graph. No entity is ever a blank node.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from rdflib import URIRef

DEFAULT_BASE_IRI = "https://w3id.org/s3kg/id/"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def is_valid_id(identifier: str) -> bool:
    """An identifier is safe as one IRI path segment without escaping."""
    return bool(_ID.match(identifier))


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
        return URIRef(self.base + "/".join(quote(s, safe="") for s in segments))

    def graph(self, source_id: str) -> URIRef:
        return self.entity("graph", source_id)
