"""Entity descriptions for dereferencing: an entity's own triples, where each comes from,
labels of what it links to, and its incoming links (bounded)."""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import pyoxigraph as ox
from rdflib.namespace import PROV, SKOS

from loaders.core.queries import count_matches
from loaders.core.vocab import OA, S3
from loaders.publish.figures import FIGURES_FILE, Figures, write_figures
from loaders.publish.store import PublishedStore
from loaders.publish.tables.read import TableIndex, open_indexes
from loaders.publish.tables.spec import TABLES
from loaders.publish.tables.write import TABLES_FOLDER
from server.backends.port import Readable

LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "https://schema.org/name",
)
SHAPES_GRAPH_SUFFIX = "/graph/shapes"
STATEMENTS = "/graph/statements/"  # statement groups: one named graph per passage (loaders.map.curated.passages)

INCOMING_LIMIT = 100
# Links counted at most: a page says "10,000+" rather than scan a region's or a programme's
# hundred thousand links to print their number (issue 26: no page scans more than it shows).
COUNTED = 10_000
KEPT = 100_000  # IRIs whose labels (and amounts) an EntityReader keeps for the build it reads
Value = TypeVar("Value")


@dataclass(frozen=True)
class Amount:
    """A structural s3:MonetaryAmount node, read so that a page shows '€ 42 000 000', not a link."""

    value: str
    currency: str  # the EU authority code, e.g. EUR
    approximate: bool


@dataclass(frozen=True)
class Passage:
    """Where a statement group's statements come from: a passage of a source document."""

    document: str  # the source document's id (its IRI's last segment)
    start: int
    end: int
    quote: str
    evidence: str  # Stated, Translated or Inferred
    reason: str | None = None


@dataclass(frozen=True)
class MatchShown:
    """A published project-priority match as a page shows it, from either end."""

    other: str  # the priority a project serves, or the project serving a priority
    rule: str
    score: str
    region: str  # the NUTS IRI where they meet
    codes: tuple[str, ...]  # the IRIs of the codes they share
    words: tuple[str, ...] = ()  # the words both use ("Mobilität ~ mobility"), for a match by text


@dataclass
class Description:
    iri: str
    triples: list[ox.Triple]  # the entity's own statements
    graphs: dict[tuple[str, str, str], set[str]]  # (p, o, kind) → named graphs stating it
    labels: dict[str, list[ox.Literal]]  # labels of the entity and of everything it touches
    incoming: list[ox.Triple] = field(default_factory=list)
    incoming_total: int = 0
    amounts: dict[str, Amount] = field(default_factory=dict)  # the monetary amounts it points to, by IRI
    passages: dict[str, Passage] = field(default_factory=dict)  # statement group IRI → its passage
    matches: list[MatchShown] = field(default_factory=list)  # priorities it serves, or projects serving it
    matches_total: int = 0

    def graph(self) -> list[ox.Triple]:
        """The RDF document: own triples, incoming links, and the labels of both ends."""
        label_triples = [
            ox.Triple(ox.NamedNode(iri), ox.NamedNode(LABELS[0]), label)
            for iri, labels in self.labels.items()
            if iri != self.iri
            for label in labels
        ]
        return self.triples + self.incoming + label_triples

    def quads(self) -> list[ox.Quad]:
        """The document as quads: every statement of `graph()` in the default graph (so a reader of
        the default graph gets exactly the triple document), and each of the entity's own statements
        also in the named graph of every source stating it. Quads add where a statement comes from;
        they drop nothing."""
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in self.graph()]
        for t in self.triples:
            for graph in sorted(self.graphs.get((t.predicate.value, str(t.object), "out"), set())):
                quads.append(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)))
        return quads


class Kept(Generic[Value]):
    """Values by IRI for the build being read, at most KEPT of them (then started afresh)."""

    def __init__(self) -> None:
        self._values: dict[str, Value] = {}

    def get(self, iri: str, read: Callable[[], Value]) -> Value:
        values = self._values  # one dict throughout: another thread may start a new one
        if iri not in values:
            if len(values) >= KEPT:
                values = self._values = {}
            values[iri] = read()
        return values[iri]

    def clear(self) -> None:
        self._values = {}


class BuildSource(Protocol):
    """What descriptions are read from: the published build (a Backend), or one kept build."""

    def build_id(self) -> str: ...

    def open(self) -> Readable: ...

    def created(self) -> float | None: ...

    def files(self) -> PublishedStore | None: ...


