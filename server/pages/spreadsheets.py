"""Downloads of the site's views as CSV and XLSX, written one way for every view (tables, lists,
search, map): a heading and rows of cells, where a cell is text or a number. Text is never read
as a formula (OWASP's CSV injection advice: a leading `'`, or an XLSX cell typed as text), the
characters XML cannot hold become U+FFFD, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import xlsxwriter

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # the characters XML 1.0 cannot hold
# Every value goes in as written: never a formula, number or link guessed from a text.
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}

Cell = str | int | float
Sheet = tuple[str, list[str], Iterable[list[Cell]]]  # a sheet's name, heading and rows


def inert(value: str) -> str:
    """A text cell a spreadsheet will not run: one that starts like a formula gets a leading `'`."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def xml_text(value: str) -> str:
    """The text with the characters that XML 1.0 cannot hold (controls such as \\x0b, \\x1b) shown as U+FFFD."""
    return ILLEGAL_XML.sub("\ufffd", value)


def csv_bytes(heading: list[str], rows: Iterable[list[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(heading)
    writer.writerows([inert(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """A workbook of these sheets, in order: text cells typed as text (never a formula), numbers as numbers."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, WORKBOOK_OPTIONS)
    for name, heading, rows in sheets:
        sheet = book.add_worksheet(name[:31])  # Excel's longest sheet name
        for column, title in enumerate(heading):
            sheet.write_string(0, column, xml_text(title))
        for line, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                if cell == "":
                    continue  # an empty cell, as a spreadsheet writes one (not an empty text)
                if isinstance(cell, str):
                    sheet.write_string(line, column, xml_text(cell))
                else:
                    sheet.write_number(line, column, cell)
    book.close()
    return out.getvalue()
