"""Incremental builds: a new build starts as a copy of the current one and replaces only the
source graphs whose content changed.

Every source graph has a digest of its content (`digest`), kept in the build's record with the
digests of what validation depends on (`Basis`: shapes, ontology, loader code, engine, base
IRI). The next build compares them (`plan`):

- a graph whose digest is the same is carried over as it is: not written, not compared for the
  changes, not validated again;
- a changed graph is compared triple by triple with its new content (a digest per triple) and
  only the difference is removed and added, so one changed row of a large export costs about
  reading that export, not reloading it;
- a new graph is written whole; a removed one is dropped (its triples leave the default graph
  unless another kept graph states them too);
- the graphs a build derives from the merged sources (reconciliation, matching, provenance,
  ontology, shapes) are always dropped before validation and made again after it, so that
  validation and linking see exactly the store a full build sees;
- validation checks only the focus nodes the changed triples can reach
  (`loaders.validate.reach`), unless the shapes, the ontology, the code or the engine changed:
  then it checks everything.

A change that drops graphs holding more than `MAX_DROPPED_SHARE` of the store's triples is built
from scratch: removing that many triples one by one costs more than loading them afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from loaders.core.provenance import sha256_of
from loaders.publish.line_diff import added_once, gone_once, line_difference
from loaders.publish.staging import Staging
from loaders.publish.store import BuildInfo, PublishedStore

MAX_DROPPED_SHARE = 0.25
KEPT_CHANGES = 500_000  # changed triples kept for the focus; beyond (reach's limit) validation is full


@dataclass(frozen=True)
class Basis:
    """What validation depends on besides the data: when one differs, everything is validated."""

    shapes: str
    ontology: str
    code: str
    engine: str
    base_iri: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def file_digest(paths: list[Path]) -> str:
    return hashlib.sha256("|".join(sha256_of(p) for p in sorted(paths)).encode()).hexdigest()


def digest(data: Graph | Path | bytes) -> str:
    """The content of a source graph as one checksum: an N-Triples file's SHA-256 (the mapping
    writes the same file for the same input), or that of a graph's sorted N-Triples lines."""
    if isinstance(data, Path):
        return "file:" + sha256_of(data)
    text = data.serialize(format="nt", encoding="utf-8") if isinstance(data, Graph) else data
    return "nt:" + hashlib.sha256(b"\n".join(sorted(text.splitlines()))).hexdigest()


@dataclass(frozen=True)
class Plan:
    """How a build is made from the current one (`base`)."""

    base: BuildInfo
    patch: frozenset[str]  # source graphs in the base whose content changed: their triples are compared and patched
    write: frozenset[str]  # new source graphs: written whole
    drop: frozenset[str]  # graphs dropped from the copy: removed sources and every derived graph
    same: frozenset[str]  # source graphs carried over unchanged
    full_validation: str | None  # why every node is validated (None: only what the change reaches)


def plan(published: PublishedStore, parts: Mapping[str, str], basis: Basis) -> Plan | None:
    """The plan for a build with these source graph digests, or None to build from scratch (no
    current build, one made before digests were kept, a different base IRI, or more than
    `MAX_DROPPED_SHARE` of the triples in graphs to drop)."""
    if not published.has_current():
        return None
    base = published.current()
    if not base.parts or base.basis.get("base_iri") != basis.base_iri:
        return None
    same = frozenset(iri for iri, value in parts.items() if base.parts.get(iri) == value)
    patch = frozenset(iri for iri in parts if iri not in same and iri in base.graphs)
    drop = frozenset(base.graphs) - same - patch
    if sum(base.graphs.get(iri, 0) for iri in drop) > MAX_DROPPED_SHARE * max(base.triples, 1):
        return None
    differs = [name for name, value in basis.as_dict().items() if base.basis.get(name) != value]
    reason = f"the {', '.join(differs)} changed" if differs else None
    return Plan(base, patch, frozenset(parts) - same - patch, drop, same, reason)


def apply(
    staging: Staging, todo: Plan, sources: Mapping[URIRef, Graph | Path | bytes], outside: frozenset[str]
) -> list[ox.Triple] | None:
    """Drop, patch and write the planned graphs in `staging` (a copy of the plan's base); return
    the merged source triples that changed, as they were and as they are (None: more than
    `KEPT_CHANGES`, too many to walk from)."""
    store = staging.store
    changed: list[ox.Triple] | None = []
    for iri in sorted(todo.drop & frozenset(todo.base.parts) - frozenset(todo.base.outside)):
        changed = _kept(changed, (q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(iri))))
    staging.drop(todo.drop)
    for iri, data in sources.items():
        merged = str(iri) not in outside
        if str(iri) in todo.patch:
            before = todo.base.parts[str(iri)]
            kept = staging.kept_file(todo.base.build_id, before.removeprefix("file:")) if before.startswith("file:") else None
            if isinstance(data, Path) and kept is not None:
                removed, added = _line_difference(kept, data)
                staging.keep_file(data)
            else:
                removed, added = _difference(store, ox.NamedNode(str(iri)), data)
            staging.patch(str(iri), removed, added, merged)
            if merged:
                changed = _kept(changed, [*removed, *added])
        elif str(iri) in todo.write:
            staging.add(iri, data, in_default=merged)
            if merged:
                changed = _kept(changed, _triples(data))
        elif isinstance(data, Path):  # unchanged: kept with this build too, for the next one to compare with
            staging.keep_file(data)
    return changed


def _key(triple: ox.Triple) -> bytes:
    """A triple's 128-bit digest: a collision (which would hide a change) is out of reach."""
    return hashlib.blake2b(str(triple).encode(), digest_size=16).digest()


def _difference(store: ox.Store, graph: ox.NamedNode, data: Graph | Path | bytes) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """The triples of `graph` in `store` that `data` no longer has, and those it adds (each once,
    however often `data` repeats it); memory holds a digest per triple of the graph, not the triples."""
    before = dict.fromkeys((_key(q.triple) for q in store.quads_for_pattern(None, None, None, graph)), False)
    added = added_once(before, ((_key(triple), triple) for triple in _triples(data)))
    removed = gone_once(before, ((_key(q.triple), q.triple) for q in store.quads_for_pattern(None, None, None, graph)))
    return removed, added


def _kept(kept: list[ox.Triple] | None, more: Iterable[ox.Triple]) -> list[ox.Triple] | None:
    if kept is None:
        return None
    for triple in more:
        kept.append(triple)
        if len(kept) > KEPT_CHANGES:
            return None
    return kept


def _line_difference(before: Path, after: Path) -> tuple[list[ox.Triple], list[ox.Triple]]:
    """The triples of the N-Triples file `before` that `after` no longer has, and those it adds
    (`loaders.publish.line_diff`: both written by the same mapping); only those lines are parsed."""
    removed, added = line_difference(before, after)
    return _parsed(removed), _parsed(added)


def _parsed(lines: list[bytes]) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(b"\n".join(lines) + b"\n", format=ox.RdfFormat.N_TRIPLES)] if lines else []


def _triples(data: Graph | Path | bytes) -> Iterator[ox.Triple]:
    if isinstance(data, Path):
        yield from (q.triple for q in ox.parse(path=str(data), format=ox.RdfFormat.N_TRIPLES))
        return
    text = data.serialize(format="nt", encoding="utf-8") if isinstance(data, Graph) else data
    yield from (q.triple for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
