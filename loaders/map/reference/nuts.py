"""The NUTS 2021 regions (data/reference/nuts-2021.csv, from Eurostat GISCO's Nuts2json points):
each region with its official IRI, code, level, name, broader region and a point location, and
the resolution of region names as exports write them ("Prov. West-Vlaanderen", "Syddanmark",
"Blagoevgrad Province") to codes.

A name resolves when, with case, accents, punctuation, a "Prov." prefix, a "(BE)" country suffix
and a trailing generic word ("province", "region", "county") set aside, it names exactly one
region (the deepest, when a region and its only subdivision share a name, like LU0 and LU00),
within the row's country when the row gives one. Anything else is a reject naming the name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.core.errors import SourceProblem
from loaders.core.paths import REFERENCE_DIR
from loaders.core.vocab import COUNTRY, NUTS, NUTS_SCHEME, S3

NUTS_FILE = REFERENCE_DIR / "nuts-2021.csv"
OTHER_NAMES = "nuts-other-names.csv"  # beside it: names in other scripts and common exonyms ("Бургас", "Vilnius County")
CHANGES_2024 = "nuts-2024-changes.csv"  # beside the 2021 table: what NUTS 2024 adds, renames and drops at levels 0-2
VERSIONS = {"2021": NUTS_SCHEME, "2024": URIRef("http://data.europa.eu/nuts/scheme/2024")}
GENERIC_WORDS = (
    "province",
    "provincie",
    "provinz",
    "region",
    "regio",
    "county",
    "district",
    "prov",
    "voivodeship",
    "wojewodztwo",
)


class UnknownRegion(ValueError):
    """A region name that names no region, or several."""


@dataclass(frozen=True)
class Region:
    code: str
    level: int
    name: str
    longitude: float
    latitude: float
    versions: frozenset[str] = frozenset({"2021"})  # the NUTS versions it is a region of
    other_names: tuple[str, ...] = ()  # what a later version calls it
    alternative_names: tuple[tuple[str, str], ...] = ()  # (name, language): other scripts, exonyms

    @property
    def iri(self) -> URIRef:
        return NUTS[self.code]

    @property
    def broader(self) -> str | None:
        return self.code[:-1] if self.level > 0 else None


def fold(name: str) -> str:
    """A name as names are compared: no accents, case, punctuation, 'Prov.' or '(BE)'."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"\([a-z]{2}\)", " ", plain)  # "Limburg (NL)"
    plain = re.sub(r"^\s*prov\.?\s+", " ", plain)  # "Prov. Namur"
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def _without_generic_word(folded: str) -> str:
    words = folded.split()
    if len(words) > 1 and words[-1] in GENERIC_WORDS:
        return " ".join(words[:-1])
    if len(words) > 1 and words[0] in GENERIC_WORDS:
        return " ".join(words[1:])
    return folded


class NutsTable:
    """The regions by code, and their names folded for resolution."""

    def __init__(self, regions: list[Region]):
        self.regions = {r.code: r for r in regions}
        self._names: dict[str, set[str]] = defaultdict(set)
        for region in regions:
            for name in (region.name, *region.other_names, *(n for n, _ in region.alternative_names)):
                for part in name.split("/"):  # bilingual names: "Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest"
                    self._names[fold(part)].add(region.code)
                self._names[fold(name)].add(region.code)

    @classmethod
    def read(cls, path: Path = NUTS_FILE) -> NutsTable:
        return _read(path)

    def __contains__(self, code: str) -> bool:
        return code in self.regions

    def resolve(self, name: str, country_prefix: str | None = None) -> str:
        """The code of the region named `name` (within the NUTS country `country_prefix` if
        given); raises UnknownRegion saying why not. A name two versions give to two codes (NL33
        and NL36 are both Zuid-Holland) is the 2021 one: the version 2021-2027 monitoring uses."""
        folded = fold(name)
        codes = self._names.get(folded) or self._names.get(_without_generic_word(folded), set())
        if country_prefix:
            codes = {c for c in codes if c.startswith(country_prefix)}
        if not codes:
            where = f" in {country_prefix}" if country_prefix else ""
            raise UnknownRegion(f"no NUTS 2021 or 2024 region{where} is named so.")
        for candidates in (codes, {c for c in codes if "2021" in self.regions[c].versions}):
            deepest = max(candidates, key=len, default="")
            if candidates and all(deepest.startswith(c) for c in candidates):  # one territory at several levels: LU, LU0
                return deepest
        raise UnknownRegion(f"names several NUTS regions ({', '.join(sorted(codes))}); give the code instead.")

    def graph(self, source: URIRef, alpha3: Callable[[str], str | None]) -> Graph:
        """Every region as a SKOS concept of the schemes of the NUTS versions it is in (2021; 2024 at
        levels 0-2), with its point and its country (`alpha3` turns the code's first two letters into
        an EU authority country code); a name a later version gives is an alternative label."""
        graph = Graph()
        for version, scheme in VERSIONS.items():
            graph.add((scheme, RDF.type, SKOS.ConceptScheme))
            graph.add((scheme, RDFS.label, Literal(f"NUTS {version}", lang="en")))
            graph.add((scheme, SKOS.prefLabel, Literal(f"NUTS {version}", lang="en")))
            graph.add((scheme, DCTERMS.source, source))
        for region in self.regions.values():
            iri = region.iri
            graph.add((iri, RDF.type, S3.Region))
            graph.add((iri, RDF.type, SKOS.Concept))
            for version in sorted(region.versions):
                graph.add((iri, SKOS.inScheme, VERSIONS[version]))
                if not region.broader:
                    graph.add((VERSIONS[version], SKOS.hasTopConcept, iri))
            for name in region.other_names:
                graph.add((iri, SKOS.altLabel, Literal(name, lang="und")))
            for name, language in region.alternative_names:
                graph.add((iri, SKOS.altLabel, Literal(name, lang=language)))
            graph.add((iri, SKOS.notation, Literal(region.code)))
            graph.add((iri, RDFS.label, Literal(region.name, lang="und")))  # in the region's own language(s)
            graph.add((iri, SKOS.prefLabel, Literal(region.name, lang="und")))
            graph.add((iri, S3.nutsLevel, Literal(region.level, datatype=XSD.integer)))
            if country := alpha3(region.code[:2]):
                graph.add((iri, S3.country, COUNTRY[country]))
            graph.add((iri, SDO.latitude, Literal(f"{region.latitude:.3f}", datatype=XSD.decimal)))
            graph.add((iri, SDO.longitude, Literal(f"{region.longitude:.3f}", datatype=XSD.decimal)))
            graph.add((iri, DCTERMS.source, source))
            if region.broader:
                graph.add((iri, SKOS.broader, NUTS[region.broader]))
        return graph


