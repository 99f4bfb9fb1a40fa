"""Every kind of source a build reads, in one table: the order it is read in, what reads it,
what its mapping depends on, and the line of help that `s3kg load --help`, the README and
data/sources.yaml give it (tests/test_layout.py checks those against this table).

Adding an export format is one module under `loaders/map/exports/` and one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rdflib import Graph, URIRef

from loaders.core.errors import BuildError, SourceProblem
from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.provenance import sha256_of
from loaders.map.exports import cordis
from loaders.map.exports.jems import PUBLISHERS_FILE, load_jems_partners
from loaders.map.exports.keep_eu import load_keep_eu
from loaders.map.exports.kohesio import load_kohesio_projects
from loaders.map.exports.kohesio_beneficiaries import load_beneficiaries
from loaders.map.exports.load import ExportInput, ExportKind, ExportLoad, ExportMapper
from loaders.map.exports.operations import PUBLISHERS_FILE as OPERATIONS_PUBLISHERS
from loaders.map.exports.operations import load_operations
from loaders.map.reference.cci import CciTable, load_cci_table
from loaders.map.reference.countries import CountryTable, load_country_table
from loaders.map.reference.nuts import CHANGES_2024, NUTS_FILE, OTHER_NAMES, NutsTable, load_nuts_table
from loaders.map.reference.objectives import OBJECTIVES_FILE
from loaders.map.reference.programmes import load_programme_table

Stage = Literal["reference", "curated", "strategy", "export"]


@dataclass
class References:
    """The reference tables read so far, for the sources read after them."""

    countries: CountryTable | None = None
    regions: NutsTable | None = None
    cci: CciTable | None = None
    programme_codes: set[str] = field(default_factory=set)  # the CCI codes of every programme table
    programme_tables_loaded: bool = True  # every programme table loaded without problems: codes can be checked
    origins: dict[URIRef, Origin] = field(default_factory=dict)  # where each table's entities are stated

    def add_programmes(self, codes: frozenset[str], origins: dict[URIRef, Origin], problems: list[SourceProblem]) -> None:
        self.programme_codes |= codes
        self.origins.update(origins)
        self.programme_tables_loaded = self.programme_tables_loaded and not problems


Mapped = tuple[str, Graph, list[SourceProblem]]  # graph id, graph, problems
# A reference table: (file, its name in messages, minter, its source document's IRI, the tables so
# far) → what it maps to; it records itself in `References`.
ReferenceLoader = Callable[[Path, str, IriMinter, URIRef, References], Mapped]


@dataclass(frozen=True)
class Kind:
    name: str
    stage: Stage  # reference tables first, then curated records, strategies, and the exports last
    help: str  # what the file is, in a few words
    document: str = ""  # reference tables: the id of the source document that describes the table
    reference: ReferenceLoader | None = None
    export: ExportMapper | None = None
    depends_on: Callable[[frozenset[str]], str] = field(default=lambda _: "")  # exports: what else keys the cache


def _countries(
    path: Path, name: str, minter: IriMinter, source: URIRef, refs: References
) -> tuple[str, Graph, list[SourceProblem]]:
    refs.countries, found = load_country_table(path, name, source)
    return "countries", refs.countries.graph, found


def _nuts(path: Path, name: str, minter: IriMinter, source: URIRef, refs: References) -> Mapped:
    if refs.countries is None:
        raise BuildError("the country table must be listed before the NUTS table in data/sources.yaml", [])
    refs.regions, found = load_nuts_table(path, name, source)
    return "nuts-2021", refs.regions.graph(source, refs.countries.from_alpha2), found


def _cci(path: Path, name: str, minter: IriMinter, source: URIRef, refs: References) -> Mapped:
    if refs.countries is None:
        raise BuildError("the country table must be listed before the CCI table in data/sources.yaml", [])
    refs.cci, found = load_cci_table(path, name, minter, refs.countries, source, refs.regions)
    refs.add_programmes(refs.cci.codes, refs.cci.origins, found)
    return "cci-codes", refs.cci.graph, found


def _programmes(path: Path, name: str, minter: IriMinter, source: URIRef, refs: References) -> Mapped:
    if refs.regions is None:
        raise BuildError("the NUTS table must be listed before the programme table in data/sources.yaml", [])
    table, found = load_programme_table(path, name, minter, source, refs.regions)
    refs.add_programmes(table.codes, table.origins, found)
    return "programmes-2021-2027", table.graph, found


def _keep_eu(i: ExportInput) -> tuple[ExportLoad, list[SourceProblem]]:
    keep, problems = load_keep_eu(i.path, i.name, i.minter, i.programmes, i.countries, i.sink, i.progress)
    return ExportLoad(i.out, keep.summaries, keep.origins), problems


def _kohesio_projects(i: ExportInput) -> tuple[ExportLoad, list[SourceProblem]]:
    kohesio, problems = load_kohesio_projects(i.path, i.name, i.minter, i.countries, i.cci_codes, i.sink, i.progress)
    return ExportLoad(i.out, [kohesio.summary], kohesio.origins), problems


def _kohesio_beneficiaries(i: ExportInput) -> tuple[ExportLoad, list[SourceProblem]]:
    beneficiaries, problems = load_beneficiaries(i.path, i.name, i.minter, i.countries, i.sink, i.progress)
    return ExportLoad(i.out, [beneficiaries.summary], beneficiaries.origins), problems


def _cordis_projects(i: ExportInput) -> tuple[ExportLoad, list[SourceProblem]]:
    projects, problems = cordis.load_projects(i.path, i.name, i.minter, i.sink, i.progress)
    return ExportLoad(i.out, [projects.summary], projects.origins, projects.projects), problems


def _cordis_organisations(i: ExportInput) -> tuple[ExportLoad, list[SourceProblem]]:
    organisations, problems = cordis.load_organisations(i.path, i.name, i.minter, i.countries, set(i.keys), i.sink, i.progress)
    return ExportLoad(i.out, [organisations.summary], organisations.origins), problems


def _jems_partners(i: ExportInput) -> tuple[ExportLoad, list[SourceProblem]]:
    jems, problems = load_jems_partners(i.path, i.name, i.minter, i.countries, i.programmes, i.sink, i.progress)
    return ExportLoad(i.out, [jems.summary], jems.origins), problems


def _operations(i: ExportInput) -> tuple[ExportLoad, list[SourceProblem]]:
    operations, problems = load_operations(i.path, i.name, i.minter, i.countries, i.programmes, i.cci_codes, i.sink, i.progress)
    return ExportLoad(i.out, [operations.summary], operations.origins), problems


def _project_keys(keys: frozenset[str]) -> str:
    return ",".join(sorted(keys))  # the CORDIS projects loaded before: which organisations' rows are kept


def _reference_tables(_: frozenset[str]) -> str:
    """The bundled tables a mapper reads besides its file: publishers' layouts, objectives, regions and their names."""
    tables = (
        PUBLISHERS_FILE,
        OPERATIONS_PUBLISHERS,
        OBJECTIVES_FILE,
        NUTS_FILE,
        NUTS_FILE.with_name(CHANGES_2024),
        NUTS_FILE.with_name(OTHER_NAMES),
    )
    return ",".join(sha256_of(p) for p in tables)


