"""Fact sheets: what a portal leads with about a project, an organisation or a programme — its
summary, its key facts and the tables people look for (a project's partners, an organisation's
projects, a programme's projects) — read from the entity's description and a few bounded
queries. The statement table stays on the page below it, for whoever wants every fact and its
source. Pure reading: nothing here writes, and every query is bounded by ROWS."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import pyoxigraph as ox

from loaders.core.queries import Readable, select_values
from loaders.core.vocab import NUTS
from loaders.publish.figures import PROGRAMME_PROJECTS, REGION_ORGANISATIONS, REGION_PROJECTS, Figures
from server.backends.entities import Description
from server.pages import atlas, values

S3 = "https://w3id.org/s3kg/ontology#"
DCT = "http://purl.org/dc/terms/"
SDO = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ROWS = 100  # rows a fact sheet's table shows; the count says how many there are
SKOS = "http://www.w3.org/2004/02/skos/core#"
KINDS = {
    S3 + "Project": "project", S3 + "Portfolio": "project", S3 + "Organisation": "organisation", S3 + "Programme": "programme",
    S3 + "Region": "region", S3 + "Strategy": "strategy", S3 + "S3Domain": "priority",
}  # fmt: skip

Cell = dict[str, Any]  # {"label", "href"?, "number"?: bool, "lang"?}


class Link(Protocol):
    """Links to entities with their labels in the reader's language: `read` fetches the labels of
    many IRIs in one query, so that a table's links cost one query, not one per row."""

    def __call__(self, iri: str) -> Cell: ...

    def read(self, iris: Iterable[str]) -> None: ...


@dataclass
class Table:
    title: str  # a message key
    columns: list[str]  # message keys
    rows: list[list[Cell]]
    total: int
    numeric: set[int] = field(default_factory=set)  # columns aligned as numbers


def without_empty_columns(table: Table) -> Table:
    """The table without the columns no row fills (a source that gives no partner budgets shows no
    Budget column); the first column always stays."""
    keep = [0] + [i for i in range(1, len(table.columns)) if any(row[i].get("label") for row in table.rows)]
    if len(keep) == len(table.columns):
        return table
    rows = [[row[i] for i in keep] for row in table.rows]
    numeric = {n for n, i in enumerate(keep) if i in table.numeric}
    return Table(table.title, [table.columns[i] for i in keep], rows, table.total, numeric)


@dataclass
class Sheet:
    kind: str
    subtitle: Cell | None = None
    summary: Cell | None = None  # {"label", "lang", "original": autonym or ""}
    facts: list[tuple[str, list[Cell]]] = field(default_factory=list)  # (message key, values)
    tables: list[Table] = field(default_factory=list)


def _objects(description: Description, predicate: str) -> list[ox.NamedNode | ox.Literal | ox.BlankNode]:
    return [t.object for t in description.triples if t.predicate.value == predicate]  # type: ignore[misc]


def _literals(description: Description, predicate: str) -> list[ox.Literal]:
    return [o for o in _objects(description, predicate) if isinstance(o, ox.Literal)]


def _iris(description: Description, predicate: str) -> list[str]:
    return sorted(o.value for o in _objects(description, predicate) if isinstance(o, ox.NamedNode))


def in_reader_language(literals: list[ox.Literal], languages: list[str], page: str) -> Cell | None:
    """The text in the reader's first language that has one, else the first written, marked with its
    language when that is not the page's."""
    if not literals:
        return None
    ranked = values.by_language(literals, languages)
    chosen = ranked[0]
    language = (chosen.language or "und").split("-")[0]
    original = "" if language == page else values.AUTONYMS.get(language, "?" if language == "und" else language)
    lead, more = lead_and_rest(chosen.value)
    return {"label": lead, "more": more, "lang": None if language == "und" else language, "original": original}


