"""The search index of a build: one SQLite FTS5 row per entity (every label and name in one
column, descriptions in another), written beside the dumps when the build is published and
read by the server's /search. Accents and case are folded by FTS5's unicode61 tokenizer
(`remove_diacritics 2`); ranking is BM25 with labels weighing ten times the descriptions.

    write_search_index(store, path)
    with SearchIndex(path) as index:
        hits = index.search("textiel gent", languages=["nl", "en"])
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from loaders.vocab import PREFIXES

SEARCH_FILE = "search.sqlite"  # in a build's dumps folder; /dumps/ serves only the files its manifest lists
SHOWN = ("rdfs:label", "skos:prefLabel")  # the labels a hit is shown by
LABELS = (*SHOWN, "skos:altLabel", "dcterms:title", "s3:acronym", "skos:notation", "schema:name")
DESCRIPTIONS = ("dcterms:description", "skos:definition", "s3:aim")
LABEL_WEIGHT, DESCRIPTION_WEIGHT = 10.0, 1.0
TOKEN = re.compile(r"\w+", re.UNICODE)
_SCHEMA = """
CREATE TABLE entities (id INTEGER PRIMARY KEY, iri TEXT NOT NULL, type TEXT NOT NULL, labels TEXT NOT NULL);
CREATE VIRTUAL TABLE words USING fts5(labels, descriptions, tokenize = 'unicode61 remove_diacritics 2');
"""


def _texts(store: ox.Store, predicates: tuple[str, ...]) -> Iterator[tuple[str, ox.Literal]]:
    path = "|".join(predicates)
    query = f"SELECT ?s ?t WHERE {{ ?s {path} ?t FILTER (isIRI(?s) && isLiteral(?t)) }}"
    solutions = store.query(query, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        subject, value = row["s"], row["t"]
        if isinstance(subject, ox.NamedNode) and isinstance(value, ox.Literal):
            yield subject.value, value


def _types(store: ox.Store) -> dict[str, str]:
    """Each entity's class in the s3 namespace (the most specific when it has several: Portfolio
    over Project), or a few outside kinds by name."""
    specific = {"Portfolio", "PriorityAxis", "PolicyObjective", "SpecificObjective", "Region", "Strategy"}
    found: dict[str, str] = {}
    solutions = store.query("SELECT ?s ?c WHERE { ?s a ?c FILTER STRSTARTS(STR(?c), STR(s3:)) }", prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        subject, cls = row["s"], row["c"]
        if isinstance(subject, ox.NamedNode) and isinstance(cls, ox.NamedNode):
            name = cls.value[len(PREFIXES["s3"]) :]
            if subject.value not in found or name in specific:
                found[subject.value] = name
    return found


def write_search_index(store: ox.Store, path: Path) -> int:
    """Index every typed entity with a label; returns how many. The file is written whole under a
    temporary name and then renamed."""
    labels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # shown, by language
    words: dict[str, set[str]] = defaultdict(set)  # every label-like text, indexed
    for iri, value in _texts(store, SHOWN):
        labels[iri][value.language or "und"].append(value.value)
    for iri, value in _texts(store, LABELS):
        words[iri].add(value.value)
    descriptions: dict[str, list[str]] = defaultdict(list)
    for iri, value in _texts(store, DESCRIPTIONS):
        descriptions[iri].append(value.value)
    types = _types(store)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(partial) as db:
        db.executescript(_SCHEMA)
        rows = [(iri, types[iri], by_language) for iri, by_language in sorted(labels.items()) if iri in types]
        db.executemany(
            "INSERT INTO entities (id, iri, type, labels) VALUES (?, ?, ?, ?)",
            (
                (n, iri, kind, json.dumps({k: sorted(set(v)) for k, v in texts.items()}))
                for n, (iri, kind, texts) in enumerate(rows)
            ),
        )
        db.executemany(
            "INSERT INTO words (rowid, labels, descriptions) VALUES (?, ?, ?)",
            ((n, " ".join(sorted(words[iri])), " ".join(descriptions.get(iri, []))) for n, (iri, _, _) in enumerate(rows)),
        )
        db.execute("INSERT INTO words (words) VALUES ('optimize')")
    partial.replace(path)
    return len(rows)


@dataclass(frozen=True)
class Hit:
    iri: str
    type: str
    label: str
    language: str
    score: float


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    facets: dict[str, int]  # type → matching entities


def match_expression(query: str) -> str | None:
    """The words of a user's query as an FTS5 expression: every word must occur (any order), the
    last as a prefix; each word quoted, so nothing the user types is FTS5 syntax."""
    words = TOKEN.findall(query)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


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
        expression = match_expression(query)
        if expression is None:
            return Results([], 0, {})
        facets = dict(
            self.db.execute(
                "SELECT e.type, COUNT(*) FROM words JOIN entities e ON e.id = words.rowid WHERE words MATCH ? GROUP BY e.type "
                "ORDER BY COUNT(*) DESC, e.type",
                (expression,),
            ).fetchall()
        )
        where, parameters = ("AND e.type = ?", (expression, kind)) if kind else ("", (expression,))
        rows = self.db.execute(
            f"SELECT e.iri, e.type, e.labels, bm25(words, {LABEL_WEIGHT}, {DESCRIPTION_WEIGHT}) AS rank FROM words "
            f"JOIN entities e ON e.id = words.rowid WHERE words MATCH ? {where} ORDER BY rank, e.iri LIMIT ? OFFSET ?",
            (*parameters, limit, offset),
        ).fetchall()
        hits = [Hit(iri, kind_, *best(json.loads(labels), languages), -rank) for iri, kind_, labels, rank in rows]
        total = facets.get(kind, 0) if kind else sum(facets.values())
        return Results(hits, total, facets)
