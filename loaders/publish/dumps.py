"""Dumps of the published store in the usual RDF formats, each with size, triples and SHA-256.

N-Quads keeps the named graphs (one per source, plus provenance, ontology and shapes);
the triple formats hold the default graph, the merge of all but the shapes.

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
from loaders.core.vocab import PREFIXES
from loaders.publish.space import share


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
    whether the default graph is the same (no merged graph changed: its triple dumps are kept)."""

    folder: Path
    same: frozenset[str]
    default_same: bool = False

    def members(self) -> dict[str, tuple[int, int]]:
        path = self.folder / MEMBERS
        if not path.is_file() or not (self.folder / QUADS_DUMP).is_file():
            return {}
        return {graph: (place[0], place[1]) for graph, place in json.loads(path.read_text(encoding="utf-8")).items()}


CHUNK_BYTES = 1 << 22  # how much of a graph's N-Triples is relabelled as N-Quads at a time
# name, media type, format, gzip?, quads?
FORMATS: tuple[tuple[str, str, ox.RdfFormat, bool, bool], ...] = (
    ("s3kg.nt.gz", "application/n-triples", ox.RdfFormat.N_TRIPLES, True, False),
    (QUADS_DUMP, "application/n-quads", ox.RdfFormat.N_QUADS, True, True),
    ("s3kg.ttl", "text/turtle", ox.RdfFormat.TURTLE, False, False),
    ("s3kg.jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, False, False),
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


def _write_one(store: ox.Store, out_dir: Path, name: str, fmt: ox.RdfFormat, gzipped: bool, reuse: Reuse | None) -> None:
    if fmt == ox.RdfFormat.N_QUADS:
        _write_quads(store, out_dir, reuse)
        return
    partial = out_dir / f".{name}.partial"
    if reuse is not None and reuse.default_same and (reuse.folder / name).is_file():
        share(reuse.folder / name, partial)
        partial.replace(out_dir / name)
        return
    with partial.open("wb") as raw:
        # filename: the name `gunzip -N` restores is the published one (s3kg.nt), not the partial file's
        zipped = gzip.GzipFile(filename=name, fileobj=raw, mode="wb", mtime=0, compresslevel=6) if gzipped else None
        handle: IO[bytes] = cast(IO[bytes], zipped) if zipped is not None else raw
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD) else None
        store.dump(handle, fmt, from_graph=ox.DefaultGraph(), prefixes=prefixes)
        if gzipped:
            handle.close()
    partial.replace(out_dir / name)


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
    """Write every dump and `manifest.json` into `out_dir`; return what was written. Oxigraph
    streams each dump to its file (no triples held in Python), two dumps at a time; with `reuse`,
    the N-Quads of the graphs carried over unchanged are copied from the build before, and its
    triple dumps linked when the default graph is the same."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:  # Oxigraph and zlib release the GIL while they work
        jobs = [pool.submit(_write_one, store, out_dir, name, fmt, gz, reuse) for name, _, fmt, gz, _ in FORMATS]
        for job in jobs:
            job.result()
    triples, quads = count_matches(store, "?s ?p ?o"), count_matches(store, "GRAPH ?g { ?s ?p ?o }")
    known = _linked_digests(out_dir, reuse)
    written = []
    for name, media_type, _, _, is_quads in FORMATS:
        path = out_dir / name
        digest = known.get(name) or sha256_of(path)
        written.append(DumpFile(name, media_type, path.stat().st_size, quads if is_quads else triples, digest))
    manifest = out_dir / "manifest.json"
    manifest.write_text(json.dumps([asdict(d) for d in written], indent=2), encoding="utf-8")
    return written
