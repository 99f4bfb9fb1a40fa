"""Loader for national and regional lists of operations, as managing authorities publish them
(one row per operation: beneficiary, name, summary, dates, eligible expenditure, EU co-financing,
category of intervention), as CSV, TSV, XLSX or JSON in the publisher's own columns.

Columns and the facts a file does not state (programme, fund, period, currency, the language of
its texts) come from a table per publisher (data/reference/operations-publishers.yaml; see
`loaders.map.publishers`). Each row is an s3:Project of its programme with one participation,
its beneficiary (partner role "participant", as Kohesio's beneficiaries), amounts in the list's
own currency, and the EU co-financing rate as a share. Titles and summaries carry the table's
language; beneficiaries' names `und`. An operation is identified by the list's identifier where
it has one, else by its name, beneficiary, dates and amount: a row repeating all of them is the
same operation (merged), never a second one.
"""

from __future__ import annotations

import csv
import hashlib
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.errors import SourceProblem
from loaders.core.iris import IriMinter, slug
from loaders.core.origins import Origin
from loaders.core.paths import REFERENCE_DIR
from loaders.core.progress import Progress
from loaders.core.terms import Row, TripleSink, day, decimal, text
from loaders.core.vocab import COUNTRY, NUTS, S3
from loaders.map.delimited import NotText
from loaders.map.publishers import header_and_rows, parse_day, pick_table, read_tables, table_records
from loaders.map.reference.countries import CountryTable
from loaders.map.reference.nuts import NutsTable, UnknownRegion
from loaders.map.tabular import (
    ProgrammeNames,
    RowRejected,
    Summary,
    check_order,
    check_within_total,
    fund_concept,
    money,
    parse_amount,
    programme_by_name,
    source_document,
    theme,
)

PUBLISHERS_FILE = REFERENCE_DIR / "operations-publishers.yaml"
REQUIRED = ["project", "beneficiary"]
PERIODS = ("2014-2020", "2021-2027")
FUNDS = {"ERDF": "European Regional Development Fund", "ESF": "European Social Fund", "CF": "Cohesion Fund",
         "ESF+": "European Social Fund Plus", "JTF": "Just Transition Fund", "YEI": "Youth Employment Initiative"}  # fmt: skip


@dataclass
class OperationsLoad:
    summary: Summary = field(default_factory=lambda: Summary(""))
    origins: dict[URIRef, Origin] = field(default_factory=dict)


def _date(column: str, value: str) -> date | None:
    return parse_day(column, value) if value.strip() else None  # an empty date is unknown, not wrong


def _rate(value: str) -> Decimal | None:
    """A co-financing rate as a share: "80.00%", "80 %", "0.8" and "80" are all 0.8."""
    cleaned = value.strip().rstrip("%").strip()
    if not cleaned:
        return None
    share = parse_amount("rate", cleaned)
    share = share / 100 if "%" in value or share > 1 else share
    if not 0 <= share <= 1:
        raise RowRejected("rate", value, "not a co-financing rate: a percentage from 0 to 100 %.")
    return share.normalize()


