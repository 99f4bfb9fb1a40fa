"""Loader for the table of 2021-2027 Interreg programmes (CSV).

Columns: cci, programme_title, other_names, territory, basis.
- `cci`: the programme's CCI code (2021TC16…), or empty while no public source gives it;
- `other_names`: the names publishers write for it, `|`-separated ("AURORA", "South Baltic Programme");
- `territory`: the NUTS 2021 codes of its area, space-separated (a country code: part of that country);
- `basis`: the public document that states the code and the area.

A programme with a code is `programme/<cci>`, as for the 2014-2020 table; one without is
`programme/2021-2027-<slug of its title>`, the IRI an export naming it would mint
(`loaders.map.tabular.programme_by_name`). Exports find these programmes by title or other name,
within the 2021-2027 period only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, slug
from loaders.core.origins import Origin
from loaders.core.vocab import NUTS, S3
from loaders.map.reference.cci import CCI, STRANDS
from loaders.map.reference.nuts import NutsTable

COLUMNS = ["cci", "programme_title", "other_names", "territory", "basis"]
PERIOD = "2021-2027"


@dataclass(frozen=True)
class ProgrammeTable:
    graph: Graph
    codes: frozenset[str]
    origins: dict[URIRef, Origin]


def load_programme_table(
    path: Path, display_name: str, minter: IriMinter, source: URIRef, regions: NutsTable | None
) -> tuple[ProgrammeTable, list[SourceProblem]]:
    """The programmes of the table, each with its code, title, other names, strand and area."""
    graph = Graph()
    codes: set[str] = set()
    titles: set[str] = set()
    problems: list[SourceProblem] = []
    origins: dict[URIRef, Origin] = {}
    period = minter.entity("concept", "programming-periods", PERIOD)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            fix = f"the header must be exactly: {','.join(COLUMNS)}."
            return ProgrammeTable(graph, frozenset(), {}), [
                SourceProblem(display_name, f"has the header {reader.fieldnames}.", line=1, fix=fix)
            ]
        for row in reader:
            line, cci, title = reader.line_num, (row["cci"] or "").strip(), (row["programme_title"] or "").strip()

            def fail(field: str, message: str, fix: str, line: int = line, record: str = cci or title) -> None:
                problems.append(SourceProblem(display_name, message, line=line, record=record, field=field, fix=fix))

            match = CCI.match(cci) if cci else None
            if cci and (match is None or match["year"] != "2021"):
                fail("cci", f"'{cci}' is not a 2021-2027 CCI code.", "write a code like 2021TC16RFCB020, or leave it empty.")
                continue
            if cci in codes:
                fail("cci", f"the CCI code '{cci}' appears twice.", "keep one row per programme.")
                continue
            if not title or title.casefold() in titles:
                fail("programme_title", f"the title '{title}' is empty or appears twice.", "give each programme its own title.")
                continue
            territory = (row["territory"] or "").split()
            unknown = [code for code in territory if regions is not None and code not in regions]
            if unknown:
                fix = "use the codes of data/reference/nuts-2021.csv, space-separated, or leave the area empty."
                fail("territory", f"unknown NUTS codes: {', '.join(unknown)}.", fix)
                continue
            if not (row["basis"] or "").strip():
                fail("basis", "the row names no source.", "say which public document gives the code and the area.")
                continue
            titles.add(title.casefold())
            programme = minter.entity("programme", cci) if cci else minter.entity("programme", f"{PERIOD}-{slug(title)}")
            origins[programme] = Origin(display_name, line, cci or title)
            graph.add((programme, RDF.type, S3.Programme))
            graph.add((programme, RDFS.label, Literal(title, lang="en")))
            graph.add((programme, S3.programmingPeriod, period))
            graph.add((programme, DCTERMS.source, source))
            for name in (n.strip() for n in (row["other_names"] or "").split("|")):
                if name:
                    graph.add((programme, SKOS.altLabel, Literal(name, lang="und")))
            for code in territory:
                graph.add((programme, S3.territory, NUTS[code]))
            if match is not None:
                codes.add(cci)
                graph.add((programme, S3.cciCode, Literal(cci)))
                strand = STRANDS.get(match["kind"])
                if strand is not None:
                    graph.add((programme, S3.cooperationStrand, minter.entity("concept", "interreg-strands", strand)))
    return ProgrammeTable(graph, frozenset(codes), origins), problems
