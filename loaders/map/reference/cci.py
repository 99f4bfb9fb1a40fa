"""Loader for the table of 2014-2020 cohesion programmes and their CCI codes (CSV).

Columns: country_code, cci, programme_title. Interreg programmes have country code TC.
Each row becomes an s3:Programme whose IRI is minted from its CCI code, so that curated
records and real exports that name the same code describe the same programme.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.paths import REFERENCE_DIR
from loaders.core.vocab import COUNTRY, NUTS, S3
from loaders.map.reference.countries import CountryTable
from loaders.map.reference.nuts import NutsTable, UnknownRegion

COLUMNS = ["country_code", "cci", "programme_title"]
CROSS_BORDER = re.compile(r"^Interreg V-A - (?P<names>[^()]+?)\s*(\([^()]*(\([^()]*\))?[^()]*\))?$")
NAME_ALIASES = {"Czech Republic": "Czechia", "The Netherlands": "Netherlands"}  # as the titles write them
AREAS_FILE = REFERENCE_DIR / "programme-areas-2014-2020.csv"
AREAS_SOURCE = "programme-areas-2014-2020"  # its source-document record in data/curated/sources.yaml
CCI = re.compile(r"^(?P<year>20\d\d)(?P<country>[A-Z]{2})\d\d[A-Z0-9]{2}(?P<kind>[A-Z]{2})\d{3}$")
STRANDS = {"CB": "cross-border", "TN": "transnational", "IR": "interregional"}


@dataclass(frozen=True)
class CciTable:
    graph: Graph
    codes: frozenset[str]
    origins: dict[URIRef, Origin]


def title_territory(title: str, countries: CountryTable, regions: NutsTable) -> list[str]:
    """The NUTS codes a cross-border programme's title names: "Interreg V-A - Austria–Germany/Bayern"
    gives AT and DE2. Empty unless every part names a country (or a region of one) of the tables."""
    match = CROSS_BORDER.match(title.strip())
    if match is None:
        return []
    codes = []
    for part in re.split(r"\s*[-–]\s*", match["names"]):
        name, _, region = part.partition("/")
        alpha3 = countries.from_name(NAME_ALIASES.get(name.strip(), name.strip()))
        prefix = countries.nuts_prefix(alpha3) if alpha3 else None
        if prefix is None or prefix not in regions:
            return []
        try:
            codes.append(regions.resolve(region, prefix) if region.strip() else prefix)
        except UnknownRegion:
            return []
    return codes


def read_areas(path: Path, regions: NutsTable, display_name: str) -> tuple[dict[str, list[str]], list[SourceProblem]]:
    """The editors' table of the areas the titles do not give: CCI code → NUTS codes."""
    areas: dict[str, list[str]] = {}
    problems: list[SourceProblem] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            cci, codes = (row.get("cci") or "").strip(), (row.get("territory") or "").split()
            unknown = [code for code in codes if code not in regions]
            if not CCI.match(cci) or not codes or unknown:
                message = f"'{cci}' needs a CCI code and NUTS 2021 codes; {', '.join(unknown) or 'none'} unknown."
                fix = "give the CCI code and the NUTS codes of data/reference/nuts-2021.csv, space-separated."
                problems.append(
                    SourceProblem(display_name, message, line=reader.line_num, record=cci, field="territory", fix=fix)
                )
                continue
            areas[cci] = codes
    return areas, problems


def load_cci_table(
    path: Path,
    display_name: str,
    minter: IriMinter,
    countries: CountryTable,
    source: URIRef,
    regions: NutsTable | None = None,
) -> tuple[CciTable, list[SourceProblem]]:
    """The programmes of the table; with the NUTS table, each with its area as the table gives it
    (its country, or for a cross-border programme the countries and regions its title names) or, for
    the Interreg programmes whose titles name no countries, as the editors' table of programme areas
    gives it (data/reference/programme-areas-2014-2020.csv)."""
    graph = Graph()
    codes: set[str] = set()
    problems: list[SourceProblem] = []
    origins: dict[URIRef, Origin] = {}
    areas: dict[str, list[str]] = {}
    if regions is not None:
        areas, problems = read_areas(AREAS_FILE, regions, f"data/reference/{AREAS_FILE.name}")
    period = minter.entity("concept", "programming-periods", "2014-2020")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            fix = f"the header must be exactly: {','.join(COLUMNS)}."
            return CciTable(graph, frozenset(), {}), [
                SourceProblem(display_name, f"has the header {reader.fieldnames}.", line=1, fix=fix)
            ]
        for row in reader:
            line = reader.line_num

            def fail(field: str, message: str, fix: str, line: int = line, row: dict[str, str] = row) -> None:
                problems.append(SourceProblem(display_name, message, line=line, record=row.get("cci"), field=field, fix=fix))

            cci, title, country = (row.get(c) or "" for c in COLUMNS[1:] + COLUMNS[:1])
            match = CCI.match(cci)
            if match is None:
                fail("cci", f"'{cci}' is not a CCI code.", "write a code like 2014TC16RFCB044.")
                continue
            if cci in codes:
                fail("cci", f"the CCI code '{cci}' appears twice.", "keep one row per programme.")
                continue
            if not title.strip():
                fail("programme_title", "the title is empty.", "give the programme's title.")
                continue
            codes.add(cci)
            programme = minter.entity("programme", cci)
            origins[programme] = Origin(display_name, line, cci)
            graph.add((programme, RDF.type, S3.Programme))
            graph.add((programme, S3.cciCode, Literal(cci)))
            graph.add((programme, RDFS.label, Literal(title.strip(), lang="en")))
            graph.add((programme, S3.programmingPeriod, period))
            graph.add((programme, DCTERMS.source, source))
            if country == "TC":
                strand = STRANDS.get(match["kind"])
                if strand is not None:
                    graph.add((programme, S3.cooperationStrand, minter.entity("concept", "interreg-strands", strand)))
                for code in title_territory(title, countries, regions) if regions is not None else []:
                    graph.add((programme, S3.territory, NUTS[code]))
                for code in areas.get(cci, []):
                    graph.add((programme, S3.territory, NUTS[code]))
                if cci in areas:
                    graph.add((programme, DCTERMS.source, minter.entity("source", AREAS_SOURCE)))
            else:
                alpha3 = countries.from_alpha2(country)
                if alpha3 is None:
                    fail(
                        "country_code",
                        f"unknown country code '{country}'.",
                        "use an EU two-letter country code, or TC for Interreg.",
                    )
                    continue
                graph.add((programme, S3.country, COUNTRY[alpha3]))
                if regions is not None and country in regions:
                    graph.add((programme, S3.territory, NUTS[country]))
    return CciTable(graph, frozenset(codes), origins), problems