class _Mapper:
    def __init__(self, table: dict[str, Any], ctx: _Context):
        self.ctx, self.constants = ctx, {str(k): str(v) for k, v in (table.get("constants") or {}).items()}
        self.thousands = self.constants.get("thousands", "")
        self.language = self.constants.get("language", "und")
        self.anonymous = re.compile(table["anonymous"]) if table.get("anonymous") else None
        self.seen: set[URIRef] = set()
        self.occurrences: Counter[str] = Counter()  # anonymous operations alike in every value, so far
        self.withheld = 0
        self.unstated = 0  # operations whose programme the list does not state
        self._regions: NutsTable | None = None  # read when a list first names a region

    def region(self, fields: dict[str, str], alpha3: str) -> str | None:
        """The NUTS code of the operation's region (a code or a name) in its country, where the
        row or the table states one. The table's region is where the programme's operations lie:
        it is not given to an operation the list places in another country."""
        written, value = fields.get("region", "").strip(), self.field(fields, "region")
        if not value:
            return None
        self._regions = self._regions or NutsTable.read()
        prefix = self.ctx.countries.nuts_prefix(alpha3) or ""
        try:
            code = value.upper() if value.upper() in self._regions else self._regions.resolve(value, prefix or None)
        except UnknownRegion as error:
            raise RowRejected("region", value, f"not a NUTS code or region name: {error}") from None
        if code.startswith(prefix):
            return code
        if written:
            raise RowRejected("region", value, f"not a region of the operation's country ({alpha3}).")
        return None

    def field(self, fields: dict[str, str], name: str) -> str:
        """The row's value of a field, or the table's constant for it."""
        return fields.get(name, "").strip() or self.constants.get(name, "")

    def amount(self, fields: dict[str, str], name: str) -> Decimal | None:
        """An amount as the list writes it; with the table's thousands separator, only where it
        really groups thousands ("13.074,00"): "288.11" is refused, not read as 28811."""
        value = fields.get(name, "").strip()
        if not value:
            return None  # unknown, not a reason to drop the operation
        if self.thousands and self.thousands in value:
            sep = re.escape(self.thousands)
            if not re.fullmatch(rf"(€|EUR)?\s*\d{{1,3}}({sep}\d{{3}})+(,\d+)?\s*(€|EUR)?", value):
                raise RowRejected(
                    name, value, f"not an amount: '{self.thousands}' here must group thousands (1{self.thousands}234,56)."
                )
            value = value.replace(self.thousands, "")
        return parse_amount(name, value)

    def programme(self, out: Row, fields: dict[str, str], period: str) -> URIRef | None:
        """The programme the row or the table names (a CCI code of the programme tables, or a
        name matched within the period), or None where the list does not state it."""
        cci, name = self.field(fields, "cci"), self.field(fields, "programme")
        if cci:
            if cci not in self.ctx.cci_codes:
                raise RowRejected("cci", cci, "not a CCI code of the programme tables (data/reference/).")
            return self.ctx.minter.entity("programme", cci)
        if name:
            return programme_by_name(out, self.ctx.minter, self.ctx.programmes, name, period, self.ctx.source)
        return None

    def row(self, out: Row, fields: dict[str, str]) -> tuple[URIRef, bool]:
        title, beneficiary = fields["project"].strip(), fields["beneficiary"].strip()
        if not title or not beneficiary:
            raise RowRejected("project" if not title else "beneficiary", "", "an operation needs its name and its beneficiary.")
        period = self.field(fields, "period")
        if period not in PERIODS:
            raise RowRejected("period", period, f"only the periods {', '.join(PERIODS)} are covered so far.")
        country = self.field(fields, "country")
        alpha3 = self.ctx.countries.from_alpha2(country.upper()) or self.ctx.countries.from_name(country)
        if alpha3 is None:
            raise RowRejected("country", country, "not a country code or name of the EU country table.")
        region = self.region(fields, alpha3)
        start, end = _date("start", fields.get("start", "")), _date("end", fields.get("end", ""))
        if start and end:
            check_order("end", start, end)
        total, eu = self.amount(fields, "total"), self.amount(fields, "eu")
        check_within_total("eu", eu, total)
        rate = _rate(fields.get("rate", ""))
        currency = self.field(fields, "currency") or "EUR"
        programme = self.programme(out, fields, period)
        withheld = self.anonymous is not None and self.anonymous.match(beneficiary) is not None
        project = self.operation(fields, alpha3, period, withheld, start, end, total)
        if project in self.seen:
            return project, True  # the same operation listed again, every value alike
        self.seen.add(project)
        self.withheld += withheld
        out.add(project, RDF.type, S3.Project)
        out.add(project, RDFS.label, text(title, self.language))
        out.add(project, DCTERMS.title, text(title, self.language))
        if fields.get("identifier", "").strip():
            out.add(project, DCTERMS.identifier, text(fields["identifier"].strip(), "und"))
        if fields.get("summary", "").strip():
            out.add(project, DCTERMS.description, text(fields["summary"].strip(), self.language))
        if start:
            out.add(project, SDO.startDate, day(start))
        if end:
            out.add(project, SDO.endDate, day(end))
        out.add(project, S3.country, COUNTRY[alpha3])
        if region is not None:
            out.add(project, S3.region, NUTS[region])
        if programme is not None:
            out.add(project, S3.programme, programme)
        else:  # unknown, not wrong: the operation keeps its period (and fund) without a programme
            out.add(project, S3.programmingPeriod, self.ctx.minter.entity("concept", "programming-periods", period))
            self.unstated += 1
        if total is not None:
            money(out, project, "total-budget", S3.totalBudget, total, currency)
        if eu is not None:
            money(out, project, "eu-contribution", S3.euContribution, eu, currency)
        if rate is not None:
            out.add(project, S3.cofinancingRate, decimal(rate))
        fund = self.field(fields, "fund")
        if fund:
            out.add(project, S3.fund, fund_concept(out, self.ctx.minter, fund, FUNDS.get(fund, fund), self.ctx.source))
        category = fields.get("category", "").strip()
        if category:
            scheme = (f"operations-{self.ctx.table}-categories", f"Categories of the list of operations ({self.ctx.table})")
            out.add(project, S3.theme, theme(out, self.ctx.minter, scheme, category, category, self.ctx.source))
        if not withheld:  # a natural person whose name the list withholds is no organisation
            self.beneficiary(out, project, beneficiary, alpha3)
        out.add(project, DCTERMS.source, self.ctx.source)
        return project, False

    def operation(self, fields: dict[str, str], alpha3: str, period: str, withheld: bool, *facts: object) -> URIRef:
        """The operation's IRI: from the list's identifier, else from its name, beneficiary, dates
        and total. Rows of withheld beneficiaries alike in all of these are different people's
        operations: each is told apart by its rank among them (the same for the same file)."""
        identifier = fields.get("identifier", "").strip()
        if identifier:
            return self.ctx.minter.entity("project", f"ops-{alpha3.lower()}-{slug(identifier)}")
        key = "|".join([fields["project"].strip(), fields["beneficiary"].strip(), *(str(f) for f in facts)])
        if withheld:
            self.occurrences[key] += 1
            key += f"|{self.occurrences[key]}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        return self.ctx.minter.entity("project", f"ops-{alpha3.lower()}-{period}-{slug(fields['project'])[:60]}-{digest}")

    def beneficiary(self, out: Row, project: URIRef, name: str, alpha3: str) -> None:
        key = slug(f"{name}-{alpha3}")
        organisation = self.ctx.minter.entity("organisation", "ops-" + key)
        participation = URIRef(f"{project}/participation/beneficiary")
        if out.first(organisation):
            out.add(organisation, RDF.type, S3.Organisation)
            out.add(organisation, RDFS.label, text(name, "und"))  # a legal name; the list states no language
            out.add(organisation, S3.country, COUNTRY[alpha3])
            out.add(organisation, DCTERMS.source, self.ctx.source)
        out.add(project, S3.hasParticipation, participation)
        out.add(participation, RDF.type, S3.Participation)
        out.add(participation, S3.participant, organisation)
        out.add(participation, S3.partnerRole, self.ctx.minter.entity("concept", "partner-roles", "participant"))
        out.add(participation, DCTERMS.source, self.ctx.source)


