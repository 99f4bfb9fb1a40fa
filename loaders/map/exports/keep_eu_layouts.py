"""The layouts of keep.eu's Excel exports, as data: which sheets, which column holds which field,
and how each layout writes its values.

- `search results`: the export of a keep.eu search (2021 onwards): sheets `Search results,
  projects` and `Search results, partners`, English names in their own columns, PICs, partner
  budgets, dates as Excel dates or DD/MM/YYYY.
- `closed projects`: keep.eu's download of all closed projects of a period: sheets `Projects
  (lead partners)` and `Partners` (and `Calls`, not read); programmes named with their period
  ("2014 - 2020 INTERREG VB Danube"), names and descriptions in the programme's languages
  ("language 1", "language 2", unnamed) beside an often empty English one, amounts as English
  text ("892,228.58"), dates as YYYY/MM/DD, country codes with names ("DE Germany /
  DEUTSCHLAND"), NUTS codes with names ("DEG01  / Erfurt, Kreisfreie Stadt"), no PICs and no
  partner budgets.

Each layout maps the loader's field names (the search-results columns, which came first) to its
own columns; a field a layout lacks reads as empty. The loader reads every layout the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

Clean = Callable[[object], object]

_PERIOD_PREFIX = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s+")
_ENGLISH_AMOUNT = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_CODE_THEN_NAME = re.compile(r"^\s*([A-Z]{2}[A-Z0-9]{0,3})\s*(/|\s|$)")


def _without_period(value: object) -> object:
    """ "2014 - 2020 INTERREG VB Danube" → "INTERREG VB Danube" (the period is its own column)."""
    return _PERIOD_PREFIX.sub("", value) if isinstance(value, str) else value


def _english_amount(value: object) -> object:
    """ "892,228.58" → "892228.58": this layout writes amounts in English, commas between thousands."""
    return value.replace(",", "") if isinstance(value, str) and _ENGLISH_AMOUNT.match(value.strip()) else value


def _leading_code(value: object) -> object:
    """ "DE Germany / DEUTSCHLAND" → "DE", "DEG01  / Erfurt, Kreisfreie Stadt" → "DEG01"; other text as it is."""
    if isinstance(value, str):
        found = _CODE_THEN_NAME.match(value)
        return found.group(1) if found else value
    return value


@dataclass(frozen=True)
class Layout:
    name: str
    projects_sheet: str
    partners_sheet: str
    projects: dict[str, str]  # field → this layout's column
    partners: dict[str, str]
    clean: dict[str, Clean] = field(default_factory=dict)  # field → how this layout's values become the field's
    partner_name_language: str = "en"  # the language of the organisation name column


PROJECT_FIELDS = [
    "Programme", "Period", "Project ID (2021-2027 only)", "Project acronym", "Project name in English",
    "Project name in language 2", "Project name in language 3", "Description in English",
    "Description in language 2", "Description in language 3", "Project start", "Project end",
    "Project's total budget / expenditure", "Project's EU funding", "Website", "Theme 1", "Theme 2", "Theme 3",
    "Thematic objective", "Investment priority",
]  # fmt: skip
PARTNER_FIELDS = [
    "Programme", "Project ID (2021-2027 only)", "Project acronym", "Organisation in English", "Lead partner",
    "Country code", "Participant Identification Code", "Partner’s ID if not PIC", "NUTS2 code (or equivalent)",
    "NUTS3 code (or equivalent)", "Partner's total eligible budget / expenditure",
]  # fmt: skip

SEARCH_PROJECT_COLUMNS = [  # all required, as keep.eu's search export has them; some not read (yet)
    "Programme", "Period", "Project ID (2021-2027 only)", "Project acronym", "Project name in English",
    "Project name in language 2", "Project name in language 3", "Project name in language 4", "Description in English",
    "Description in language 2", "Expected Achievements in English", "Actual Achievements in English", "Project start",
    "Project end", "Project's total budget / expenditure", "Project's EU funding", "Union co-financing rate", "Website",
    "Theme 1", "Theme 2", "Theme 3",
]  # fmt: skip
SEARCH_PARTNER_COLUMNS = [
    "Programme", "Project ID (2021-2027 only)", "Project acronym", "Organisation in English", "Organisation in language 2",
    "Organisation in language 3", "Organisation in language 4", "Lead partner", "Country code", "Participant Identification Code",
    "Partner’s ID if not PIC", "Type of Organisation", "NUTS2 code (or equivalent)", "NUTS3 code (or equivalent)", "Town",
    "Website", "Partner's total eligible budget / expenditure", "Partner's programme co-financing (EUR) (2021-2027 only)",
    "ERDF contribution (2014-2020 only)",
]  # fmt: skip
SEARCH_RESULTS = Layout(
    name="search results",
    projects_sheet="Search results, projects",
    partners_sheet="Search results, partners",
    projects={c: c for c in SEARCH_PROJECT_COLUMNS},
    partners={c: c for c in SEARCH_PARTNER_COLUMNS},
)
CLOSED_PROJECTS = Layout(
    name="closed projects",
    projects_sheet="Projects (lead partners)",
    partners_sheet="Partners",
    projects={
        "Programme": "Programme", "Period": "Period", "Project acronym": "Acronym",
        "Project name in English": "Project Name", "Project name in language 2": "Project Name language 2",
        "Project name in language 3": "Project Name language 3", "Description in English": "Description EN",
        "Description in language 2": "Description 1", "Description in language 3": "Description 2",
        "Project start": "Project start", "Project end": "Project end",
        "Project's total budget / expenditure": "Budget", "Project's EU funding": "EU Funding", "Website": "Website",
        "Theme 1": "Thematic1", "Theme 2": "Thematic2", "Theme 3": "Thematic3",
        "Thematic objective": "Thematic Obj", "Investment priority": "Inv. Priority",
    },
    partners={
        "Programme": "Programme", "Project acronym": "Acronym", "Organisation in English": "Project Partner",
        "Lead partner": "Lead Partner", "Country code": "Country code",
        "NUTS2 code (or equivalent)": "NUTS2 (or equivalent)", "NUTS3 code (or equivalent)": "NUTS3 (or equivalent)",
    },
    clean={
        "Programme": _without_period,
        "Project's total budget / expenditure": _english_amount,
        "Project's EU funding": _english_amount,
        "Country code": _leading_code,
        "NUTS2 code (or equivalent)": _leading_code,
        "NUTS3 code (or equivalent)": _leading_code,
    },
    partner_name_language="und",  # "Project Partner" is the organisation's own name, in its own language
)  # fmt: skip
LAYOUTS = (SEARCH_RESULTS, CLOSED_PROJECTS)


def layout_of(sheet_names: list[str]) -> Layout | None:
    """The layout whose two sheets the workbook has."""
    return next((lay for lay in LAYOUTS if {lay.projects_sheet, lay.partners_sheet} <= set(sheet_names)), None)


def as_fields(layout: Layout, fields: list[str], columns: dict[str, str], row: dict[str, object]) -> dict[str, object]:
    """A row read by this layout's column names, as the loader's fields (None where the layout has none)."""
    out: dict[str, object] = dict.fromkeys(fields)
    for name, column in columns.items():
        value = row.get(column)
        clean = layout.clean.get(name)
        out[name] = clean(value) if clean is not None and value is not None else value
    return out
