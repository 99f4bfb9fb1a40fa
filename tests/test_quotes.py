"""Finding an editor's quote in a source document: verbatim, past typographic differences,
at RFC 5147 character positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.core.quotes import Document, Span


@pytest.mark.parametrize(
    ("text", "quote", "exact"),
    [
        ("de KMO’s in onze regio", "de KMO's in", "de KMO’s in"),  # curly apostrophe in the document
        ("het „Trans-S3” project", 'het "Trans-S3" project', "het „Trans-S3” project"),  # low and high quotes
        ("2,5\u00a0miljoen euro", "2,5 miljoen euro", "2,5\u00a0miljoen euro"),  # non-breaking space
        ("specia\u00adlisatie strategie", "specialisatie strategie", "specia\u00adlisatie strategie"),  # soft hyphen
        ("one line\nand the next", "one line and the next", "one line\nand the next"),  # a line break inside the quote
        ("producten – diensten", "producten - diensten", "producten – diensten"),  # en dash
    ],
)
def test_a_quote_is_found_past_typographic_differences_and_kept_as_the_document_has_it(text: str, quote: str, exact: str) -> None:
    document = Document(text)
    span = document.find(quote)
    assert span is not None
    assert document.exact(span) == exact


def test_a_quote_that_is_not_there_is_not_found() -> None:
    assert Document("Het totale budget bedraagt bijna 42 miljoen euro").find("43 miljoen") is None


def test_positions_count_characters_not_bytes_and_keep_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "doc.txt"
    path.write_bytes("\ufeffŁódź\r\nGoSmart BSR".encode())
    document = Document.read(path)
    span = document.find("GoSmart")
    assert span == Span(6, 13)  # the BOM is not counted, each Polish letter is one, CRLF is two
    assert document.text[span.start : span.end] == "GoSmart"


def test_a_search_from_a_position_finds_the_next_occurrence() -> None:
    document = Document("Doelgroepen A1 ... Doelgroepen A2")
    assert document.find("Doelgroepen") == Span(0, 11)
    assert document.find("Doelgroepen", after=1) == Span(19, 30)


def test_prefix_and_suffix_are_the_characters_around_the_passage() -> None:
    document = Document("x" * 40 + "QUOTE" + "y" * 40)
    span = document.find("QUOTE")
    assert span is not None
    assert document.prefix(span) == "x" * 32
    assert document.suffix(span) == "y" * 32
