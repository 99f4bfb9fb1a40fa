"""What the site's tables are (/browse/Project, /browse/Organisation): for each, its class, its
facets (a path from a row to the facet's values), its columns (a pattern and an aggregate each),
its range filters and choices. The pages query by it (server/pages/browse.py), and each build
publishes an index of it (loaders/publish/tables/write.py, read.py) so that a page reads its rows, count
and facet counts by key."""

from __future__ import annotations

from dataclasses import dataclass, field

PARTNER = "s3:hasParticipation/s3:participant"


@dataclass(frozen=True)
class Column:
    name: str
    pattern: str  # binds ?v for the row ?row (inside OPTIONAL)
    aggregate: str = "SAMPLE"  # how several values become one: SAMPLE, MIN, MAX, COUNT
    kind: str = "text"  # label, text, date, money, count, link (an IRI shown by its label)

    def select(self, language: str) -> str:
        inner = f"DISTINCT ?{self.name}_v" if self.aggregate == "COUNT" else f"?{self.name}_v"
        if self.kind == "label":  # in the reader's language when there is one, so rows sort as they read
            return f"(COALESCE(SAMPLE(?{self.name}_l), SAMPLE(?{self.name}_v)) AS ?{self.name})"
        return f"({self.aggregate}({inner}) AS ?{self.name})"

    def optional(self, language: str) -> str:
        found = "  OPTIONAL { " + self.pattern.replace("?v", f"?{self.name}_v") + " }\n"
        if self.kind == "label":
            preferred = self.pattern.replace("?v", f"?{self.name}_l") + f' FILTER langMatches(lang(?{self.name}_l), "{language}")'
            found += "  OPTIONAL { " + preferred + " }\n"
        return found


@dataclass(frozen=True)
class Bound:
    """A range filter: a URL parameter bounding a value along a path (a budget, a date)."""

    path: str  # from a row to the value
    kind: str  # number or date
    above: bool  # the value must be at least the parameter's (else at most)


# A project's status as its fact sheet tells it (factsheet.status): completed once its end date has
# passed, planned until its start date, ongoing in between. $today is written in as an xsd:date.
# The table index tells the status from the same two properties (loaders/publish/tables/read.py).
STARTS, ENDS = "schema:startDate", "schema:endDate"
_ENDED = f"?row {ENDS} ?ended FILTER (?ended < $today)"
_AHEAD = f"?row {STARTS} ?ahead FILTER (?ahead > $today)"
STATUS = {
    "completed": _ENDED,
    "ongoing": f"?row {STARTS}|{ENDS} ?dated FILTER NOT EXISTS {{ {_ENDED} }} FILTER NOT EXISTS {{ {_AHEAD} }}",
    "planned": f"{_AHEAD} FILTER NOT EXISTS {{ {_ENDED} }}",
}


@dataclass(frozen=True)
class Related:
    """Rows of another kind that belong to a table's rows, downloaded on a sheet of their own
    (a project's partners): reached by `path` from each row as ?item, with their own columns."""

    name: str
    path: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    cls: str  # the class's local name in the s3 ontology
    facets: dict[str, str]  # facet name → path from a row to its values
    columns: tuple[Column, ...]  # the first is the row's label
    file_name: str
    bounds: dict[str, Bound] = field(default_factory=dict)  # range parameter → what it bounds
    choices: dict[str, dict[str, str]] = field(default_factory=dict)  # parameter → its values' patterns (status)
    related: tuple[Related, ...] = ()
    mapped: bool = False  # its rows are placed on the map (loaders/publish/tables/places.py)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


TABLES = {
    "Project": Table(
        "Project",
        {
            "programme": "s3:programme",
            # where its partners are, or the project itself (an operation of a national list has no partners)
            "country": f"{PARTNER}/s3:country|s3:region/s3:country|s3:hasParticipation/s3:region/s3:country",
            "region": f"{PARTNER}/s3:region/skos:broader*|s3:region/skos:broader*",
            "period": "s3:programme/s3:programmingPeriod|s3:programmingPeriod",  # a project whose list names no programme
            "fund": "s3:fund|s3:programme/s3:fund",
            "domain": "s3:s3Domain|s3:servesPriority",
            "theme": "s3:theme",
            "strand": "s3:programme/s3:cooperationStrand",
        },
        choices={"status": STATUS},
        related=(
            Related(
                "partners",
                "s3:hasParticipation",
                (
                    Column("project", "?row rdfs:label ?v", kind="label"),
                    Column("organisation", "?item s3:participant ?v", kind="link"),
                    Column("role", "?item s3:partnerRole ?v", kind="link"),
                    Column("country", "?item s3:participant/s3:country ?v", kind="link"),
                    Column("region", "?item s3:participant/s3:region ?v", kind="link"),
                    Column("budget", "?item s3:partnerBudget/schema:value ?v", kind="money"),
                ),
            ),
        ),
        bounds={
            "budget_min": Bound("s3:totalBudget/schema:value", "number", True),
            "budget_max": Bound("s3:totalBudget/schema:value", "number", False),
            "start_from": Bound("schema:startDate", "date", True),
            "end_to": Bound("schema:endDate", "date", False),
        },
        columns=(
            Column("label", "?row rdfs:label ?v", kind="label"),
            Column("acronym", "?row s3:acronym ?v"),
            Column("start", "?row schema:startDate ?v", "MIN", "date"),
            Column("end", "?row schema:endDate ?v", "MAX", "date"),
            Column("budget", "?row s3:totalBudget/schema:value ?v", kind="money"),
            Column("eu", "?row s3:euContribution/schema:value ?v", kind="money"),
            Column("partners", f"?row {PARTNER} ?v", "COUNT", "count"),
        ),
        file_name="projects",
        mapped=True,
    ),
    "Organisation": Table(
        "Organisation",
        {
            "country": "s3:country",
            "region": "s3:region/skos:broader*",
            "type": "s3:organisationType",
            "programme": "^s3:participant/^s3:hasParticipation/s3:programme",
            "role": "^s3:participant/s3:partnerRole",
        },
        (
            Column("label", "?row rdfs:label ?v", kind="label"),
            Column("country", "?row s3:country ?v", kind="link"),
            Column("region", "?row s3:region ?v", kind="link"),
            Column("type", "?row s3:organisationType ?v", kind="link"),
            Column("projects", f"?v {PARTNER} ?row", "COUNT", "count"),
        ),
        "organisations",
    ),
}