def lead_and_rest(text: str, longest: int = 600) -> tuple[str, str]:
    """A long text's first paragraph (or its sentences up to `longest` characters) and the rest,
    so that the facts come into view; the rest is one click away."""
    text = text.strip()
    if len(text) <= longest:
        return text, ""
    paragraph = text.split("\n\n", 1)
    if len(paragraph[0]) <= longest and len(paragraph) == 2:
        return paragraph[0].strip(), paragraph[1].strip()
    cut = max(text.rfind(". ", 0, longest), text.rfind("? ", 0, longest), text.rfind("! ", 0, longest))
    if cut < longest // 3:
        cut = text.rfind(" ", 0, longest)
    if cut <= 0:
        return text, ""
    return text[: cut + 1].strip(), text[cut + 1 :].strip()


def _money(description: Description, predicate: str, page: str) -> tuple[Cell, Decimal] | None:
    for iri in _iris(description, predicate):
        amount = description.amounts.get(iri)
        if amount is not None:
            try:
                figure = Decimal(amount.value)
            except InvalidOperation:
                continue
            return {"label": values.amount(amount.value, amount.currency, amount.approximate, page)}, figure
    return None


def status(start: str | None, end: str | None, today: date) -> str | None:
    """Completed, ongoing or planned, as of today, from the project's dates."""
    try:
        if end and date.fromisoformat(end) < today:
            return "completed"
        if start and date.fromisoformat(start) > today:
            return "planned"
        return "ongoing" if start or end else None
    except ValueError:
        return None


def _rows(store: Readable, query: str) -> list[list[str]]:
    return list(select_values(store, query))


def _count(store: Readable, query: str) -> int:
    found = _rows(store, query)
    return int(found[0][0]) if found and found[0][0] else 0


def _read(link: Link, rows: list[list[str]]) -> Callable[[str], str]:
    """The labels of every IRI in `rows` read at once; returns the label of one of them."""
    link.read(v for row in rows for v in row if v.startswith(("http://", "https://")))
    return lambda iri: str(link(iri)["label"])


def _iri_list(iris: list[str]) -> str:
    """IRIs read from the store, for a VALUES block (each checked again as an IRI)."""
    return " ".join(str(ox.NamedNode(iri)) for iri in iris)


def _number(lexical: str, page: str) -> Cell:
    return {"label": values.amount(lexical, "EUR", False, page) if lexical else "", "number": True}


def project_sheet(
    description: Description, store: Readable, languages: list[str], page: str, link: Link, figures: Callable[[], Figures]
) -> Sheet:
    sheet = Sheet("project")
    titles = _literals(description, DCT + "title")
    sheet.subtitle = in_reader_language(titles, languages, page)
    sheet.summary = in_reader_language(_literals(description, DCT + "description"), languages, page)
    facts = sheet.facts
    programmes = _iris(description, S3 + "programme")
    if programmes:
        facts.append(("Programme", [link(p) for p in programmes]))
    node = str(ox.NamedNode(description.iri))
    periods = _rows(
        store,
        f"SELECT DISTINCT ?period WHERE {{ {{ {node} s3:programmingPeriod ?period }} UNION "
        f"{{ {node} s3:programme/s3:programmingPeriod ?period }} }} LIMIT 5",
    )
    if periods:
        facts.append(("Period", [link(row[0]) for row in periods]))
    start, end = (next((x.value for x in _literals(description, SDO + p)), None) for p in ("startDate", "endDate"))
    if start or end:
        facts.append(("Dates", [{"label": f"{values.day(start or '…', page)} – {values.day(end or '…', page)}"}]))
    state = status(start, end, date.today())
    if state:
        facts.append(("Status", [{"label": state, "translate": True}]))
    total, eu = _money(description, S3 + "totalBudget", page), _money(description, S3 + "euContribution", page)
    if total:
        facts.append(("Total budget", [total[0]]))
    if eu:
        rate = f" ({eu[1] / total[1] * 100:.0f} %)" if total and total[1] > 0 else ""
        facts.append(("EU contribution", [{"label": eu[0]["label"] + rate}]))
    for key, predicate in (("Themes", S3 + "theme"), ("Objectives", S3 + "specificObjective"), ("S3 domains", S3 + "s3Domain")):
        if found := _iris(description, predicate):
            facts.append((key, [link(i) for i in found]))
    links_out = _iris(description, SDO + "url") + _iris(description, "http://www.w3.org/2002/07/owl#sameAs")
    if links_out:
        facts.append(("Links", [{"label": i, "href": i} for i in links_out]))
    if sources := _iris(description, DCT + "source"):
        facts.append(("Sources", [link(s) for s in sources]))
    sheet.tables.append(_partners(store, node, languages, page, link))
    return sheet


