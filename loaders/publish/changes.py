"""What a build changed against the build before it, per source (named graph).

Written beside the dumps of each build: `changes.json` (per source: triples added and removed)
and the triples themselves as N-Quads, `changes-added.nq.gz` and `changes-removed.nq.gz`, each
in the graph of its source. The statement groups of the curated passages are left out: their
statements are also in the curated files' graphs, whose changes are listed.

A first build adds every triple: its changes give the counts, and the triples are those of its
dumps. A graph an incremental build patched is itemised from its patch, whatever its size. Another
source graph of more than ITEMISE_LIMIT triples (before or after) is compared by size only
and marked not itemised: comparing it keeps a 64-bit hash of every triple in memory (a hash
collision would hide a change; at two million triples the chance is about one in ten million).
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import to_canonical_graph

from loaders.core.queries import count_matches

CHANGES = "changes.json"
ADDED = "changes-added.nq.gz"
REMOVED = "changes-removed.nq.gz"
ITEMISE_LIMIT = 2_000_000
CANONICAL_LIMIT = 100_000  # graphs with blank nodes up to this size are compared with canonical labels
STATEMENT_GROUPS = "/graph/statements/"

Difference = tuple[Sequence[ox.Triple], Sequence[ox.Triple]]  # triples removed, added


@dataclass(frozen=True)
class SourceChange:
    graph: str
    triples: int  # in this build
    before: int  # in the build before
    added: int | None  # None: not itemised (too large)
    removed: int | None


@dataclass(frozen=True)
class Changes:
    build: str
    previous: str | None
    sources: list[SourceChange]
    # the IRI subjects of every changed triple, when that is all that changed (None: a first build,
    # a graph too large to itemise or a blank node's triple): what the feed describes again
    touched: frozenset[str] | None = field(default=None, compare=False)

    @property
    def added(self) -> int:
        return sum(s.added or 0 for s in self.sources)

    @property
    def removed(self) -> int:
        return sum(s.removed or 0 for s in self.sources)


def _lines(store: ox.Store, graph: ox.NamedNode, size: int) -> Iterator[str]:
    """The graph's `size` triples as N-Quads lines. Blank nodes are relabelled canonically
    (RDFC-1.0 via rdflib) when the graph has any and is small (the shapes): their labels differ
    from build to build, so that every triple with one would otherwise count as changed."""
    quads = store.quads_for_pattern(None, None, None, graph)
    if size <= CANONICAL_LIMIT and any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads):
        yield from _canonical_lines(store, graph)
        return
    suffix = f" {graph} .\n"
    with tempfile.TemporaryFile() as spool:  # written by Oxigraph, not a Python object per triple
        store.dump(spool, ox.RdfFormat.N_TRIPLES, from_graph=graph)
        spool.seek(0)
        for line in spool:
            yield line.decode("utf-8").removesuffix(" .\n") + suffix


def _canonical_lines(store: ox.Store, graph: ox.NamedNode) -> Iterator[str]:
    triples = (q.triple for q in store.quads_for_pattern(None, None, None, graph))
    parsed = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    for line in sorted(to_canonical_graph(parsed).serialize(format="nt").splitlines()):
        if line.strip():
            yield f"{line.rstrip().removesuffix('.').rstrip()} {graph} .\n"


def _graphs(store: ox.Store | None, same: frozenset[str]) -> dict[str, int]:
    if store is None:
        return {}
    counts: dict[str, int] = {}
    for graph in store.named_graphs():
        if isinstance(graph, ox.NamedNode) and STATEMENT_GROUPS not in graph.value and graph.value not in same:
            counts[graph.value] = count_matches(store, f"GRAPH {graph} {{ ?s ?p ?o }}")
    return counts


class _Sink:
    """Where the changed triples go (as N-Quads lines), noting the IRI subjects they are about."""

    def __init__(self, added: IO[str], removed: IO[str]):
        self.files = {True: added, False: removed}
        self.subjects: set[str] | None = set()

    def write(self, line: str, added: bool) -> None:
        self.files[added].write(line)
        if self.subjects is not None:
            if line.startswith("<"):
                self.subjects.add(line[1 : line.index(">")])
            else:  # a blank node's triple: which entity it describes is not known here
                self.subjects = None


def _compare(new: ox.Store, old: ox.Store, graph: ox.NamedNode, sizes: tuple[int, int], sink: _Sink) -> tuple[int, int]:
    """Triples added and removed (written to `sink`); `sizes`: (new, old) triples."""
    before = {hash(line) for line in _lines(old, graph, sizes[1])}
    plus = 0
    for line in _lines(new, graph, sizes[0]):
        key = hash(line)
        if key in before:
            before.discard(key)
        else:
            sink.write(line, True)
            plus += 1
    minus = 0
    if before:
        for line in _lines(old, graph, sizes[1]):
            if hash(line) in before:
                sink.write(line, False)
                minus += 1
    return plus, minus


def _write_known(graph: ox.NamedNode, difference: Difference, sink: _Sink) -> tuple[int, int]:
    """Write a difference the build already knows (a patched graph's), as `_compare` would find it."""
    gone, new = difference
    for triple in new:
        sink.write(f"{triple} {graph} .\n", True)
    for triple in gone:
        sink.write(f"{triple} {graph} .\n", False)
    return len(new), len(gone)


def _blank(difference: Difference) -> bool:
    """Whether a difference involves blank nodes (their labels differ between builds: compared canonically instead)."""
    return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for side in difference for t in side)


def write_changes(
    new: ox.Store,
    old: ox.Store | None,
    build: str,
    previous: str | None,
    folder: Path,
    same: frozenset[str] = frozenset(),
    known: Mapping[str, Difference] | None = None,
) -> Changes:
    """Compare every source graph of `new` with `old` (None for a first build) and write the
    changes; the graphs in `same` are known to be unchanged (their content digests are equal),
    those in `known` to differ by the triples given (removed, added: an incremental build's patches)."""
    folder.mkdir(parents=True, exist_ok=True)
    after, earlier = _graphs(new, same), _graphs(old, same)
    sources = []
    with gzip.open(folder / ADDED, "wt", encoding="utf-8") as added, gzip.open(folder / REMOVED, "wt", encoding="utf-8") as gone:
        sink = _Sink(added, gone)
        for iri in sorted(after.keys() | earlier.keys()):
            size, size_before = after.get(iri, 0), earlier.get(iri, 0)
            if old is None:  # a first build adds everything: the dumps hold it, it is not listed again
                sources.append(SourceChange(iri, size, 0, size, 0))
                continue
            difference = (known or {}).get(iri)
            if difference is not None and not _blank(difference):  # a patched graph's, however large the graph
                plus, minus = _write_known(ox.NamedNode(iri), difference, sink)
            elif max(size, size_before) > ITEMISE_LIMIT:
                sources.append(SourceChange(iri, size, size_before, None, None))
                sink.subjects = None
                continue
            else:
                plus, minus = _compare(new, old, ox.NamedNode(iri), (size, size_before), sink)
            if plus or minus:
                sources.append(SourceChange(iri, size, size_before, plus, minus))
    touched = frozenset(sink.subjects) if old is not None and sink.subjects is not None else None
    changes = Changes(build, previous, sources, touched)
    record = {"build": build, "previous": previous, "sources": [asdict(source) for source in sources]}
    (folder / CHANGES).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return changes


def read_changes(folder: Path) -> Changes | None:
    """The changes a build recorded; None for a build made before changes were recorded."""
    path = folder / CHANGES
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Changes(data["build"], data["previous"], [SourceChange(**s) for s in data["sources"]])