class EntityReader:
    """Reads descriptions from the published build, reopening it when a new one is published."""

    def __init__(self, backend: BuildSource):
        self.backend = backend
        self._build: str | None = None
        self._store: Readable | None = None
        self._created: float | None = None
        # labels and amounts by IRI in the build being read: the same few nodes (properties,
        # programmes, domains, partners) recur on most pages
        self._labels_seen: Kept[list[ox.Literal]] = Kept()
        self._amounts_seen: Kept[Amount | None] = Kept()
        self._passages_seen: Kept[Passage | None] = Kept()
        self._figures: tuple[str, Figures, Callable[[], object]] | None = None  # build, figures, forget
        self._figures_lock = threading.Lock()
        self._tables: tuple[str, dict[str, TableIndex]] | None = None  # build, its tables' index by class
        self._tables_lock = threading.Lock()  # not the figures': those may be made for minutes

    def store(self) -> tuple[str, Readable]:
        build = self.backend.build_id()
        if build != self._build or self._store is None:
            self._labels_seen.clear()
            self._amounts_seen.clear()
            self._passages_seen.clear()
            self._store, self._build, self._created = self.backend.open(), build, self.backend.created()
        return build, self._store

    def figures(self) -> Figures:
        """The fact sheets' figures of the build being read: those published with it, or, for a
        build published without them, made once from its store into a temporary file (removed
        when a new build is read, and at exit)."""
        build, store = self.store()
        with self._figures_lock:
            if self._figures is not None and self._figures[0] == build:
                return self._figures[1]
            if self._figures is not None:
                self._figures[1].close()
                self._figures[2]()  # the temporary file, if it was made here
            files = self.backend.files()
            path = files.dumps_dir(build) / FIGURES_FILE if files is not None else None
            figures = Figures(path) if path is not None and path.is_file() else None
            if figures is None:
                made = Path(tempfile.gettempdir()) / f"s3kg-figures-{os.getpid()}-{id(self)}-{build}.sqlite"
                write_figures(store, made)
                figures = Figures(made)
                self._figures = (build, figures, weakref.finalize(figures, made.unlink, missing_ok=True))
            else:
                self._figures = (build, figures, lambda: None)
            return figures

    def tables(self) -> dict[str, TableIndex]:
        """The table index the build being read was published with, by class (none: the tables
        and the map are read from the store), opened once per build."""
        build, _ = self.store()
        with self._tables_lock:
            if self._tables is None or self._tables[0] != build:
                files = self.backend.files()
                found = open_indexes(files.dumps_dir(build) / TABLES_FOLDER, TABLES) if files is not None else {}
                self._tables = (build, found)
            return self._tables[1]

    def created(self) -> float | None:
        """When the build being read was published (read once per build, not per request)."""
        self.store()
        return self._created

    def _labels(self, store: Readable, iri: str) -> list[ox.Literal]:
        return self._labels_seen.get(iri, lambda: self._read_labels(store, iri))

    def _amount(self, store: Readable, node: ox.NamedNode) -> Amount | None:
        return self._amounts_seen.get(node.value, lambda: self._read_amount(store, node))

    def _passage(self, store: Readable, group: str) -> Passage | None:
        return self._passages_seen.get(group, lambda: _read_passage(store, group))

    def _read_labels(self, store: Readable, iri: str) -> list[ox.Literal]:
        found = []
        for predicate in LABELS:
            for quad in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None, ox.DefaultGraph()):
                if isinstance(quad.object, ox.Literal) and quad.object not in found:
                    found.append(quad.object)
        return found

    def describe(self, iri: str) -> Description | None:
        _, store = self.store()
        try:
            subject = ox.NamedNode(iri)
        except ValueError:  # not even an IRI (a request path with '<', spaces …): nothing is known about it
            return None
        triples: list[ox.Triple] = []
        graphs: dict[tuple[str, str, str], set[str]] = {}
        for quad in store.quads_for_pattern(subject, None, None, None):
            graph = quad.graph_name
            if isinstance(graph, ox.DefaultGraph):
                triples.append(quad.triple)
            elif isinstance(graph, ox.NamedNode) and not graph.value.endswith(SHAPES_GRAPH_SUFFIX):
                graphs.setdefault((quad.predicate.value, str(quad.object), "out"), set()).add(graph.value)
        if not triples:
            return None
        incoming_quads = store.quads_for_pattern(None, None, subject, ox.DefaultGraph())
        incoming = [quad.triple for quad in islice(incoming_quads, INCOMING_LIMIT)]
        total = len(incoming) if len(incoming) < INCOMING_LIMIT else incoming_count(store, subject)
        touched = {iri} | {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)}
        touched |= {t.subject.value for t in incoming if isinstance(t.subject, ox.NamedNode)}
        touched |= {t.predicate.value for t in triples + incoming}
        labels = {other: found for other in sorted(touched) if (found := self._labels(store, other))}
        amounts = {
            t.object.value: amount
            for t in triples
            if isinstance(t.object, ox.NamedNode) and (amount := self._amount(store, t.object)) is not None
        }
        groups = {g for found in graphs.values() for g in found if STATEMENTS in g}
        passages = {group: passage for group in sorted(groups) if (passage := self._passage(store, group)) is not None}
        matches, matched = _read_matches(store, subject)
        labels.update((m.other, found) for m in matches if m.other not in labels and (found := self._labels(store, m.other)))
        for code in {c for m in matches for c in m.codes} - set(labels):
            if found := self._labels(store, code):
                labels[code] = found
        return Description(iri, triples, graphs, labels, incoming, total, amounts, passages, matches, matched)

    def _read_amount(self, store: Readable, node: ox.NamedNode) -> Amount | None:
        """The value, currency and approximation of a monetary amount node; None for anything else."""
        values: dict[str, str] = {}
        for quad in store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
            if isinstance(quad.object, ox.NamedNode | ox.Literal):
                values[quad.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]] = quad.object.value
        if values.get("type", "").rsplit("#", 1)[-1] != "MonetaryAmount" and "currency" not in values:
            return None
        if "value" not in values:
            return None
        currency = values.get("currency", "").rsplit("/", 1)[-1]
        return Amount(values["value"], currency, values.get("isApproximate") == "true")


