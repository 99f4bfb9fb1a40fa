"""Minted IRIs (loaders/core/iris.py): a segment is percent-encoded exactly as urllib's quote
with nothing safe does, whether it takes the path for plain identifiers or not."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from loaders.core.iris import IriMinter, slug

SEGMENTS = ["2014TC16RFCB014", "a.b_c-d~e", "", "with space", "a/b", "100%", "Université", "Αριστοτέλειο", "x?y#z", "é"]


@pytest.mark.parametrize("segment", SEGMENTS)
def test_a_segment_is_encoded_as_quote_encodes_it(segment: str) -> None:
    iri = IriMinter().entity("project", segment, segment)
    assert str(iri) == f"https://w3id.org/s3kg/id/project/{quote(segment, safe='')}/{quote(segment, safe='')}"


@pytest.mark.parametrize(("text", "expected"), [("Université de Liège", "universite-de-liege"), ("  ", "%20%20"), ("A_B", "a-b")])
def test_a_slug_is_the_same_when_asked_again(text: str, expected: str) -> None:
    assert slug(text) == slug(text) == expected