@dataclass(frozen=True)
class _Context:
    table: str
    minter: IriMinter
    countries: CountryTable
    programmes: ProgrammeNames
    cci_codes: frozenset[str]
    source: URIRef


def load_operations(
    path: Path,
    display: str,
    minter: IriMinter,
    countries: CountryTable,
    programmes: ProgrammeNames,
    cci_codes: frozenset[str],
    sink: TripleSink,
    progress: Progress | None = None,
) -> tuple[OperationsLoad, list[SourceProblem]]:
    result = OperationsLoad(summary=Summary(display))
    try:
        header, rows, dialect = header_and_rows(path)
        what = "a list of operations"
        chosen = pick_table(header, read_tables(PUBLISHERS_FILE), REQUIRED, what, PUBLISHERS_FILE, path.name)
    except (UnicodeDecodeError, ValueError, OSError, zipfile.BadZipFile, csv.Error, NotText) as error:
        fix = "give the list as CSV, TSV, XLSX or JSON, as the managing authority publishes it."
        return result, [SourceProblem(display, f"cannot be read as a list of operations: {error}.", fix=fix)]
    if isinstance(chosen, SourceProblem):
        return result, [SourceProblem(display, chosen.message, line=1, fix=chosen.fix)]
    name, table, found = chosen
    result.summary.ignored_columns, result.summary.dialect = found.ignored, dialect
    result.summary.notes.append(f"read with the publisher table '{name}' of {PUBLISHERS_FILE.name}")
    source = source_document(sink, minter, "operations", "List of operations", path, display)
    mapper = _Mapper(table, _Context(name, minter, countries, programmes, cci_codes, source))

    def handle(line: int, fields: dict[str, str]) -> bool:
        with sink.row() as out:
            project, merged = mapper.row(out, fields)
        result.origins.setdefault(project, Origin(display, line, fields["project"][:80]))
        return merged

    result.summary.account(table_records(rows, table, found), handle, progress)
    if mapper.unstated:
        result.summary.notes.append(
            f"{mapper.unstated} operations name no programme (the list does not state it): their period and fund are kept"
        )
    if mapper.withheld:
        result.summary.notes.append(
            f"{mapper.withheld} operations of beneficiaries whose names the list withholds (natural persons) "
            "are loaded without a beneficiary"
        )
    return result, []
