"""Publisher tables: exports whose layout differs per publisher (Jems partner lists, national
lists of operations) are read through a YAML table per publisher that names the publisher's
column for each field the loader reads, and maps the publisher's spellings of values. The table
whose columns a file's header has is used; a file that fits none is refused with its own columns
and the nearest table.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook

from loaders.core.errors import SourceProblem
from loaders.core.file_limits import load_json
from loaders.map.delimited import Broken, Records, detect
from loaders.map.tabular import Header, RowRejected

Cells = tuple[list[str], Iterator[tuple[int, list[str] | Broken]], str]


def header_and_rows(path: Path) -> Cells:
    """The header, the rows (line or row number, cells as text) and, for a delimited file, how it
    was read ("semicolon-separated, quoted fields, cp1250") of a JSON, XLSX, CSV or TSV file."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        records = load_json(path)  # within max_json_mb and max_nesting (FileRefused)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("the JSON is not a list of row objects")
        header = list(dict.fromkeys(key for record in records for key in record))
        cell = lambda v: "" if v is None else str(v)  # noqa: E731
        return header, ((n, [cell(r.get(k)) for k in header]) for n, r in enumerate(records, start=1)), ""
    if suffix in (".xlsx", ".xlsm"):
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        sheet.reset_dimensions()  # read to the last row, whatever the sheet's <dimension> says
        rows = sheet.iter_rows(values_only=True)
        as_text = lambda v: "" if v is None else v.isoformat()[:10] if isinstance(v, datetime | date) else str(v)  # noqa: E731
        header = [as_text(v) for v in next(rows, ())]
        return header, ((n, [as_text(v) for v in row]) for n, row in enumerate(rows, start=2) if any(row)), ""
    with path.open("rb") as raw:
        first = raw.readline()
    delimiter = max(";,\t", key=lambda d: first.count(d.encode()))
    reader = Records(path, detect(path, delimiter))
    records = iter(reader)
    line, first_record = next(records, (1, []))
    if isinstance(first_record, Broken):
        raise ValueError(f"line {line}: {first_record.reason}")
    return first_record, records, reader.dialect.describe()


def read_tables(path: Path) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tables


def pick_table(
    header: list[str],
    tables: dict[str, dict[str, Any]],
    required: list[str],
    what: str,
    tables_file: Path,
    file_name: str = "",
) -> tuple[str, dict[str, Any], Header] | SourceProblem:
    """The table (name, table, header positions) whose columns this header has, the `required`
    fields' columns at least, and whose `files` patterns (if it has any) the file's name matches;
    or the problem naming the file's columns and the nearest table, the one that shares most of
    its required columns with the file."""
    nearest: tuple[float, str, list[str]] | None = None
    named_for_others: list[str] = []
    for name, table in tables.items():
        columns: dict[str, str] = table["columns"]
        needed = [columns[f] for f in required if f in columns]
        found = Header.match(header, list(columns.values()), needed)
        if isinstance(found, Header):
            patterns = table.get("files") or ["*"]
            if any(fnmatch.fnmatchcase(file_name, p) for p in patterns):
                return name, table, found
            named_for_others.append(f"'{name}' (files {', '.join(patterns)})")
            continue
        overlap = (len(needed) - len(found)) / len(needed)
        if nearest is None or overlap > nearest[0]:
            nearest = (overlap, name, found)
    own = ", ".join(c.strip() for c in header if c.strip()) or "none"
    fix = f"export the file with its headers, or add the publisher's column names to {tables_file.name}."
    if named_for_others:
        message = (
            f"has the columns of {', '.join(named_for_others)}, but its name, '{file_name}', is not one of those files: "
            "the table's constants (programme, fund, period) would not be this file's."
        )
        return SourceProblem("", message, line=1, fix=f"add a table for this file to {tables_file.name}, with its own constants.")
    if nearest is None or nearest[0] == 0:
        message = f"is not {what} of a known publisher: no table shares a column with it. Its columns: {own}."
    else:
        message = (
            f"is not {what} of a known publisher: the nearest table, '{nearest[1]}' ({nearest[0]:.0%} of its "
            f"columns are in the file), lacks {', '.join(nearest[2])}. The file's columns: {own}."
        )
    return SourceProblem("", message, line=1, fix=fix)


def value_maps(table: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The table's spellings of values per field (case aside): `values: {specific_objective:
    {ISO: ISO1.1}}`."""
    return {
        field: {str(k).strip().casefold(): str(v) for k, v in spellings.items()}
        for field, spellings in table.get("values", {}).items()
    }


def respell(fields: dict[str, str], maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The row's fields with the publisher's own spellings replaced by the codes they stand for."""
    for name, spellings in maps.items():
        value = fields.get(name, "")
        fields[name] = spellings.get(value.strip().casefold(), value)
    return fields


DAY_FORMS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")  # as publishers write dates


def parse_day(column: str, value: str) -> date:
    """A date as publishers write it (2023-01-05, 05/01/2023, 05.01.2023, 05-01-2023), or RowRejected."""
    try:
        return date.fromisoformat(value.strip()[:10])  # the usual form, ten times faster than strptime
    except ValueError:
        pass
    for form in DAY_FORMS:  # (strptime also takes 2023-1-5)
        try:
            return datetime.strptime(value.strip()[:10], form).date()
        except ValueError:
            continue
    raise RowRejected(column, value, "not a date (YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY).")


def table_records(
    rows: Iterator[tuple[int, list[str] | Broken]], table: dict[str, Any], found: Header
) -> Iterator[tuple[int, dict[str, str] | Broken]]:
    """The rows by the table's field names (a field the file lacks is empty), with the publisher's
    spellings respelled; a row with more non-empty cells than the header has columns is Broken,
    never cut short."""
    fields_of = {column: name for name, column in table["columns"].items()}
    values = value_maps(table)
    for line, cells in rows:
        if isinstance(cells, Broken):
            yield line, cells
            continue
        if len(cells) > found.width and any(c.strip() for c in cells[found.width :]):
            yield line, Broken(f"the row has {len(cells)} cells, the header {found.width}")
            continue
        padded = cells + [""] * (found.width - len(cells))
        fields = dict.fromkeys(table["columns"], "")
        fields.update({fields_of[column]: padded[at] for column, at in found.positions.items()})
        yield line, respell(fields, values)