def _partners(store: Readable, node: str, languages: list[str], page: str, link: Link) -> Table:
    query = f"""SELECT ?org ?role ?country ?region ?budget WHERE {{ {node} s3:hasParticipation ?x . ?x s3:participant ?org .
        OPTIONAL {{ ?x s3:partnerRole ?role }} OPTIONAL {{ ?x s3:partnerBudget/schema:value ?budget }}
        OPTIONAL {{ ?org s3:country ?country }} OPTIONAL {{ ?org s3:region ?region }} }} LIMIT {ROWS * 3}"""
    rows = _rows(store, query)
    name = _read(link, rows)
    seen: dict[str, list[Cell]] = {}
    for org, role, country, region, budget in rows:
        if org not in seen and len(seen) < ROWS:
            seen[org] = [
                link(org),
                {"label": name(role) if role else ""},
                {"label": name(country) if country else ""},
                link(region) if region else {"label": ""},
                _number(budget, page),
            ]
    leads = {org for org, role, *_ in rows if role.endswith("/partner-roles/lead-partner")}  # by the role, in any language
    ordered = sorted(seen.items(), key=lambda item: (item[0] not in leads, str(item[1][0]["label"]).casefold()))
    partners = [cells for _, cells in ordered]
    total = _count(store, f"SELECT (COUNT(DISTINCT ?org) AS ?n) WHERE {{ {node} s3:hasParticipation/s3:participant ?org }}")
    return Table("Partners", ["Organisation", "Role", "Country", "Region", "Budget"], partners, total, {4})


def organisation_sheet(
    description: Description, store: Readable, languages: list[str], page: str, link: Link, figures: Callable[[], Figures]
) -> Sheet:
    sheet = Sheet("organisation")
    sheet.summary = in_reader_language(_literals(description, DCT + "description"), languages, page)
    for key, predicate in (("Country", S3 + "country"), ("Region", S3 + "region"), ("Type", S3 + "organisationType")):
        if found := _iris(description, predicate):
            sheet.facts.append((key, [link(i) for i in found]))
    if ids := _literals(description, DCT + "identifier"):
        sheet.facts.append(("Identifiers", [{"label": i.value} for i in ids]))
    if urls := _iris(description, SDO + "url"):
        sheet.facts.append(("Links", [{"label": u, "href": u} for u in urls]))
    node = str(ox.NamedNode(description.iri))
    pattern = f"?x s3:participant {node} . ?project s3:hasParticipation ?x ."
    totals = _rows(store, f"SELECT (COUNT(DISTINCT ?project) AS ?n) (SUM(?b) AS ?sum) WHERE {{ {pattern} "
                          "OPTIONAL { ?x s3:partnerBudget/schema:value ?b } }")  # fmt: skip
    count, budget = (totals[0] if totals else ["0", ""])[:2]
    sheet.facts.append(("Projects", [{"label": values.number(count or "0")}]))
    if budget and budget != "0":
        sheet.facts.append(("Budget as partner", [_number(budget, page)]))
    rows = _rows(
        store,
        f"""SELECT ?project ?role ?programme ?period ?budget WHERE {{ {pattern}
            OPTIONAL {{ ?x s3:partnerRole ?role }} OPTIONAL {{ ?x s3:partnerBudget/schema:value ?budget }}
            OPTIONAL {{ ?project s3:programme ?programme OPTIONAL {{ ?programme s3:programmingPeriod ?period }} }}
        }} LIMIT {ROWS}""",
    )
    name = _read(link, rows)
    table = [
        [
            link(p),
            {"label": name(r) if r else ""},
            link(g) if g else {"label": ""},
            {"label": name(d) if d else ""},
            _number(b, page),
        ]
        for p, r, g, d, b in rows
    ]
    sheet.tables.append(Table("Projects", ["Project", "Role", "Programme", "Period", "Budget"], table, int(count or 0), {4}))
    return sheet


