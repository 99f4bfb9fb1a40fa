"""The home page's build-wide figures, counted once when a build is published: the members of each
class, the projects of the largest programmes, budgets by programme and by S3 domain, partners by
country. At Kohesio scale each is a query over millions of triples that takes seconds; a server
reads them from the build's `overview.json` instead of running them in every process that
starts (issue 26: no page scans more than it shows).

    write_overview(store, figures, folder / OVERVIEW_FILE)
    overview = read_overview(folder / OVERVIEW_FILE) or count_overview(store, figures)  # a build without one

A build whose default graph is the one before's shares the file before's (see `publisher`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from loaders.core.code_digest import code_digest
from loaders.core.queries import Readable, select_values
from loaders.core.vocab import PREFIXES
from loaders.publish import figures as fact_sheet_figures
from loaders.publish.figures import DOMAIN_PROJECTS, PROGRAMME_PROJECTS, Figures

OVERVIEW_FILE = "overview.json"  # in a build's dumps folder, beside the figures
COUNTS = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER STRSTARTS(STR(?c), STR(s3:)) } GROUP BY ?c"
PARTNERS_BY_COUNTRY = """SELECT ?country (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a s3:Organisation ; s3:country ?country }
GROUP BY ?country ORDER BY DESC(?n) ?country"""
PROGRAMMES_SHOWN = 20


@dataclass(frozen=True)
class Overview:
    """The figures; each chart's rows are (IRI, figure), largest first, then by IRI. Programmes and
    S3 domains are counted and summed as their fact sheets are (`loaders.publish.figures`)."""

    counts: dict[str, int]  # members per class of the s3 namespace, by local name
    per_programme: list[tuple[str, int]]  # projects of the programmes with most
    budgets: list[tuple[str, float]]  # euro per S3 domain: its projects' total budgets
    by_programme: list[tuple[str, float]]  # euro per programme
    by_country: list[tuple[str, float]]  # organisations per country


def _budgets(figures: Figures, kind: int) -> list[tuple[str, float]]:
    return [(iri, float(budget or 0)) for iri, _, budget in figures.owners(kind, by_budget=True)]


def count_overview(store: Readable, figures: Figures) -> Overview:
    """The figures: the classes and countries counted from the store (a second or two at 1.6 M
    triples), the programmes and domains read from the build's fact sheet figures."""
    s3 = PREFIXES["s3"]
    return Overview(
        counts={c[len(s3) :]: int(n) for c, n in select_values(store, COUNTS)},
        per_programme=[(iri, n) for iri, n, _ in figures.owners(PROGRAMME_PROJECTS, False, PROGRAMMES_SHOWN)],
        budgets=_budgets(figures, DOMAIN_PROJECTS),
        by_programme=_budgets(figures, PROGRAMME_PROJECTS),
        by_country=[(iri, float(n)) for iri, n in select_values(store, PARTNERS_BY_COUNTRY)],
    )


def _code() -> int:
    return code_digest(__file__, fact_sheet_figures.__file__)


def write_overview(store: Readable, figures: Figures, path: Path) -> None:
    """Count the figures into `path`, replaced whole (a reader sees the old file or the new)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"code": _code(), **asdict(count_overview(store, figures))}), encoding="utf-8")
    os.replace(partial, path)


def read_overview(path: Path) -> Overview | None:
    """The figures a build was published with, or None: no file (a build published before there
    was one, a remote engine's), other code wrote it, or it cannot be read (the caller counts)."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(kept, dict) or kept.pop("code", None) != _code():
            return None
        return Overview(
            counts={str(name): int(n) for name, n in kept["counts"].items()},
            per_programme=[(str(iri), int(n)) for iri, n in kept["per_programme"]],
            **{key: [(str(iri), float(v)) for iri, v in kept[key]] for key in ("budgets", "by_programme", "by_country")},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # missing, cut short, or not these figures
        return None
