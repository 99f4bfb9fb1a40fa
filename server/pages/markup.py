"""An entity page's schema.org markup (JSON-LD in the page's head), for search engines and the
portals that read it: what the fact sheet shows, in the reader's language — a project's
partners, places and funding, an organisation's projects and address, a region's parents —
never more than the page says. The vocabulary is schema.org's, inlined as @vocab so that a
reader parses it offline."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox

from server.backends.entities import Description
from server.pages import values
from server.pages.factsheet import Cell, Sheet
from server.pages.inset import Inset
from server.web.languages import best_label
from server.web.templates import script_json

S3 = "https://w3id.org/s3kg/ontology#"
TYPES = {
    "project": "Project", "organisation": "Organization", "programme": "FundingScheme", "region": "AdministrativeArea",
    "strategy": "CreativeWork", "priority": "DefinedTerm",
}  # fmt: skip
OTHER_TYPES = {"Event": "Event", "Place": "Place", "Person": "Person"}  # classes without a fact sheet
SHOWN = 100  # partners, projects or places listed at most, as the sheet's tables
PROPERTIES = {  # a property of the description → its schema.org name, the first value in the reader's language
    "https://schema.org/startDate": "startDate",
    "https://schema.org/endDate": "endDate",
    S3 + "acronym": "alternateName",
    "http://purl.org/dc/terms/identifier": "identifier",
    S3 + "cciCode": "identifier",
    "http://www.w3.org/2004/02/skos/core#notation": "identifier",
}


def _fact(sheet: Sheet | None, key: str) -> list[Cell]:
    return next((cells for name, cells in sheet.facts if name == key), []) if sheet else []


def _thing(kind: str, cell: Cell) -> dict[str, Any]:
    found: dict[str, Any] = {"@type": kind, "name": str(cell["label"])}
    if cell.get("href"):
        found["url"] = cell["href"]
    return found


def _money(description: Description, predicate: str) -> dict[str, Any] | None:
    for triple in description.triples:
        node = triple.object
        if (
            triple.predicate.value == predicate
            and isinstance(node, ox.NamedNode)
            and (amount := description.amounts.get(node.value))
        ):
            try:
                return {"@type": "MonetaryAmount", "value": float(Decimal(amount.value)), "currency": amount.currency}
            except InvalidOperation:
                return None
    return None


def entity_markup(
    description: Description, languages: list[str], url: str | None, sheet: Sheet | None = None, inset: Inset | None = None,
    place: Callable[[str], Cell] | None = None,
) -> str:  # fmt: skip
    """The JSON-LD of an entity's page, safe inside a <script> element. `place(code)` names a
    region of the inset (a link cell in the reader's language)."""
    types = [
        str(t.object.value)
        for t in description.triples
        if t.predicate.value.endswith("22-rdf-syntax-ns#type") and isinstance(t.object, ox.NamedNode)
    ]
    kind = TYPES.get(sheet.kind, "Thing") if sheet else next((OTHER_TYPES[t.split("#")[-1]] for t in types
                                                              if t.split("#")[-1] in OTHER_TYPES), "Thing")  # fmt: skip
    data: dict[str, Any] = {"@context": {"@vocab": "https://schema.org/"}, "@type": kind, "@id": description.iri}
    if name := best_label(description.labels.get(description.iri, []), languages):
        data["name"] = name
    texts = [
        t.object for t in description.triples
        if t.predicate.value in ("http://purl.org/dc/terms/description", "http://www.w3.org/2004/02/skos/core#definition")
        and isinstance(t.object, ox.Literal)
    ]  # fmt: skip
    if texts:
        data["description"] = values.by_language(texts, languages)[0].value  # in the reader's language where there is one
    for triple in description.triples:
        key = PROPERTIES.get(triple.predicate.value)
        if key and key not in data and isinstance(triple.object, ox.Literal):
            data[key] = triple.object.value
    same = sorted(
        t.object.value
        for t in description.triples
        if t.predicate.value.endswith("owl#sameAs") and isinstance(t.object, ox.NamedNode)
    )
    if same:
        data["sameAs"] = same
    if url:
        data["url"] = url
    _by_kind(data, description, sheet, inset, place)
    return script_json(data)


def _by_kind(
    data: dict[str, Any], description: Description, sheet: Sheet | None, inset: Inset | None, place: Callable[[str], Cell] | None
) -> None:
    if sheet is None:
        return
    places = [_thing("AdministrativeArea", place(a.code)) for a in inset.areas[:SHOWN]] if inset and place else []
    tables = {table.title: table for table in sheet.tables}
    if sheet.kind == "project":
        if "Partners" in tables:
            partners = tables["Partners"]
            data["member"] = [_partner(row, partners.columns) for row in partners.rows[:SHOWN]]
        if places:
            data["location"] = places
        programmes = _fact(sheet, "Programme")
        if programmes:
            grant: dict[str, Any] = {"@type": "MonetaryGrant", "funder": _thing("FundingScheme", programmes[0])}
            if amount := _money(description, S3 + "euContribution"):
                grant["amount"] = amount
            data["funding"] = grant
    elif sheet.kind == "organisation":
        if "Projects" in tables:
            data["memberOf"] = [_thing("Project", row[0]) for row in tables["Projects"].rows[:SHOWN]]
        country = _fact(sheet, "Country")
        if country:
            data["address"] = {"@type": "PostalAddress", "addressCountry": str(country[0]["label"])}
        if places:
            data["location"] = places
    elif sheet.kind == "region":
        if parents := _fact(sheet, "Part of"):
            data["containedInPlace"] = [_thing("AdministrativeArea", cell) for cell in parents]
    elif sheet.kind == "programme" and places:
        data["areaServed"] = places
    elif sheet.kind == "priority" and (strategies := _fact(sheet, "Strategy")):
        data["inDefinedTermSet"] = _thing("DefinedTermSet", strategies[0])


def _partner(row: list[Cell], columns: list[str]) -> dict[str, Any]:
    """A partner of the sheet's table (organisation, role, country, region, budget) as a schema.org Organization."""
    found = _thing("Organization", row[0])
    country = row[columns.index("Country")]["label"] if "Country" in columns else ""
    if country:
        found["address"] = {"@type": "PostalAddress", "addressCountry": str(country)}
    return found
