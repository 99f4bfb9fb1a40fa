"""Downloads of the site's views as CSV and XLSX, written one way for every view (tables, lists,
search, map): a heading and rows of cells, where a cell is text or a number. Text is never read
as a formula (OWASP's CSV injection advice: a leading `'`, or an XLSX cell typed as text), the
characters XML cannot hold become U+FFFD, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)

Cell = str | int | float
Sheet = tuple[str, list[str], Iterable[list[Cell]]]  # a sheet's name, heading and rows


def inert(value: str) -> str:
    """A text cell a spreadsheet will not run: one that starts like a formula gets a leading `'`."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    """A cell holding exactly this text, typed as text (never a formula), with the characters
    that XML 1.0 cannot hold (controls such as \\x0b, \\x1b) shown as U+FFFD."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"
    return cell


def csv_bytes(heading: list[str], rows: Iterable[list[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(heading)
    writer.writerows([inert(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """A workbook of these sheets, in order."""
    book = Workbook(write_only=True)
    for name, heading, rows in sheets:
        sheet = book.create_sheet(name[:31])  # Excel's longest sheet name
        sheet.append([text_cell(sheet, h) for h in heading])
        for row in rows:
            sheet.append([text_cell(sheet, cell) if isinstance(cell, str) else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
