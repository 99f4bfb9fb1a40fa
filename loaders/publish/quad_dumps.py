"""The N-Quads dump of the named graphs (`s3kg.nq.gz`), written graph by graph and, within a
graph, bucket by subject (as `loaders.publish.triple_dumps` does for the default graph): one gzip
member per bucket, the lines of each in order, so that the same graphs give the same bytes. Where
each member lies is recorded beside the dump (`s3kg.nq.gz.members.json`: graph IRI → a list of
[offset, length], one per bucket; a single [offset, length] in the files of earlier builds).

From the build a new one was made from: a graph carried over unchanged has its members copied;
a graph the build patched has copied the members no changed subject falls in, and the others
written again (the lines of untouched subjects kept, the touched subjects' triples read by key).
Other graphs (new, or derived and made again, whose blank nodes are labelled afresh) are written whole.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from loaders.core.queries import count_matches
from loaders.publish.triple_dumps import bucket_count, buckets_of, fresh_lines, gzip_member, kept_lines, read_at, split

QUADS_DUMP = "s3kg.nq.gz"  # every triple in the graph of its source
MEMBERS = "s3kg.nq.gz.members.json"
CHUNK_BYTES = 1 << 22  # copied at a time
Places = list[tuple[int, int]]


@dataclass(frozen=True)
class EarlierQuads:
    """An earlier build's dumps folder, the graphs carried over unchanged, the graphs patched and
    the subjects of every changed triple (None: unknown, the patched graphs are written whole)."""

    folder: Path
    same: frozenset[str]
    patched: frozenset[str]
    touched: frozenset[str] | None

    def members(self) -> dict[str, Places]:
        path = self.folder / MEMBERS
        if not path.is_file() or not (self.folder / QUADS_DUMP).is_file():
            return {}
        record = json.loads(path.read_text(encoding="utf-8"))
        return {
            graph: [(p[0], p[1]) for p in (places if isinstance(places[0], list) else [places])]
            for graph, places in record.items()
        }


def _copy(source: IO[bytes], target: IO[bytes], offset: int, length: int) -> None:
    """`length` bytes of `source` from `offset` on, appended to `target` a chunk at a time."""
    source.seek(offset)
    while length > 0:
        chunk = source.read(min(length, CHUNK_BYTES))
        if not chunk:
            raise OSError(f"{source.name} ends before its recorded member ({length} bytes short)")
        target.write(chunk)
        length -= len(chunk)


def _member(lines: list[bytes], graph: ox.NamedNode) -> bytes:
    """A bucket's N-Triples lines as one gzip member of N-Quads lines, in order. A line ends with
    " .\\n" and nowhere else (N-Triples escapes newlines in literals): the graph's name goes before it."""
    lines.sort()
    return gzip_member(b"".join(lines).replace(b" .\n", f" {graph} .\n".encode()), QUADS_DUMP)


def _whole(store: ox.Store, graph: ox.NamedNode, scratch: Path) -> list[bytes]:
    """A graph's members, written from the store."""
    count = bucket_count(count_matches(store, f"GRAPH {graph} {{ ?s ?p ?o }}"))
    members = []
    for path in split(store, graph, scratch, count):
        members.append(_member(path.read_bytes().splitlines(keepends=True), graph))
        path.unlink()
    return members


def _patched(store: ox.Store, graph: ox.NamedNode, old: IO[bytes], places: Places, touched: frozenset[str]) -> list[bytes]:
    """A patched graph's members: the earlier ones no touched subject falls in, the others again."""
    by_bucket = buckets_of(touched, len(places))
    suffix = f" {graph} .\n".encode()
    members = []
    for index, place in enumerate(places):
        data = read_at(old, place)
        subjects = by_bucket.get(index)
        if subjects is None:
            members.append(data)
            continue
        kept = [line[: -len(suffix)] + b" .\n" for line in kept_lines(gzip.decompress(data), subjects)]
        members.append(_member(kept + fresh_lines(store, subjects, graph), graph))
    return members


def write_quads(store: ox.Store, out_dir: Path, earlier: EarlierQuads | None) -> None:
    """The N-Quads dump of the named graphs only (the default graph is their merge), then where
    each member is."""
    known = earlier.members() if earlier is not None else {}
    places: dict[str, Places] = {}
    partial = out_dir / f".{QUADS_DUMP}.partial"
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch, partial.open("wb") as raw, ExitStack() as files:
        old = files.enter_context((earlier.folder / QUADS_DUMP).open("rb")) if earlier is not None and known else None
        touched = earlier.touched if earlier is not None else None
        patched = earlier.patched if earlier is not None else frozenset()
        for graph in sorted(store.named_graphs(), key=str):
            if not isinstance(graph, ox.NamedNode):  # never made by a build: every graph is named by an IRI
                raise ValueError(f"the store has a graph named by a blank node ({graph}): the dump names graphs by IRI")
            recorded = known.get(graph.value)
            placed: Places = []
            if old is not None and earlier is not None and recorded is not None and graph.value in earlier.same:
                for offset, length in recorded:
                    placed.append((raw.tell(), length))
                    _copy(old, raw, offset, length)
                places[graph.value] = placed
                continue
            if old is not None and recorded is not None and touched is not None and graph.value in patched:
                members = _patched(store, graph, old, recorded, touched)
            else:
                members = _whole(store, graph, Path(scratch))
            for member in members:
                placed.append((raw.tell(), len(member)))
                raw.write(member)
            places[graph.value] = placed
    (out_dir / f".{MEMBERS}.partial").write_text(json.dumps(places), encoding="utf-8")
    partial.replace(out_dir / QUADS_DUMP)
    (out_dir / f".{MEMBERS}.partial").replace(out_dir / MEMBERS)