def programme_sheet(
    description: Description, store: Readable, languages: list[str], page: str, link: Link, figures: Callable[[], Figures]
) -> Sheet:
    sheet = Sheet("programme")
    sheet.summary = in_reader_language(_literals(description, DCT + "description"), languages, page)
    if cci := _literals(description, S3 + "cciCode"):
        sheet.facts.append(("CCI code", [{"label": c.value} for c in cci]))
    for key, predicate in (("Period", S3 + "programmingPeriod"), ("Strand", S3 + "cooperationStrand"), ("Funds", S3 + "fund"),
                           ("Territory", S3 + "territory")):  # fmt: skip
        if found := _iris(description, predicate):
            sheet.facts.append((key, [link(i) for i in found]))
    # counted and ranked when the build was published: the page reads its first rows, not every project
    counted = figures()
    number, total_sum, eu_sum = counted.total(description.iri, PROGRAMME_PROJECTS)
    count, total, eu = str(number), _lexical(total_sum), _lexical(eu_sum)
    first = counted.first(description.iri, PROGRAMME_PROJECTS, ROWS)
    dates = _rows(
        store,
        f"""SELECT ?p ?start ?end WHERE {{ VALUES ?p {{ {_iri_list([m.iri for m in first])} }}
            OPTIONAL {{ ?p schema:startDate ?start }} OPTIONAL {{ ?p schema:endDate ?end }} }}""",
    )
    when = {p: (start, end) for p, start, end in dates}
    rows = [[m.iri, *when.get(m.iri, ("", "")), _lexical(m.budget)] for m in first]
    sheet.facts.append(("Projects", [{"label": values.number(count or "0")}]))
    if total and total != "0":
        sheet.facts.append(("Total budget", [_number(total, page)]))
    if eu and eu != "0":
        sheet.facts.append(("EU contribution", [_number(eu, page)]))
    link.read(row[0] for row in rows)
    table = [[link(p), {"label": values.day(s, page)}, {"label": values.day(e, page)}, _number(t, page)] for p, s, e, t in rows]
    sheet.tables.append(Table("Projects", ["Project", "Start", "End", "Total budget"], table, int(count or 0), {3}))
    return sheet


def _lexical(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:f}"