KINDS: tuple[Kind, ...] = (
    Kind("country-table", "reference", "EU authority country table (SKOS RDF/XML)", "eu-country-table", reference=_countries),
    Kind("nuts-table", "reference", "NUTS 2021 regions with points (CSV)", "nuts-2021", reference=_nuts),
    Kind("cci-table", "reference", "CCI codes of the 2014-2020 programmes (CSV)", "cci-codes-2014-2020", reference=_cci),
    Kind(
        "programme-table",
        "reference",
        "Interreg 2021-2027 programmes: CCI codes, other names, areas (CSV)",
        "programmes-2021-2027",
        reference=_programmes,
    ),
    Kind("curated", "curated", "curated records (YAML, docs in data/README.md)"),
    Kind("s3-strategy", "strategy", "one S3 strategy per file (YAML, docs/strategies.md)"),
    Kind("keep-eu", "export", "keep.eu workbook, projects and partners sheets (Excel)", export=_keep_eu),
    Kind("kohesio-projects", "export", "Kohesio projects (CSV)", export=_kohesio_projects),
    Kind(
        "kohesio-beneficiaries",
        "export",
        "Kohesio beneficiaries (TSV)",
        export=_kohesio_beneficiaries,
        depends_on=_reference_tables,
    ),
    Kind("cordis-projects", "export", "CORDIS projects (CSV, ';')", export=_cordis_projects),
    Kind(
        "cordis-organisations",
        "export",
        "CORDIS organisations (CSV, ';')",
        export=_cordis_organisations,
        depends_on=_project_keys,
    ),
    Kind(
        "jems-partners",
        "export",
        "Interreg partner list from Jems (CSV, Excel or JSON)",
        export=_jems_partners,
        depends_on=_reference_tables,
    ),
    Kind(
        "national-operations",
        "export",
        "national or regional list of operations (CSV, XLSX or JSON; layouts per publisher)",
        export=_operations,
        depends_on=_reference_tables,
    ),
)
BY_NAME = {kind.name: kind for kind in KINDS}
SOURCE_KINDS = tuple(BY_NAME)
EXPORT_KINDS = tuple(kind.name for kind in KINDS if kind.stage == "export")


def export_kinds() -> list[ExportKind]:
    """The export kinds as the runner (`loaders.map.exports.load`) takes them, in order."""
    return [ExportKind(k.name, k.export, k.depends_on) for k in KINDS if k.export is not None]


def export_help() -> str:
    """The export kinds, one per line, for `s3kg load --help`."""
    return "; ".join(f"{kind.name}: {kind.help}" for kind in KINDS if kind.stage == "export")
