"""Dumps of the published store in the usual RDF formats, each with size, triples and SHA-256.

N-Quads keeps the named graphs (one per source, plus provenance, ontology and shapes);
the triple formats hold the default graph, the merge of all but the shapes
(`loaders.publish.triple_dumps`: written by subject bucket, patched where subjects changed).

When no merged graph changed since the build a new one was made from, its default graph is the
same, and so are its triple dumps: they are linked from that build, not serialised again.

The N-Quads dump is one gzip member per graph (a valid gzip file: readers decompress the members
in turn), whose place in the file is recorded beside it (`s3kg.nq.gz.members.json`): a build that
carries a graph over unchanged from the build before copies that graph's compressed bytes.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from loaders.core.provenance import sha256_of
from loaders.core.queries import count_matches
from loaders.publish.space import share
from loaders.publish.triple_dumps import BUCKETS_FILE, JSONLD, NT, TTL, Earlier, write_triple_dumps


@dataclass(frozen=True)
class DumpFile:
    name: str
    media_type: str
    size: int
    triples: int
    sha256: str


QUADS_DUMP = "s3kg.nq.gz"  # every triple in the graph of its source
MEMBERS = "s3kg.nq.gz.members.json"  # graph IRI → [offset, length] of its gzip member in QUADS_DUMP


@dataclass(frozen=True)
class Reuse:
    """The build a new one was made from: its dumps folder, the graphs carried over unchanged, and
    the subjects of the triples changed since, when known (none: the default graph is the same,
    its triple dumps are kept; None: unknown, they are written whole)."""

    folder: Path
    same: frozenset[str]
    touched: frozenset[str] | None = None

    @property
    def default_same(self) -> bool:
        return self.touched is not None and not self.touched

    def members(self) -> dict[str, tuple[int, int]]:
        path = self.folder / MEMBERS
        if not path.is_file() or not (self.folder / QUADS_DUMP).is_file():
            return {}
        return {graph: (place[0], place[1]) for graph, place in json.loads(path.read_text(encoding="utf-8")).items()}


CHUNK_BYTES = 1 << 22  # how much of a graph's N-Triples is relabelled as N-Quads at a time
# name, media type, quads?
FORMATS: tuple[tuple[str, str, bool], ...] = (
    (NT, "application/n-triples", False),
    (QUADS_DUMP, "application/n-quads", True),
    (TTL, "text/turtle", False),
    (JSONLD, "application/ld+json", False),
)


def _write_graph(store: ox.Store, graph: ox.NamedNode | ox.BlankNode, handle: IO[bytes], scratch: Path) -> None:
    """A graph as N-Quads: dumped as N-Triples by Oxigraph, its name added to every line. A line
    ends with " .\n" and nowhere else (N-Triples escapes newlines in literals), so the name goes
    before that ending."""
    store.dump(scratch, ox.RdfFormat.N_TRIPLES, from_graph=graph)
    ending = f" {graph} .\n".encode()
    with scratch.open("rb") as lines:
        rest = b""
        for chunk in iter(lambda: lines.read(CHUNK_BYTES), b""):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1  # whole lines now, the partial one with the next chunk
            handle.write(data[:cut].replace(b" .\n", ending))
            rest = data[cut:]


def _copy(source: IO[bytes], target: IO[bytes], offset: int, length: int) -> None:
    """`length` bytes of `source` from `offset` on, appended to `target` a chunk at a time."""
    source.seek(offset)
    while length > 0:
        chunk = source.read(min(length, CHUNK_BYTES))
        if not chunk:
            raise OSError(f"{source.name} ends before its recorded member ({length} bytes short)")
        target.write(chunk)
        length -= len(chunk)


def _write_quads(store: ox.Store, out_dir: Path, reuse: Reuse | None) -> None:
    """The N-Quads dump of the named graphs only (the default graph is their merge), a gzip member
    per graph, the unchanged ones copied from the build before; then where each member is."""
    earlier = reuse.members() if reuse is not None else {}
    places: dict[str, tuple[int, int]] = {}
    partial = out_dir / f".{QUADS_DUMP}.partial"
    with tempfile.TemporaryDirectory() as scratch, partial.open("wb") as raw, ExitStack() as files:
        old = files.enter_context((reuse.folder / QUADS_DUMP).open("rb")) if reuse is not None and earlier else None
        for graph in sorted(store.named_graphs(), key=str):
            start = raw.tell()
            if old is not None and reuse is not None and graph.value in reuse.same and graph.value in earlier:
                _copy(old, raw, *earlier[graph.value])
            else:
                # filename: the name `gunzip -N` restores is the published one, not the partial file's
                with gzip.GzipFile(filename=QUADS_DUMP, fileobj=raw, mode="wb", mtime=0, compresslevel=6) as zipped:
                    _write_graph(store, graph, cast(IO[bytes], zipped), Path(scratch) / "graph.nt")
            places[graph.value] = (start, raw.tell() - start)
    (out_dir / f".{MEMBERS}.partial").write_text(json.dumps(places, indent=1), encoding="utf-8")
    partial.replace(out_dir / QUADS_DUMP)
    (out_dir / f".{MEMBERS}.partial").replace(out_dir / MEMBERS)


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
