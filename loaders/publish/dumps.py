"""Dumps of the published store in the usual RDF formats, each with size, triples and SHA-256.

N-Quads keeps the named graphs (one per source, plus provenance, ontology and shapes);
the triple formats hold the default graph, the merge of all but the shapes
(`loaders.publish.triple_dumps`: written by subject bucket, patched where subjects changed).

When no merged graph changed since the build a new one was made from, its default graph is the
same, and so are its triple dumps: they are linked from that build, not serialised again.

The N-Quads dump (`loaders.publish.quad_dumps`) is gzip members by graph and subject bucket: a
build copies the members of the graphs it carried over unchanged, and of the buckets of its
patched graphs that no changed subject falls in.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from loaders.core.provenance import sha256_of
from loaders.core.queries import count_matches
from loaders.publish.quad_dumps import QUADS_DUMP, EarlierQuads, write_quads
from loaders.publish.space import share
from loaders.publish.triple_dumps import BUCKETS_FILE, JSONLD, NT, TTL, Earlier, write_triple_dumps


@dataclass(frozen=True)
class DumpFile:
    name: str
    media_type: str
    size: int
    triples: int
    sha256: str


@dataclass(frozen=True)
class Reuse:
    """The build a new one was made from: its dumps folder, the graphs carried over unchanged, the
    graphs patched, and the subjects of the triples changed since, when known (none: the default
    graph is the same, its triple dumps are kept; None: unknown, they are written whole)."""

    folder: Path
    same: frozenset[str]
    touched: frozenset[str] | None = None
    patched: frozenset[str] = frozenset()

    @property
    def default_same(self) -> bool:
        return self.touched is not None and not self.touched


# name, media type, quads?
FORMATS: tuple[tuple[str, str, bool], ...] = (
    (NT, "application/n-triples", False),
    (QUADS_DUMP, "application/n-quads", True),
    (TTL, "text/turtle", False),
    (JSONLD, "application/ld+json", False),
)


def _write_quads(store: ox.Store, out_dir: Path, reuse: Reuse | None) -> None:
    earlier = EarlierQuads(reuse.folder, reuse.same, reuse.patched, reuse.touched) if reuse is not None else None
    write_quads(store, out_dir, earlier)


def _write_triples(store: ox.Store, out_dir: Path, triples: int, reuse: Reuse | None) -> None:
    """The default graph's dumps: linked from the earlier build when it is the same, patched from
    them when the changed subjects are known, else written whole."""
    names = (NT, TTL, JSONLD, BUCKETS_FILE)
    if reuse is not None and reuse.default_same and all((reuse.folder / name).is_file() for name in names):
        for name in names:
            share(reuse.folder / name, out_dir / f".{name}.partial")
        for name in names:
            (out_dir / f".{name}.partial").replace(out_dir / name)
        return
    earlier = Earlier(reuse.folder, reuse.touched) if reuse is not None and reuse.touched is not None else None
    write_triple_dumps(store, out_dir, triples, earlier)


def _linked_digests(out_dir: Path, reuse: Reuse | None) -> dict[str, str]:
    """The SHA-256 the earlier build recorded for each dump now linked from it (the same file)."""
    manifest = reuse.folder / "manifest.json" if reuse is not None else None
    if manifest is None or not manifest.is_file():
        return {}
    recorded = {entry["name"]: entry["sha256"] for entry in json.loads(manifest.read_text(encoding="utf-8"))}
    return {
        name: digest
        for name, digest in recorded.items()
        if (out_dir / name).is_file() and (manifest.parent / name).is_file() and (out_dir / name).samefile(manifest.parent / name)
    }


def write_dumps(store: ox.Store, out_dir: Path, reuse: Reuse | None = None) -> list[DumpFile]:
    """Write every dump and `manifest.json` into `out_dir`; return what was written. The N-Quads
    and the triple formats are written side by side; with `reuse`, the N-Quads of the graphs
    carried over unchanged are copied from the build before, and its triple dumps linked when the
    default graph is the same, or patched where it changed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    triples, quads = count_matches(store, "?s ?p ?o"), count_matches(store, "GRAPH ?g { ?s ?p ?o }")
    with ThreadPoolExecutor(max_workers=2) as pool:  # Oxigraph and zlib release the GIL while they work
        jobs = [pool.submit(_write_quads, store, out_dir, reuse), pool.submit(_write_triples, store, out_dir, triples, reuse)]
        for job in jobs:
            job.result()
    known = _linked_digests(out_dir, reuse)
    written = []
    for name, media_type, is_quads in FORMATS:
        path = out_dir / name
        digest = known.get(name) or sha256_of(path)
        written.append(DumpFile(name, media_type, path.stat().st_size, quads if is_quads else triples, digest))
    manifest = out_dir / "manifest.json"
    manifest.write_text(json.dumps([asdict(d) for d in written], indent=2), encoding="utf-8")
    return written
