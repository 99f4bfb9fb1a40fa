"""The search index of a build: one SQLite FTS5 row per entity (every label and name in one
column, descriptions in another), written beside the dumps when the build is published and
read by the server's /search. Accents and case are folded by FTS5's unicode61 tokenizer
(`remove_diacritics 2`); ranking is BM25 with an entity's names (labels, acronym, code) weighing ten times its
descriptions and other names (titles, alternative labels) four times.

    write_search_index(store, path)
    with SearchIndex(path) as index:
        hits = index.search("textiel gent", languages=["nl", "en"])
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from loaders.core import words
from loaders.core.code_digest import code_digest, made_by, mark
from loaders.core.vocab import PREFIXES
from loaders.core.words import stems

SEARCH_FILE = "search.sqlite"  # in a build's dumps folder; /dumps/ serves only the files its manifest lists
SHOWN = ("rdfs:label", "skos:prefLabel")  # the labels a hit is shown by
NAMES = (*SHOWN, "s3:acronym", "skos:notation", "s3:cciCode", "dcterms:identifier")  # what it is called, or its codes
OTHER_NAMES = ("skos:altLabel", "dcterms:title", "schema:name")
DESCRIPTIONS = ("dcterms:description", "skos:definition", "s3:aim")
WEIGHTS = (10.0, 4.0, 1.0, 0.5)  # names, other names, descriptions, stems of all of them (BM25 column weights)
WEIGHT_LIST = ", ".join(map(str, WEIGHTS))
TOKEN = re.compile(r"\w+", re.UNICODE)
_SCHEMA = """
CREATE TABLE entities (id INTEGER PRIMARY KEY, iri TEXT NOT NULL, type TEXT NOT NULL, labels TEXT NOT NULL, context TEXT);
CREATE VIRTUAL TABLE words USING fts5(names, other_names, descriptions, stems, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE name_words USING fts5(names, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE kinds (id INTEGER PRIMARY KEY, type TEXT NOT NULL) WITHOUT ROWID;  -- compact, for facets and filters
"""


def _expand(name: str) -> ox.NamedNode:
    prefix, _, local = name.partition(":")
    return ox.NamedNode(PREFIXES[prefix] + local)


def _statements(
    store: ox.Store, predicates: tuple[str, ...], subjects: list[str] | None = None
) -> Iterator[tuple[ox.NamedNode | ox.BlankNode | ox.Triple, object]]:
    """(subject, object) of every statement in the merged sources with one of `predicates` (of the
    `subjects` only, when given, read by key): an index scan each, many times faster than the same
    as a SPARQL query with a path and a filter."""
    for predicate in predicates:
        if subjects is None:
            quads = store.quads_for_pattern(None, _expand(predicate), None, ox.DefaultGraph())
        else:
            quads = (
                q for s in subjects for q in store.quads_for_pattern(ox.NamedNode(s), _expand(predicate), None, ox.DefaultGraph())
            )
        for quad in quads:
            yield quad.subject, quad.object


def _texts(store: ox.Store, predicates: tuple[str, ...], subjects: list[str] | None = None) -> Iterator[tuple[str, ox.Literal]]:
    for subject, value in _statements(store, predicates, subjects):
        if isinstance(subject, ox.NamedNode) and isinstance(value, ox.Literal):
            yield subject.value, value


SPECIFIC = ("Portfolio", "PriorityAxis", "PolicyObjective", "SpecificObjective", "Region", "Strategy")
STRUCTURAL = ("PriorityMatch", "MonetaryAmount", "Participation", "AxisContribution")  # parts of others, not found alone
_STAGING = """
CREATE TEMP TABLE staged_label (iri TEXT NOT NULL, lang TEXT NOT NULL, text TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TEMP TABLE staged_description (iri TEXT NOT NULL, text TEXT NOT NULL);
CREATE TEMP TABLE staged_type (iri TEXT PRIMARY KEY, type TEXT NOT NULL);
CREATE TEMP TABLE staged_parent (iri TEXT NOT NULL, parent TEXT NOT NULL, priority INTEGER NOT NULL);
"""
_ENTITIES = """
CREATE TEMP TABLE shown AS
SELECT iri, json_group_object(lang, json(texts)) AS labels
FROM (SELECT iri, lang, json_group_array(DISTINCT text) AS texts FROM staged_label WHERE kind = 'shown' GROUP BY iri, lang)
GROUP BY iri;
CREATE UNIQUE INDEX temp.shown_iri ON shown (iri);
INSERT INTO entities (id, iri, type, labels, context)
SELECT :offset + row_number() OVER (ORDER BY shown.iri), shown.iri, staged_type.type, shown.labels,
       (SELECT parent_shown.labels FROM staged_parent JOIN shown AS parent_shown ON parent_shown.iri = staged_parent.parent
        WHERE staged_parent.iri = shown.iri ORDER BY staged_parent.priority, staged_parent.parent LIMIT 1)
FROM shown
JOIN staged_type ON staged_type.iri = shown.iri
WHERE staged_type.type NOT IN ({structural});
""".format(structural=", ".join(f"'{name}'" for name in STRUCTURAL))
# What a hit is shown within, the first a hit has: "Textiles (strategy of Flanders)", "Arr. Brugge (Prov. West-Vlaanderen)"
PARENTS = ("s3:strategy", "skos:broader", "s3:programme", "skos:inScheme")
_WORDS = """
INSERT INTO words (rowid, names, other_names, descriptions, stems)
SELECT entities.id, COALESCE(named.texts, ''), COALESCE(other.texts, ''), COALESCE(described.texts, ''),
       word_stems(COALESCE(named.texts, '') || ' ' || COALESCE(other.texts, '') || ' ' || COALESCE(described.texts, ''))
FROM entities
LEFT JOIN (SELECT iri, group_concat(DISTINCT text) AS texts FROM staged_label WHERE kind = 'name' GROUP BY iri) AS named
  ON named.iri = entities.iri
LEFT JOIN (SELECT iri, group_concat(DISTINCT text) AS texts FROM staged_label WHERE kind = 'other' GROUP BY iri) AS other
  ON other.iri = entities.iri
LEFT JOIN (SELECT iri, group_concat(text, ' ') AS texts FROM staged_description GROUP BY iri) AS described
  ON described.iri = entities.iri
WHERE entities.id > :offset
"""


def _types(store: ox.Store, subjects: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """Each entity's classes in the s3 namespace, by their local names."""
    namespace = PREFIXES["s3"]
    for subject, cls in _statements(store, ("rdf:type",), subjects):
        if isinstance(subject, ox.NamedNode) and isinstance(cls, ox.NamedNode) and cls.value.startswith(namespace):
            yield subject.value, cls.value[len(namespace) :]


def _links(store: ox.Store, predicates: tuple[str, ...], subjects: list[str] | None = None) -> Iterator[tuple[str, str]]:
    for subject, target in _statements(store, predicates, subjects):
        if isinstance(subject, ox.NamedNode) and isinstance(target, ox.NamedNode):
            yield subject.value, target.value


def write_search_index(store: ox.Store, path: Path, patch: Patch | None = None) -> int:
    """Index every typed entity with a label; returns how many. Texts stream from the store into
    staging tables and are grouped by SQLite, so memory does not grow with the graph; the file is
    written under a temporary name and then renamed. With `patch`, the earlier index is copied and
    only the entities the change can reach are indexed again."""
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    if patch is not None and made_by(patch.earlier) != _code():  # rows of other code: all are written again
        patch = None
    if patch is not None:
        shutil.copyfile(patch.earlier, partial)
    with sqlite3.connect(partial) as db:
        mark(db, _code())
        db.create_function("word_stems", 1, lambda text: " ".join(dict.fromkeys(stems(text or ""))), deterministic=True)
        db.executescript(_STAGING if patch is not None else _SCHEMA + _STAGING)
        subjects = sorted(patch.reach(store)) if patch is not None else None
        if subjects is not None:
            _forget(db, subjects)
        (offset,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM entities").fetchone()
        _stage(db, store, subjects)
        db.execute("CREATE INDEX temp.staged_label_iri ON staged_label (iri)")
        db.execute("CREATE INDEX temp.staged_parent_iri ON staged_parent (iri)")
        db.executescript(_ENTITIES.replace(":offset", str(int(offset))))
        db.execute(_WORDS, {"offset": offset})
        db.execute("INSERT INTO name_words (rowid, names) SELECT rowid, names FROM words WHERE rowid > ?", (offset,))
        db.execute("INSERT INTO kinds (id, type) SELECT id, type FROM entities WHERE id > ?", (offset,))
        if patch is None:  # a patched index is left to FTS5's own merging
            for table in ("words", "name_words"):
                db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
        (count,) = db.execute("SELECT COUNT(*) FROM entities").fetchone()
    partial.replace(path)
    return int(count)


def _code() -> int:
    """The indexing code's digest (this module and the stemmer): a patch applies only to an index the same code made."""
    return code_digest(__file__, words.__file__)


@dataclass(frozen=True)
class Patch:
    """An index to start from (the build before's) and the subjects of every triple changed since."""

    earlier: Path
    touched: frozenset[str]

    def reach(self, store: ox.Store) -> set[str]:
        """The entities whose row can differ: the touched ones and those shown within them."""
        reached = set(self.touched)
        for target in self.touched:
            for predicate in PARENTS:
                for quad in store.quads_for_pattern(None, _expand(predicate), ox.NamedNode(target), ox.DefaultGraph()):
                    if isinstance(quad.subject, ox.NamedNode):
                        reached.add(quad.subject.value)
        return reached


def _forget(db: sqlite3.Connection, subjects: list[str]) -> None:
    """Remove these entities' rows, to be written again from the store."""
    db.execute("CREATE TEMP TABLE forgotten (iri TEXT PRIMARY KEY)")
    db.executemany("INSERT INTO forgotten VALUES (?)", ((s,) for s in subjects))
    ids = "SELECT entities.id FROM entities JOIN forgotten ON forgotten.iri = entities.iri"
    for table, key in (("words", "rowid"), ("name_words", "rowid"), ("kinds", "id")):
        db.execute(f"DELETE FROM {table} WHERE {key} IN ({ids})")
    db.execute("DELETE FROM entities WHERE iri IN (SELECT iri FROM forgotten)")


def _stage(db: sqlite3.Connection, store: ox.Store, subjects: list[str] | None) -> None:
    """What the index is made from, into the staging tables: of every entity, or of `subjects`
    (with the labels of what they are shown within)."""
    for priority, predicate in enumerate(PARENTS):
        db.executemany(f"INSERT INTO staged_parent VALUES (?, ?, {priority})", _links(store, (predicate,), subjects))
    labelled = subjects
    if subjects is not None:
        parents = {parent for (parent,) in db.execute("SELECT DISTINCT parent FROM staged_parent")}
        labelled = sorted(set(subjects) | parents)
    db.executemany(
        "INSERT INTO staged_label VALUES (?, ?, ?, 'shown')",
        ((iri, value.language or "und", value.value) for iri, value in _texts(store, SHOWN, labelled)),
    )
    for kind, predicates in (("name", NAMES), ("other", OTHER_NAMES)):
        db.executemany(
            f"INSERT INTO staged_label VALUES (?, '', ?, '{kind}')",
            ((iri, v.value) for iri, v in _texts(store, predicates, subjects)),
        )
    db.executemany(
        "INSERT INTO staged_description VALUES (?, ?)", ((iri, v.value) for iri, v in _texts(store, DESCRIPTIONS, subjects))
    )
    db.executemany(  # the most specific class wins: Portfolio over Project
        "INSERT INTO staged_type VALUES (?, ?) ON CONFLICT (iri) DO UPDATE SET type = excluded.type "
        f"WHERE excluded.type IN ({', '.join('?' * len(SPECIFIC))})",
        ((iri, name, *SPECIFIC) for iri, name in _types(store, subjects)),
    )


@dataclass(frozen=True)
class Hit:
    iri: str
    type: str
    label: str
    language: str
    score: float  # BM25, over the names when `by_name`, else over all the text
    by_name: bool = False
    context: str = ""  # the label of its scheme, strategy or programme, to tell apart hits of one name


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    facets: dict[str, int]  # type → matching entities


def match_expression(query: str, stemmed: bool = False) -> str | None:
    """The words of a user's query as an FTS5 expression: every word must occur (any order), the
    last also as a prefix (a word being typed); each word quoted, so nothing the user types is
    FTS5 syntax. `stemmed`: or else every word's stem in the stems column, so that "textiel" finds
    "Textilien" and "textiles" in any EU language the five-letter stems meet in."""
    words = TOKEN.findall(query)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] = f"({quoted[-1]} OR {quoted[-1]}*)"  # the whole word counts twice: BE25 before BE251
    exact = " AND ".join(quoted)
    if not stemmed or not all(word.isalpha() and len(word) >= 4 for word in words):  # codes, numbers: as written
        return exact
    stemmed_words = [f'"{stem}"' for word in words for stem in stems(word)]
    return f"({exact}) OR (stems : ({' AND '.join(stemmed_words)}))"


def best(labels: dict[str, list[str]], languages: list[str]) -> tuple[str, str]:
    """The label in the first of `languages` it has, else English, else any."""
    for language in [*languages, "en", "und", *sorted(labels)]:
        if labels.get(language):
            return labels[language][0], language
    return "", ""


class SearchIndex:
    """A build's index, opened read-only."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.db.close()

    def search(self, query: str, languages: list[str], kind: str | None = None, limit: int = 20, offset: int = 0) -> Results:
        """One page of hits. Hits on what an entity is called come first, ranked by BM25 over its
        names alone (FTS5 normalises term frequency by the length of the whole row, so a long
        description would push "GoToS3" itself below a document that merely has GoToS3 in its
        title); the other hits follow, ranked by BM25 over names, other names and descriptions
        (10:4:1). The second ranking, the costly one, runs only when the page reaches past the
        first; nothing joins the text index to the entities but the page's own hits."""
        exact, expression = match_expression(query), match_expression(query, stemmed=True)
        if exact is None or expression is None:
            return Results([], 0, {})
        facets = dict(
            self.db.execute(
                "SELECT kinds.type, COUNT(*) FROM words JOIN kinds ON kinds.id = words.rowid WHERE words MATCH ? "
                "GROUP BY kinds.type ORDER BY COUNT(*) DESC, kinds.type",
                (expression,),
            ).fetchall()
        )
        total = facets.get(kind, 0) if kind else sum(facets.values())
        # the kind as a join, not `rowid IN (SELECT …)`: SQLite ran that subquery per match (1.7 s
        # for 2,000 project hits of "projekt"; 7 ms joined)
        joined, typed, parameters = (
            ("JOIN kinds ON kinds.id = {0}.rowid", "AND kinds.type = ?", (kind,)) if kind else ("", "", ())
        )
        (named,) = self.db.execute(
            f"SELECT COUNT(*) FROM name_words {joined.format('name_words')} WHERE name_words MATCH ? {typed}",
            (exact, *parameters),
        ).fetchone()
        ranked: list[tuple[int, float, bool]] = []
        if offset < named:
            rows = self.db.execute(
                f"SELECT name_words.rowid, bm25(name_words) AS r FROM name_words {joined.format('name_words')} "
                f"WHERE name_words MATCH ? {typed} ORDER BY r, name_words.rowid LIMIT ? OFFSET ?",
                (exact, *parameters, limit, offset),
            )
            ranked += [(rowid, rank, True) for rowid, rank in rows]
        if offset + limit > named:
            rows = self.db.execute(
                f"SELECT words.rowid, bm25(words, {WEIGHT_LIST}) AS r FROM words {joined.format('words')} "
                f"WHERE words MATCH ? {typed} AND words.rowid NOT IN (SELECT rowid FROM name_words WHERE name_words MATCH ?) "
                "ORDER BY r, words.rowid LIMIT ? OFFSET ?",
                (expression, *parameters, exact, limit - len(ranked), max(0, offset - named)),
            )
            ranked += [(rowid, rank, False) for rowid, rank in rows]
        entities = {
            row[0]: row[1:]
            for row in self.db.execute(
                f"SELECT id, iri, type, labels, context FROM entities WHERE id IN ({', '.join('?' * len(ranked))})",
                [rowid for rowid, _, _ in ranked],
            )
        }
        hits = []
        for rowid, rank, by_name in ranked:
            iri, kind_, labels, context = entities[rowid]
            label, language = best(json.loads(labels), languages)
            hits.append(Hit(iri, kind_, label, language, -rank, by_name, best(json.loads(context or "{}"), languages)[0]))
        return Results(hits, total, facets)
