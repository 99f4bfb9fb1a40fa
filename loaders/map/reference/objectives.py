"""The 2021-2027 policy and specific objectives of cohesion policy and Interreg
(data/reference/specific-objectives-2021-2027.csv) as SKOS concepts of one scheme, written by
every loader that meets an objective code (Jems partner lists, S3 strategies)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS

from loaders.core.iris import IriMinter
from loaders.core.paths import REFERENCE_DIR
from loaders.core.terms import Row, plain, text
from loaders.core.vocab import S3

OBJECTIVES_FILE = REFERENCE_DIR / "specific-objectives-2021-2027.csv"
SCHEME = ("objectives-2021-2027", "Policy and specific objectives of cohesion policy and Interreg, 2021-2027")


def objective_code(value: str) -> str:
    """'rso 1.1', ' RSO1.1' (Jems writes one so) → 'RSO1.1'; '1' or 'po 1' → 'PO1'."""
    cleaned = re.sub(r"\s+", "", value).upper()
    return f"PO{cleaned}" if cleaned.isdigit() else cleaned


@dataclass(frozen=True)
class Objectives:
    """The 2021-2027 objective codes: code → (policy objective or "", English label)."""

    codes: dict[str, tuple[str, str]]

    @classmethod
    def read(cls, path: Path = OBJECTIVES_FILE) -> Objectives:
        with path.open(encoding="utf-8", newline="") as handle:
            return cls({r["code"]: (r["policy_objective"], r["label_en"]) for r in csv.DictReader(handle)})

    def is_specific(self, code: str) -> bool:
        return bool(self.codes.get(code, ("", ""))[0])


class ObjectiveConcepts:
    """Writes an objective's concept (with its policy objective and the scheme) the first time a
    file meets its code, citing that file."""

    def __init__(self, minter: IriMinter, source: URIRef, objectives: Objectives | None = None):
        self.minter, self.source = minter, source
        self.objectives = objectives or Objectives.read()

    def iri(self, code: str) -> URIRef:
        return self.minter.entity("concept", SCHEME[0], code.lower())

    def concept(self, out: Row, code: str) -> URIRef:
        concept = self.iri(code)
        broader, label = self.objectives.codes[code]
        if out.first(concept):
            scheme = self.minter.entity("scheme", SCHEME[0])
            if out.first(scheme):
                out.add(scheme, RDF.type, SKOS.ConceptScheme)
                out.add(scheme, RDFS.label, text(SCHEME[1], "en"))
                out.add(scheme, SKOS.prefLabel, text(SCHEME[1], "en"))
                out.add(scheme, DCTERMS.source, self.source)
            out.add(concept, RDF.type, SKOS.Concept)
            out.add(concept, RDF.type, S3.SpecificObjective if broader else S3.PolicyObjective)
            out.add(concept, RDFS.label, text(f"{code} {label}", "en"))
            out.add(concept, SKOS.prefLabel, text(f"{code} {label}", "en"))
            out.add(concept, SKOS.notation, plain(code))
            out.add(concept, SKOS.inScheme, scheme)
            out.add(concept, DCTERMS.source, self.source)
            if broader:
                parent = self.concept(out, broader)
                out.add(concept, S3.broaderObjective, parent)
                out.add(concept, SKOS.broader, parent)
            else:
                out.add(scheme, SKOS.hasTopConcept, concept)
        return concept
