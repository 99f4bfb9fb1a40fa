"""The figures of a build's fact sheets: for each programme and each region, its projects (and a
region's organisations) counted and ranked once, when the build is published, so that a page
reads the first rows and the count by key instead of gathering every project of a programme or a
region on each request (issue 26: a page scans no more than it shows).

A region holds what is placed at it or at any of its parts (skos:broader*): the projects and
portfolios placed there, the organisations placed there and the projects they take part in.
A programme holds the projects that name it (s3:programme). Projects rank by total budget,
largest first (those without one last), then by IRI; organisations by IRI.

    write_figures(store, path)
    with Figures(path) as figures:
        count, budget, eu = figures.total(programme_iri, PROGRAMME_PROJECTS)
        shown = figures.first(programme_iri, PROGRAMME_PROJECTS, 100)
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType

from loaders.core.queries import Readable, select_values

FIGURES_FILE = "figures.sqlite"  # in a build's dumps folder, beside the search index
PROGRAMME_PROJECTS, REGION_PROJECTS, REGION_ORGANISATIONS = 0, 1, 2
_SCHEMA = """
CREATE TABLE entity (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
CREATE TABLE member (owner INTEGER NOT NULL, kind INTEGER NOT NULL, rank INTEGER NOT NULL,
                     member INTEGER NOT NULL, budget INTEGER, PRIMARY KEY (owner, kind, rank)) WITHOUT ROWID;
CREATE TABLE total (owner INTEGER NOT NULL, kind INTEGER NOT NULL, n INTEGER NOT NULL, budget INTEGER, eu INTEGER,
                    PRIMARY KEY (owner, kind)) WITHOUT ROWID;
CREATE TEMP TABLE staged (owner INTEGER NOT NULL, kind INTEGER NOT NULL, member INTEGER NOT NULL);
CREATE TEMP TABLE amount (id INTEGER PRIMARY KEY, budget INTEGER, eu INTEGER);  -- euro cents
"""
# Ranked in SQLite (on disk, not in Python): each owner's members once, largest budget first.
_RANK = """
INSERT INTO member (owner, kind, rank, member, budget)
SELECT owner, kind, row_number() OVER (PARTITION BY owner, kind ORDER BY amount.budget DESC NULLS LAST, entity.iri) - 1,
       member, amount.budget
FROM (SELECT DISTINCT owner, kind, member FROM staged) AS s
JOIN entity ON entity.id = s.member LEFT JOIN amount ON amount.id = s.member;
INSERT INTO total (owner, kind, n, budget, eu)
SELECT owner, kind, count(*), sum(amount.budget), sum(amount.eu)
FROM (SELECT DISTINCT owner, kind, member FROM staged) AS s LEFT JOIN amount ON amount.id = s.member
GROUP BY owner, kind;
"""
_PROJECT_TYPES = "FILTER (?t IN (s3:Project, s3:Portfolio))"


class _Ids:
    """An integer per IRI, written to the entity table as they come."""

    def __init__(self, db: sqlite3.Connection):
        self.db, self.ids = db, dict[str, int]()

    def __call__(self, iri: str) -> int:
        found = self.ids.get(iri)
        if found is None:
            found = self.ids[iri] = len(self.ids) + 1
            self.db.execute("INSERT INTO entity (id, iri) VALUES (?, ?)", (found, iri))
        return found


def _cents(lexical: str) -> int | None:
    """An amount in euro cents: sums of integers stay exact (sums of floats would not)."""
    try:
        return int((Decimal(lexical) * 100).to_integral_value(ROUND_HALF_EVEN)) if lexical else None
    except InvalidOperation:
        return None


def _euros(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


def _upward(store: Readable) -> dict[str, set[str]]:
    """Each concept's broader concepts, itself included (skos:broader*)."""
    up: dict[str, set[str]] = defaultdict(set)
    for narrower, broader in select_values(store, "SELECT ?n ?b WHERE { ?n skos:broader+ ?b }"):
        up[narrower].add(broader)
    return up


def _placements(store: Readable) -> Iterator[tuple[int, str, str]]:
    """(kind, region, member): what is placed at a region, directly or through an organisation."""
    for member, place in select_values(store, f"SELECT ?e ?r WHERE {{ ?e s3:region ?r ; a ?t {_PROJECT_TYPES} }}"):
        yield REGION_PROJECTS, place, member
    for member, place in select_values(store, "SELECT ?o ?r WHERE { ?o s3:region ?r ; a s3:Organisation }"):
        yield REGION_ORGANISATIONS, place, member
    participations = (
        "SELECT ?p ?r WHERE { ?o a s3:Organisation ; s3:region ?r . ?x s3:participant ?o . ?p s3:hasParticipation ?x }"
    )
    for member, place in select_values(store, participations):
        yield REGION_PROJECTS, place, member


def write_figures(store: Readable, path: Path) -> None:
    """Count and rank the members of every programme and region of `store` into `path` (replaced)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    try:
        db.executescript(_SCHEMA)
        ids = _Ids(db)
        for column, predicate in (("budget", "s3:totalBudget"), ("eu", "s3:euContribution")):
            found = select_values(store, f"SELECT ?p (MAX(?v) AS ?value) WHERE {{ ?p {predicate}/schema:value ?v }} GROUP BY ?p")
            db.executemany(
                f"INSERT INTO amount (id, {column}) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}",
                ((ids(p), _cents(v)) for p, v in found),
            )
        programmes = select_values(store, "SELECT ?g ?p WHERE { ?p s3:programme ?g }")
        db.executemany("INSERT INTO staged VALUES (?, ?, ?)", ((ids(g), PROGRAMME_PROJECTS, ids(p)) for g, p in programmes))
        up = _upward(store)
        db.executemany(
            "INSERT INTO staged VALUES (?, ?, ?)",
            (
                (ids(owner), kind, ids(member))
                for kind, place, member in _placements(store)
                for owner in {place, *up.get(place, ())}
            ),
        )
        db.executescript(_RANK)
        db.execute("DROP TABLE staged")
        db.commit()
    finally:
        db.close()
    partial.replace(path)


@dataclass(frozen=True)
class Member:
    iri: str
    budget: Decimal | None  # euros


class Figures:
    """A build's figures, read-only: a connection per thread that reads them."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    @property
    def db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._opened.append(db)
        return db

    def __enter__(self) -> Figures:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for db in self._opened:
            db.close()
        self._opened.clear()

    def total(self, owner: str, kind: int) -> tuple[int, Decimal | None, Decimal | None]:
        """How many members `owner` has of that kind, and their budgets and EU contributions summed."""
        row = self.db.execute(
            "SELECT n, budget, eu FROM total JOIN entity ON entity.id = owner WHERE iri = ? AND kind = ?", (owner, kind)
        ).fetchone()
        return (row[0], _euros(row[1]), _euros(row[2])) if row else (0, None, None)

    def first(self, owner: str, kind: int, limit: int) -> list[Member]:
        """The first `limit` members of `owner` of that kind, in rank order."""
        rows = self.db.execute(
            """SELECT m.iri, member.budget FROM entity AS o JOIN member ON member.owner = o.id
               JOIN entity AS m ON m.id = member.member
               WHERE o.iri = ? AND member.kind = ? AND member.rank < ? ORDER BY member.rank""",
            (owner, kind, limit),
        ).fetchall()
        return [Member(iri, _euros(budget)) for iri, budget in rows]
