"""Loader for Kohesio's beneficiary export (tab-separated): Country, Region, Beneficiary Name,
Total Budget, EU Contribution, Number of Projects, Transliterated Name. Names come in their
own script (Greek, Cyrillic …); numbers may be in scientific notation; a quote is data
(`"Зора-ЕС" ЕООД`).

The export lists a beneficiary once per region it received funds in, with that region's
figures. Each row becomes a funding record (`s3:FundingRecord`: region, total budget, EU
contribution, number of projects) of one organisation per name and country, so a beneficiary
in four regions is one organisation with four records (the later rows are "merged"). A region
may list a beneficiary several times with other figures (the export does not say per what:
fund, programme or period): each is a record; a row repeated exactly is one record. An empty
amount is unknown: the record just does not state it. Region names resolve to NUTS codes in
any form the NUTS table and its other names know (`Бургас`, `Vilnius County`); one that does
not is kept as the source names it (`s3:regionName`) and counted in the file's notes.

A beneficiary is the same organisation the project export names (same IRI: name and country).
Names carry no language claim the export does not make: `und` (undetermined, BCP 47), the
transliteration `und-Latn`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, slug
from loaders.core.origins import Origin
from loaders.core.progress import Progress
from loaders.core.terms import TripleSink, integer, plain, text
from loaders.core.vocab import COUNTRY, NUTS, S3
from loaders.map.exports.kohesio import KohesioLoad
from loaders.map.reference.countries import CountryTable
from loaders.map.reference.nuts import NutsTable, UnknownRegion
from loaders.map.tabular import RowRejected, Summary, check_fields, check_within_total, money, read_rows, source_document

COLUMNS = [
    "Country",
    "Region",
    "Beneficiary Name",
    "Total Budget",
    "EU Contribution",
    "Number of Projects",
    "Transliterated Name",
]

REQUIRED = [c for c in COLUMNS if c not in ("Region", "Transliterated Name")]


def _number(column: str, text: str) -> Decimal | None:
    """A non-negative number (1.2E+6 too), or None when the cell is empty (unknown)."""
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation as error:
        raise RowRejected(column, text, "not a number.") from error
    if not value.is_finite() or value < 0:
        raise RowRejected(column, text, "not a non-negative number.")
    return value


class _Beneficiaries:
    def __init__(self, display: str, minter: IriMinter, countries: CountryTable, sink: TripleSink, source: URIRef):
        self.display, self.minter, self.countries, self.sink, self.source = display, minter, countries, sink, source
        self.regions = NutsTable.read()
        self.records: set[URIRef] = set()
        self.unresolved: Counter[str] = Counter()
        self.result = KohesioLoad(summary=Summary(display))

    def region(self, name: str, alpha3: str) -> str | None:
        try:
            return self.regions.resolve(name, self.countries.nuts_prefix(alpha3))
        except UnknownRegion:
            self.unresolved[name] += 1
            return None

    def row(self, line: int, row: dict[str, str]) -> bool:
        check_fields(row)
        name = row["Beneficiary Name"].strip()
        if not name:
            raise RowRejected("Beneficiary Name", "", "a beneficiary needs a name.")
        alpha3 = self.countries.from_name(row["Country"])
        if alpha3 is None:
            raise RowRejected("Country", row["Country"], "not a country name of the EU country table.")
        total, eu = _number("Total Budget", row["Total Budget"]), _number("EU Contribution", row["EU Contribution"])
        check_within_total("EU Contribution", eu, total)
        projects = _number("Number of Projects", row["Number of Projects"])
        if projects is not None and projects != projects.to_integral_value():
            raise RowRejected("Number of Projects", row["Number of Projects"], "not a whole number.")
        region_name = row["Region"].strip()
        code = self.region(region_name, alpha3) if region_name else None
        organisation = self.minter.entity("organisation", "kohesio-" + slug(f"{name}-{alpha3}"))
        figures = "|".join("" if v is None else str(v) for v in (total, eu, projects))
        digest = hashlib.sha256(figures.encode()).hexdigest()[:10]
        record = URIRef(f"{organisation}/funding/{code or slug(region_name) or 'country'}-{digest}")
        if record in self.records:
            return True  # the same row again: one record
        merged = organisation in self.result.origins
        with self.sink.row() as out:
            if not merged:
                out.add(organisation, RDF.type, S3.Organisation)
                out.add(organisation, RDFS.label, text(name, "und"))
                transliterated = row["Transliterated Name"].strip()
                if transliterated and transliterated != name:
                    out.add(organisation, SKOS.altLabel, text(transliterated, "und-latn"))
                out.add(organisation, S3.country, COUNTRY[alpha3])
                out.add(organisation, DCTERMS.source, self.source)
            out.add(organisation, S3.fundingRecord, record)
            out.add(record, RDF.type, S3.FundingRecord)
            out.add(record, DCTERMS.source, self.source)
            if code is not None:
                out.add(record, S3.region, NUTS[code])
                out.add(organisation, S3.region, NUTS[code])
            if region_name:
                out.add(record, S3.regionName, plain(region_name))
            if total is not None:
                money(out, record, "total", S3.totalBudget, total)
            if eu is not None:
                money(out, record, "eu", S3.euContribution, eu)
            if projects is not None:
                out.add(record, S3.projectCount, integer(int(projects)))
        self.records.add(record)
        self.result.origins.setdefault(organisation, Origin(self.display, line, name))
        return merged


def load_beneficiaries(
    path: Path,
    display: str,
    minter: IriMinter,
    countries: CountryTable,
    sink: TripleSink,
    progress: Progress | None = None,
) -> tuple[KohesioLoad, list[SourceProblem]]:
    rows = read_rows(path, display, COLUMNS, "\t", required=REQUIRED)
    if isinstance(rows, SourceProblem):
        return KohesioLoad(summary=Summary(display)), [rows]
    source = source_document(sink, minter, "kohesio-beneficiaries", "Kohesio beneficiaries", path, display)
    beneficiaries = _Beneficiaries(display, minter, countries, sink, source)
    summary = beneficiaries.result.summary
    summary.account(rows, beneficiaries.row, progress)
    if beneficiaries.unresolved:
        named = ", ".join(f"{name!r} ({n} rows)" for name, n in beneficiaries.unresolved.most_common(10))
        summary.notes.append(f"{len(beneficiaries.unresolved)} region names are not NUTS regions and are kept as named: {named}")
    return beneficiaries.result, []