def region_sheet(
    description: Description, store: Readable, languages: list[str], page: str, link: Link, figures: Callable[[], Figures]
) -> Sheet:
    """A NUTS region: where it sits, its strategies (its own and those of the regions it is part of),
    and the projects and organisations in it or in its parts."""
    sheet = Sheet("region")
    if codes := _literals(description, SKOS + "notation"):
        sheet.facts.append(("Code", [{"label": c.value} for c in codes[:1]]))
    if levels := _literals(description, S3 + "nutsLevel"):
        sheet.facts.append(("NUTS level", [{"label": levels[0].value}]))
    node = str(ox.NamedNode(description.iri))
    within = _rows(store, f"SELECT ?up WHERE {{ {node} skos:broader+ ?up }} LIMIT 5")
    if within:
        sheet.facts.append(("Part of", [link(row[0]) for row in within]))
    if countries := _iris(description, S3 + "country"):
        sheet.facts.append(("Country", [link(c) for c in countries]))
    strategies = _rows(
        store, f"SELECT DISTINCT ?s WHERE {{ ?s a s3:Strategy ; s3:region ?r . {node} skos:broader* ?r }} LIMIT {ROWS}"
    )
    sheet.tables.append(Table("Strategies", ["Strategy"], [[link(row[0])] for row in strategies], len(strategies)))
    # counted and ranked when the build was published: what is placed in the region or its parts, and
    # the projects of the organisations there; a coarser code whose only region this is holds it too
    # (DEG: DEG0), as on the map, so its figures are that code's
    code = description.iri.rsplit("/", 1)[-1]
    owner = description.iri
    if len(code) - 2 in atlas.LEVELS:
        only = atlas.single_regions(len(code) - 2)
        owner = next((str(NUTS) + code[:n] for n in range(2, len(code)) if only.get(code[:n]) == code), owner)
    counted = figures()
    projects = counted.first(owner, REGION_PROJECTS, ROWS)
    organisations = counted.first(owner, REGION_ORGANISATIONS, ROWS)
    link.read([*(m.iri for m in projects), *(m.iri for m in organisations)])
    table = [[link(m.iri), _number(_lexical(m.budget), page)] for m in projects]
    sheet.tables.append(Table("Projects", ["Project", "Total budget"], table, counted.total(owner, REGION_PROJECTS)[0], {1}))
    shown = [[link(m.iri)] for m in organisations]
    sheet.tables.append(Table("Organisations", ["Organisation"], shown, counted.total(owner, REGION_ORGANISATIONS)[0]))
    return sheet


def strategy_sheet(
    description: Description, store: Readable, languages: list[str], page: str, link: Link, figures: Callable[[], Figures]
) -> Sheet:
    """A smart specialisation strategy: its region and period, its priorities and how many projects serve each."""
    sheet = Sheet("strategy")
    for key, predicate in (("Region", S3 + "region"), ("Period", S3 + "programmingPeriod"), ("Sources", DCT + "source")):
        if found := _iris(description, predicate):
            sheet.facts.append((key, [link(i) for i in found]))
    node = str(ox.NamedNode(description.iri))
    rows = _rows(
        store,
        f"""SELECT ?d (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?d s3:strategy {node}
            OPTIONAL {{ ?m s3:matchedPriority ?d ; s3:matchedProject ?p }} }} GROUP BY ?d ORDER BY ?d LIMIT {ROWS}""",
    )
    link.read(d for d, _ in rows)
    table = [[link(d), {"label": values.number(n), "number": True}] for d, n in rows]
    sheet.tables.append(Table("Priorities", ["Priority", "Projects that serve it"], table, len(rows), {1}))
    return sheet


def priority_sheet(
    description: Description, store: Readable, languages: list[str], page: str, link: Link, figures: Callable[[], Figures]
) -> Sheet:
    """A strategy's priority: its definition, its strategy and sectors (the projects serving it are
    the page's table of matches)."""
    sheet = Sheet("priority")
    sheet.summary = in_reader_language(_literals(description, SKOS + "definition"), languages, page)
    for key, predicate in (("Strategy", S3 + "strategy"), ("Sectors", S3 + "naceSector"), ("Sources", DCT + "source")):
        if found := _iris(description, predicate):
            sheet.facts.append((key, [link(i) for i in found]))
    return sheet


SHEETS = {
    "project": project_sheet, "organisation": organisation_sheet, "programme": programme_sheet, "region": region_sheet,
    "strategy": strategy_sheet, "priority": priority_sheet,
}  # fmt: skip


def fact_sheet(
    description: Description, store: Readable, languages: list[str], page: str, link: Link, figures: Callable[[], Figures]
) -> Sheet | None:
    """The fact sheet of an entity of a kind that has one, else None."""
    types = _iris(description, RDF_TYPE)
    kind = next((KINDS[t] for t in types if t in KINDS), None)
    if kind is None:
        return None
    sheet = SHEETS[kind](description, store, languages, page, link, figures)
    sheet.tables = [without_empty_columns(t) for t in sheet.tables]
    return sheet
