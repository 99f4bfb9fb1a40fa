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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SDO

from loaders.errors import SourceProblem
from loaders.vocab import COUNTRY, NUTS, NUTS_SCHEME, S3

NUTS_FILE = Path(__file__).resolve().parent.parent / "data" / "reference" / "nuts-2021.csv"
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
            for part in region.name.split("/"):  # bilingual names: "Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest"
                self._names[fold(part)].add(region.code)
            self._names[fold(region.name)].add(region.code)

    @classmethod
    def read(cls, path: Path = NUTS_FILE) -> NutsTable:
        return _read(path)

    def __contains__(self, code: str) -> bool:
        return code in self.regions

    def resolve(self, name: str, country_prefix: str | None = None) -> str:
        """The code of the region named `name` (within the NUTS country `country_prefix` if
        given); raises UnknownRegion saying why not."""
        folded = fold(name)
        codes = self._names.get(folded) or self._names.get(_without_generic_word(folded), set())
        if country_prefix:
            codes = {c for c in codes if c.startswith(country_prefix)}
        if not codes:
            where = f" in {country_prefix}" if country_prefix else ""
            raise UnknownRegion(f"no NUTS 2021 region{where} is named so.")
        deepest = max(codes, key=len)
        if all(deepest.startswith(c) for c in codes):  # one territory at several levels: LU, LU0, LU00
            return deepest
        raise UnknownRegion(f"names several NUTS regions ({', '.join(sorted(codes))}); give the code instead.")

    def graph(self, source: URIRef, alpha3: Callable[[str], str | None]) -> Graph:
        """Every region as a SKOS concept of the NUTS 2021 scheme, with its point and its country
        (`alpha3` turns the code's first two letters into an EU authority country code)."""
        graph = Graph()
        graph.add((NUTS_SCHEME, RDF.type, SKOS.ConceptScheme))
        graph.add((NUTS_SCHEME, RDFS.label, Literal("NUTS 2021", lang="en")))
        graph.add((NUTS_SCHEME, SKOS.prefLabel, Literal("NUTS 2021", lang="en")))
        graph.add((NUTS_SCHEME, DCTERMS.source, source))
        for region in self.regions.values():
            iri = region.iri
            graph.add((iri, RDF.type, S3.Region))
            graph.add((iri, RDF.type, SKOS.Concept))
            graph.add((iri, SKOS.inScheme, NUTS_SCHEME))
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
            else:
                graph.add((NUTS_SCHEME, SKOS.hasTopConcept, iri))
        return graph


def load_nuts_table(path: Path, display_name: str, source: URIRef) -> tuple[NutsTable, list[SourceProblem]]:
    """The table for a build, or the problem that keeps it from loading."""
    try:
        return NutsTable.read(path), []
    except BadNutsTable as error:
        problem = SourceProblem(display_name, f"{error}", fix="restore the file from data/reference (see data/README.md).")
        return NutsTable([]), [problem]


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
    table = NutsTable(regions)
    orphans = [r.code for r in regions if r.broader and r.broader not in table]
    if orphans:
        raise BadNutsTable(f"{path.name}: {', '.join(orphans[:5])} lack their broader region.")
    return table