def load_nuts_table(path: Path, display_name: str, source: URIRef) -> tuple[NutsTable, list[SourceProblem]]:
    """The table for a build, or the problem that keeps it from loading."""
    try:
        return NutsTable.read(path), []
    except BadNutsTable as error:
        problem = SourceProblem(display_name, f"{error}", fix="restore the file from data/reference (see data/README.md).")
        return NutsTable([]), [problem]


def _with_2024(regions: list[Region], path: Path) -> list[Region]:
    """The 2021 regions marked with the versions they are in, plus the regions NUTS 2024 adds. Level-0
    to level-2 regions are in 2024 unless the changes drop them; of level 3 only 2021 is known here."""
    by_code = {r.code: r for r in regions}
    added: list[Region] = []
    removed: set[str] = set()
    renamed: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            code, change = (row.get("code") or "").strip(), (row.get("change") or "").strip()
            try:
                if change == "added":
                    point = float(row["longitude"]), float(row["latitude"])
                    added.append(Region(code, int(row["level"]), row["name"].strip(), *point, frozenset({"2024"})))
                elif change == "removed" and code in by_code:
                    removed.add(code)
                elif change == "renamed" and code in by_code:
                    renamed[code] = row["name"].strip()
                else:
                    raise ValueError(f"'{change}' of an unknown code or an unknown change")
            except (KeyError, TypeError, ValueError) as error:
                raise BadNutsTable(f"{path.name} line {reader.line_num}: {code!r}: {error}.") from None
    marked = [
        replace(r, versions=frozenset({"2021", "2024"}) if r.level <= 2 and r.code not in removed else r.versions,
                other_names=(renamed[r.code],) if r.code in renamed else ())
        for r in regions
    ]  # fmt: skip
    return marked + [r for r in added if r.code not in by_code]


class BadNutsTable(ValueError):
    """The NUTS table file is unreadable or a row is wrong; the message names the line."""


@lru_cache(maxsize=4)
def _read(path: Path) -> NutsTable:
    regions: list[Region] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                code = (row.get("code") or "").strip()
                try:
                    regions.append(
                        Region(code, int(row["level"]), row["name"].strip(), float(row["longitude"]), float(row["latitude"]))
                    )
                except (KeyError, TypeError, ValueError) as error:
                    raise BadNutsTable(f"{path.name} line {reader.line_num}: region {code!r} is incomplete ({error}).") from None
                if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{0,3}", code) or len(code) - 2 != regions[-1].level:
                    raise BadNutsTable(
                        f"{path.name} line {reader.line_num}: {code!r} is not a NUTS code of level {row['level']}."
                    )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BadNutsTable(f"{path.name} cannot be read: {error}.") from None
    changes = path.with_name(CHANGES_2024)
    if changes.is_file():
        regions = _with_2024(regions, changes)
    other = path.with_name(OTHER_NAMES)
    if other.is_file():
        regions = _with_other_names(regions, other)
    table = NutsTable(regions)
    orphans = [r.code for r in regions if r.broader and r.broader not in table]
    if orphans:
        raise BadNutsTable(f"{path.name}: {', '.join(orphans[:5])} lack their broader region.")
    return table


def _with_other_names(regions: list[Region], path: Path) -> list[Region]:
    """The regions with the names `path` gives them in other scripts and languages."""
    names: dict[str, list[tuple[str, str]]] = defaultdict(list)
    known = {r.code for r in regions}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                code, name, language = ((row.get(k) or "").strip() for k in ("code", "name", "language"))
                if code not in known or not name or not re.fullmatch(r"[a-z]{2,3}", language):
                    raise BadNutsTable(f"{path.name} line {reader.line_num}: give a known NUTS code, a name and a language code.")
                names[code].append((name, language))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BadNutsTable(f"{path.name} cannot be read: {error}.") from None
    return [replace(r, alternative_names=tuple(names[r.code])) if r.code in names else r for r in regions]
