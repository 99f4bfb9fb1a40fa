"""The figures of a build's fact sheets: for each programme and each region, its projects (and a
region's organisations) counted and ranked once, when the build is published, so that a page
reads the first rows and the count by key instead of gathering every project of a programme or a
region on each request (issue 26: a page scans no more than it shows).

A region holds what is placed at it or at any of its parts (skos:broader*): the projects and
portfolios placed there, the organisations placed there and the projects they take part in.
A programme holds the projects that name it (s3:programme), an S3 domain those that work in it
(s3:s3Domain). Projects rank by total budget,
largest first (those without one last), then by IRI; organisations by IRI.

An incremental build patches the build before's figures (`FiguresPatch`): the rows of the members
a change reaches are replaced, and only their owners' totals are counted again.

    write_figures(store, path)
    with Figures(path) as figures:
        count, budget, eu = figures.total(programme_iri, PROGRAMME_PROJECTS)
        shown = figures.first(programme_iri, PROGRAMME_PROJECTS, 100)
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from loaders.core.code_digest import code_digest, made_by, mark
from loaders.core.queries import Readable, select_values

FIGURES_FILE = "figures.sqlite"  # in a build's dumps folder, beside the search index
PROGRAMME_PROJECTS, REGION_PROJECTS, REGION_ORGANISATIONS, DOMAIN_PROJECTS = 0, 1, 2, 3
# A member row per owner, kind and member, in the order shown (budget known first, largest first,
# then by IRI): a page reads its first rows by key, and a patch changes only the rows of the
# members that changed. `entity` numbers the owners.
_SCHEMA = """
CREATE TABLE entity (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
CREATE TABLE member (owner INTEGER NOT NULL, kind INTEGER NOT NULL, known INTEGER NOT NULL, sort INTEGER NOT NULL,
                     iri TEXT NOT NULL, budget INTEGER, eu INTEGER,
                     PRIMARY KEY (owner, kind, known DESC, sort DESC, iri)) WITHOUT ROWID;
CREATE INDEX member_rows ON member (iri);
CREATE TABLE total (owner INTEGER NOT NULL, kind INTEGER NOT NULL, n INTEGER NOT NULL, budget INTEGER, eu INTEGER,
                    PRIMARY KEY (owner, kind)) WITHOUT ROWID;
"""
_STAGING = """
CREATE TEMP TABLE staged (owner INTEGER NOT NULL, kind INTEGER NOT NULL, iri TEXT NOT NULL);
CREATE TEMP TABLE amount (iri TEXT PRIMARY KEY, budget INTEGER, eu INTEGER) WITHOUT ROWID;  -- euro cents
CREATE TEMP TABLE changed (iri TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE affected (owner INTEGER NOT NULL, kind INTEGER NOT NULL, PRIMARY KEY (owner, kind)) WITHOUT ROWID;
"""
# A patch first takes the changed members' rows out, noting their owners (`affected`).
_FORGET = """
INSERT OR IGNORE INTO affected SELECT owner, kind FROM member WHERE iri IN (SELECT iri FROM changed);
DELETE FROM member WHERE iri IN (SELECT iri FROM changed);
"""
# Then, as a whole write does, the staged members' rows (each once), and the totals of their owners.
_FILL = """
INSERT OR IGNORE INTO member (owner, kind, known, sort, iri, budget, eu)
SELECT s.owner, s.kind, a.budget IS NOT NULL, COALESCE(a.budget, 0), s.iri, a.budget, a.eu
FROM staged AS s LEFT JOIN amount AS a ON a.iri = s.iri;
INSERT OR IGNORE INTO affected SELECT DISTINCT owner, kind FROM staged;
DELETE FROM total WHERE (owner, kind) IN (SELECT owner, kind FROM affected);
INSERT INTO total (owner, kind, n, budget, eu)
SELECT owner, kind, count(*), sum(budget), sum(eu) FROM affected JOIN member USING (owner, kind) GROUP BY owner, kind;
"""
_PROJECT_TYPES = "FILTER (?t IN (s3:Project, s3:Portfolio))"
# What a member's figures are read from, each query with `{only}` where a patch names its members.
_AMOUNT = "SELECT ?p (MAX(?v) AS ?value) WHERE {{ {only} ?p {predicate}/schema:value ?v }} GROUP BY ?p"
_OWNERS = {  # kind: what a member names its owners by
    PROGRAMME_PROJECTS: "SELECT ?g ?p WHERE {{ {only} ?p s3:programme ?g }}",
    DOMAIN_PROJECTS: "SELECT ?g ?p WHERE {{ {only} ?p s3:s3Domain ?g }}",
}
_PLACED = "SELECT ?e ?r WHERE {{ {only} ?e s3:region ?r ; a ?t " + _PROJECT_TYPES + " }}"
_ORGANISATIONS = "SELECT ?o ?r WHERE {{ {only} ?o s3:region ?r ; a s3:Organisation }}"
_PARTICIPATIONS = (
    "SELECT ?p ?r WHERE {{ {only} ?o a s3:Organisation ; s3:region ?r . ?x s3:participant ?o . ?p s3:hasParticipation ?x }}"
)
# The members whose figures a changed subject `?x` can change, besides itself: the projects whose
# budget, participation or partner it is (one query each: a VALUES list does not reach into a UNION).
_REACHED = (
    "SELECT ?p WHERE {{ {only} ?p s3:totalBudget|s3:euContribution|s3:hasParticipation ?x }}",
    "SELECT ?p WHERE {{ {only} ?y s3:participant ?x . ?p s3:hasParticipation ?y }}",
)
VALUES_CHUNK = 500  # IRIs named in one query


class _Ids:
    """An integer per IRI, written to the entity table as they come (after those it holds)."""

    def __init__(self, db: sqlite3.Connection):
        self.db, self.ids = db, dict[str, int]()
        (self.last,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM entity").fetchone()
        self.empty = self.last == 0

    def __call__(self, iri: str) -> int:
        found = self.ids.get(iri)
        if found is not None:
            return found
        row = None if self.empty else self.db.execute("SELECT id FROM entity WHERE iri = ?", (iri,)).fetchone()
        if row is not None:
            found = int(row[0])
        else:
            self.last += 1
            found = self.last
            self.db.execute("INSERT INTO entity (id, iri) VALUES (?, ?)", (found, iri))
        self.ids[iri] = found
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


def _rows(store: Readable, query: str, variable: str, only: list[str] | None, **names: str) -> Iterator[list[str]]:
    """The query's rows, over every member or (a patch) only those named, a chunk at a time."""
    if only is None:
        yield from select_values(store, query.format(only="", **names))
        return
    for start in range(0, len(only), VALUES_CHUNK):
        chunk = " ".join(str(ox.NamedNode(iri)) for iri in only[start : start + VALUES_CHUNK])
        yield from select_values(store, query.format(only=f"VALUES ?{variable} {{ {chunk} }}", **names))


def _placements(store: Readable, only: list[str] | None) -> Iterator[tuple[int, str, str]]:
    """(kind, region, member): what is placed at a region, directly or through an organisation."""
    for member, place in _rows(store, _PLACED, "e", only):
        yield REGION_PROJECTS, place, member
    for member, place in _rows(store, _ORGANISATIONS, "o", only):
        yield REGION_ORGANISATIONS, place, member
    for member, place in _rows(store, _PARTICIPATIONS, "p", only):
        yield REGION_PROJECTS, place, member


def _stage(db: sqlite3.Connection, store: Readable, ids: _Ids, only: list[str] | None) -> None:
    """The members' amounts and their (owner, kind) pairs, every member's or only those named."""
    for column, predicate in (("budget", "s3:totalBudget"), ("eu", "s3:euContribution")):
        db.executemany(
            f"INSERT INTO amount (iri, {column}) VALUES (?, ?) ON CONFLICT (iri) DO UPDATE SET {column} = excluded.{column}",
            ((p, _cents(v)) for p, v in _rows(store, _AMOUNT, "p", only, predicate=predicate)),
        )
    for kind, query in _OWNERS.items():
        owned = _rows(store, query, "p", only)
        db.executemany("INSERT INTO staged VALUES (?, ?, ?)", ((ids(g), kind, p) for g, p in owned))
    up = _upward(store)
    db.executemany(
        "INSERT INTO staged VALUES (?, ?, ?)",
        ((ids(owner), kind, member) for kind, place, member in _placements(store, only) for owner in {place, *up.get(place, ())}),
    )


@dataclass(frozen=True)
class FiguresPatch:
    """The figures to start from (the build before's) and the subjects of every triple changed since."""

    earlier: Path
    touched: frozenset[str]

    def members(self, store: Readable) -> list[str]:
        """The members whose figures the change can reach: the touched subjects and the projects
        whose budget, participation or partner was touched."""
        touched = sorted(self.touched)
        return sorted(self.touched.union(*({p for (p,) in _rows(store, query, "x", touched)} for query in _REACHED)))

    def regions_moved(self, store: Readable) -> bool:
        """Whether a touched subject is a region that holds members, or says what it is part of:
        the regions' nesting changed, and with it what every region holds (written whole)."""
        touched = sorted(self.touched)
        with sqlite3.connect(f"file:{self.earlier}?mode=ro", uri=True) as db:
            held = db.execute(
                "SELECT 1 FROM entity JOIN total ON total.owner = entity.id "
                f"AND total.kind IN ({REGION_PROJECTS}, {REGION_ORGANISATIONS}) "
                "WHERE entity.iri IN (SELECT value FROM json_each(?)) LIMIT 1",
                (json.dumps(touched),),
            ).fetchone()
        return held is not None or any(_rows(store, "SELECT ?n WHERE {{ {only} ?n skos:broader ?b }} LIMIT 1", "n", touched))


def _code() -> int:
    return code_digest(__file__)


def write_figures(store: Readable, path: Path, patch: FiguresPatch | None = None) -> None:
    """Count and rank the members of every programme and region of `store` into `path` (replaced);
    with `patch`, from the earlier figures: the rows of the members the change reaches are read
    again, and only their owners' totals counted again."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    if patch is not None and (not patch.earlier.is_file() or made_by(patch.earlier) != _code() or patch.regions_moved(store)):
        patch = None
    if patch is not None:
        shutil.copyfile(patch.earlier, partial)
    db = sqlite3.connect(partial)
    try:
        mark(db, _code())
        db.executescript(_STAGING if patch is not None else _SCHEMA + _STAGING)
        members = patch.members(store) if patch is not None else None
        if members is not None:
            db.executemany("INSERT OR IGNORE INTO changed VALUES (?)", ((m,) for m in members))
            db.executescript(_FORGET)
        _stage(db, store, _Ids(db), members)
        db.executescript(_FILL)
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

    def owners(self, kind: int, by_budget: bool, limit: int | None = None) -> list[tuple[str, int, Decimal | None]]:
        """Every owner of members of that kind (or the first `limit`): its IRI, how many members,
        their budgets summed; most members first, or (`by_budget`) the largest sum first, owners
        whose members have no budget left out; then by IRI."""
        order = "budget DESC" if by_budget else "n DESC"
        rows = self.db.execute(
            f"""SELECT iri, n, budget FROM total JOIN entity ON entity.id = owner
                WHERE kind = ? {"AND budget IS NOT NULL" if by_budget else ""} ORDER BY {order}, iri LIMIT ?""",
            (kind, -1 if limit is None else limit),
        ).fetchall()
        return [(iri, n, _euros(budget)) for iri, n, budget in rows]

    def first(self, owner: str, kind: int, limit: int) -> list[Member]:
        """The first `limit` members of `owner` of that kind, in rank order."""
        rows = self.db.execute(
            """SELECT member.iri, member.budget FROM entity AS o JOIN member ON member.owner = o.id
               WHERE o.iri = ? AND member.kind = ? ORDER BY member.known DESC, member.sort DESC, member.iri LIMIT ?""",
            (owner, kind, limit),
        ).fetchall()
        return [Member(iri, _euros(budget)) for iri, budget in rows]
