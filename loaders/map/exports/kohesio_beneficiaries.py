"""Loader for Kohesio's beneficiary export (tab-separated): Country, Region, Beneficiary Name,
Total Budget, EU Contribution, Number of Projects, Transliterated Name. Names come in their
own script (Greek, Cyrillic …); numbers may be in scientific notation.

A beneficiary is the same organisation the project export names (same IRI: name and country),
so both files describe one entity; the transliteration becomes an alternative label.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import RDF, RDFS, SKOS
from rdflib.namespace import DCTERMS

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, slug
from loaders.core.origins import Origin
from loaders.core.progress import Progress
from loaders.core.terms import TripleSink, integer, text
from loaders.core.vocab import COUNTRY, S3
from loaders.map.exports.kohesio import KohesioLoad
from loaders.map.reference.countries import CountryTable
from loaders.map.tabular import RowRejected, Summary, check_fields, read_rows, source_document

COLUMNS = [
    "Country",
    "Region",
    "Beneficiary Name",
    "Total Budget",
    "EU Contribution",
    "Number of Projects",
    "Transliterated Name",
]

REQUIRED = [c for c in COLUMNS if c != "Region"]  # the columns the mapping reads


def _number(column: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())  # accepts 1.2E+6
    except InvalidOperation as error:
        raise RowRejected(column, text, "not a number.") from error
    if not value.is_finite() or value < 0:
        raise RowRejected(column, text, "not a non-negative number.")
    return value


def load_beneficiaries(
    path: Path,
    display: str,
    minter: IriMinter,
    countries: CountryTable,
    sink: TripleSink,
    progress: Progress | None = None,
) -> tuple[KohesioLoad, list[SourceProblem]]:
    result = KohesioLoad(summary=Summary(display))
    rows = read_rows(path, display, COLUMNS, "\t", required=REQUIRED)
    if isinstance(rows, SourceProblem):
        return result, [rows]
    source = source_document(sink, minter, "kohesio-beneficiaries", "Kohesio beneficiaries", path, display)
    seen: set[str] = set()

    def handle(line: int, row: dict[str, str]) -> bool:
        check_fields(row)
        name = row["Beneficiary Name"].strip()
        if not name:
            raise RowRejected("Beneficiary Name", "", "a beneficiary needs a name.")
        alpha3 = countries.from_name(row["Country"])
        if alpha3 is None:
            raise RowRejected("Country", row["Country"], "not a country name of the EU country table.")
        for column in ("Total Budget", "EU Contribution"):
            _number(column, row[column])
        projects = _number("Number of Projects", row["Number of Projects"])
        key = slug(f"{name}-{alpha3}")
        if key in seen:
            raise RowRejected("Beneficiary Name", name, "duplicate beneficiary in this country; the first row was loaded.")
        organisation = minter.entity("organisation", "kohesio-" + key)
        with sink.row() as out:
            out.add(organisation, RDF.type, S3.Organisation)
            transliterated = row["Transliterated Name"].strip()
            if transliterated and transliterated != name:  # a name in its own script: language unknown
                out.add(organisation, RDFS.label, text(name, "und"))
                out.add(organisation, SKOS.altLabel, text(transliterated, "und-latn"))
            else:
                out.add(organisation, RDFS.label, text(name, "en"))
            out.add(organisation, S3.country, COUNTRY[alpha3])
            out.add(organisation, S3.projectCount, integer(int(projects)))
            out.add(organisation, DCTERMS.source, source)
        seen.add(key)
        result.origins[organisation] = Origin(display, line, name)
        return False

    result.summary.account(rows, handle, progress)
    return result, []