def incoming_count(store: Readable, subject: ox.NamedNode, bound: int = COUNTED) -> int:
    """How many triples of the default graph have `subject` as object, counted up to `bound` by the
    store: a COUNT reads the index without making a term of each link (7 ms for 10,000 links of a
    NUTS 3 region at 6 M triples, where reading them as quads took 89 ms)."""
    return count_matches(store, f"{{ SELECT ?s WHERE {{ ?s ?p {subject} }} LIMIT {bound} }}")


def _read_matches(store: Readable, subject: ox.NamedNode) -> tuple[list[MatchShown], int]:
    """The matches whose project or priority the entity is (at most INCOMING_LIMIT, strongest
    first), and how many there are. The match nodes are read by pattern, never by query text."""
    nodes: list[tuple[ox.NamedNode | ox.BlankNode, str]] = []
    total = 0
    for own, other in ((str(S3.matchedProject), str(S3.matchedPriority)), (str(S3.matchedPriority), str(S3.matchedProject))):
        for quad in store.quads_for_pattern(None, ox.NamedNode(own), subject, ox.DefaultGraph()):
            total += 1
            if len(nodes) < INCOMING_LIMIT and isinstance(quad.subject, ox.NamedNode | ox.BlankNode):
                nodes.append((quad.subject, other))
            if total >= COUNTED:
                break
    shown = []
    for node, other_end in nodes:
        values: dict[str, list[str]] = defaultdict(list)
        for quad in store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
            if isinstance(quad.object, ox.NamedNode | ox.Literal):
                values[quad.predicate.value].append(quad.object.value)
        if not values[other_end]:
            continue
        rule, score, region = ((values[str(p)] or [""])[0] for p in (S3.matchRule, S3.matchScore, S3.sharedRegion))
        codes, words = tuple(sorted(values[str(S3.sharedCode)])), tuple(sorted(values[str(S3.sharedWords)]))
        shown.append(MatchShown(values[other_end][0], rule, score, region, codes, words))
    shown.sort(key=lambda m: (-float(m.score or 0), m.other))
    return shown, total


def _objects(store: Readable, subject: ox.NamedNode, predicate: str) -> list[ox.NamedNode | ox.Literal]:
    found = store.quads_for_pattern(subject, ox.NamedNode(str(predicate)), None, ox.DefaultGraph())
    return [q.object for q in found if isinstance(q.object, ox.NamedNode | ox.Literal)]


def _read_passage(store: Readable, group: str) -> Passage | None:
    """The passage a statement group was derived from (loaders.map.curated.passages writes them)."""
    node = ox.NamedNode(group)
    derived = [o for o in _objects(store, node, PROV.wasDerivedFrom) if isinstance(o, ox.NamedNode)]
    evidence = _objects(store, node, S3.evidence)
    if not derived or not evidence:
        return None
    passage = derived[0]
    sources = _objects(store, passage, OA.hasSource)
    values: dict[str, str] = {}
    for selector in _objects(store, passage, OA.hasSelector):
        if isinstance(selector, ox.NamedNode):
            for term in ("exact", "start", "end"):
                values.update((term, o.value) for o in _objects(store, selector, OA[term]))
    if not sources or not {"exact", "start", "end"} <= set(values):
        return None
    reasons = sorted(_objects(store, node, SKOS.editorialNote), key=lambda o: (getattr(o, "language", "") != "en", o.value))
    return Passage(
        sources[0].value.rsplit("/", 1)[-1],
        int(values["start"]),
        int(values["end"]),
        values["exact"],
        evidence[0].value.rsplit("#", 1)[-1],
        reasons[0].value if reasons else None,
    )


def labels_of(store: Readable, iris: list[str]) -> dict[str, list[ox.Literal]]:
    """The labels (rdfs:label, skos:prefLabel) of many IRIs in one query, by IRI."""
    if not iris:
        return {}
    values = " ".join(f"<{iri}>" for iri in dict.fromkeys(iris))
    found: dict[str, list[ox.Literal]] = defaultdict(list)
    query = f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s <{LABELS[0]}>|<{LABELS[1]}> ?l }}"
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        subject, label = row["s"], row["l"]
        if isinstance(subject, ox.NamedNode) and isinstance(label, ox.Literal) and label not in found[subject.value]:
            found[subject.value].append(label)
    return found
