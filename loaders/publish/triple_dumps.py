"""The dumps of the default graph (N-Triples gzipped, Turtle, JSON-LD), written bucket by bucket so
that a build which changed a few subjects writes only their buckets again.

A triple's bucket is a checksum of its subject (CRC-32 of its N-Triples form) modulo the number of
buckets, chosen from the graph's size when the dumps are first written. Within a bucket the
triples are in the order of their N-Triples lines, so the same graph always gives the same bytes,
whether written whole or patched. Each file is its buckets in turn, and where each bucket lies in
each file is recorded beside them (`s3kg.buckets.json`):

- `s3kg.nt.gz`: one gzip member per bucket (a valid gzip file: readers decompress the members in turn);
- `s3kg.ttl`: the prefixes once, then each bucket's Turtle without them;
- `s3kg.jsonld`: one JSON array of node objects, each bucket's nodes in turn.

A whole write serialises its buckets in several processes (spawned: the store stays in this
one), each given a bucket's lines and returning its three parts, which are written in bucket
order: the bytes are the same however many processes there are.

A patch takes the earlier build's files and `touched`, the subjects of every changed triple: a
bucket none of them falls in is copied byte for byte; in the others, the lines of untouched
subjects are kept and the touched subjects' triples read from the store by key.
"""

from __future__ import annotations

import gzip
import io
import json
import multiprocessing
import tempfile
import zlib
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from loaders.core.cores import usable_cores
from loaders.core.vocab import PREFIXES

NT, TTL, JSONLD = "s3kg.nt.gz", "s3kg.ttl", "s3kg.jsonld"
BUCKETS_FILE = "s3kg.buckets.json"  # {"buckets": n, "files": {file: [[offset, length], ...]}}
TRIPLES_PER_BUCKET = 50_000
MAX_BUCKETS = 256  # files open at once while the graph is split
PARALLEL_FROM = 32  # buckets (1.6 M triples and more) that a whole write serialises in several processes
MAX_PROCESSES = 8
HEADER = "".join(f"@prefix {name}: <{namespace}> .\n" for name, namespace in PREFIXES.items()).encode()


def bucket_count(triples: int) -> int:
    """A power of two near `triples` / TRIPLES_PER_BUCKET, at most MAX_BUCKETS."""
    count = 1
    while count * TRIPLES_PER_BUCKET < triples and count < MAX_BUCKETS:
        count *= 2
    return count


def bucket_of(subject: bytes, count: int) -> int:
    """The bucket of a subject, by its N-Triples form."""
    return zlib.crc32(subject) % count


def buckets_of(touched: Iterable[str], count: int) -> dict[int, set[bytes]]:
    """The touched IRIs in their N-Triples form, by bucket."""
    found: dict[int, set[bytes]] = {}
    for subject in touched:
        key = f"<{subject}>".encode()
        found.setdefault(bucket_of(key, count), set()).add(key)
    return found


def gzip_member(data: bytes, name: str) -> bytes:
    """`data` as one gzip member, the same bytes every time (no time stamp); `name` is the file
    name `gunzip -N` restores: the published one, not the partial file's."""
    packed = io.BytesIO()
    with gzip.GzipFile(filename=name, fileobj=packed, mode="wb", mtime=0, compresslevel=6) as zipped:
        zipped.write(data)
    return packed.getvalue()


def read_at(source: IO[bytes], place: tuple[int, int]) -> bytes:
    """The `place` (offset, length) of an earlier build's file: a recorded bucket or member."""
    source.seek(place[0])
    data = source.read(place[1])
    if len(data) != place[1]:
        raise OSError(f"{source.name} ends before its recorded part ({place[1] - len(data)} bytes short)")
    return data


def kept_lines(text: bytes, touched: set[bytes]) -> list[bytes]:
    """A bucket's lines (N-Triples or N-Quads) whose subject is not touched."""
    return [line for line in text.splitlines(keepends=True) if line[: line.index(b" ")] not in touched]


@dataclass(frozen=True)
class Earlier:
    """An earlier build's default-graph dumps, and the subjects whose triples changed since."""

    folder: Path
    touched: frozenset[str]

    def places(self) -> tuple[int, dict[str, list[tuple[int, int]]]] | None:
        path = self.folder / BUCKETS_FILE
        if not path.is_file() or not all((self.folder / name).is_file() for name in (NT, TTL, JSONLD)):
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
        return record["buckets"], {name: [(p[0], p[1]) for p in places] for name, places in record["files"].items()}


def _without_prefixes(turtle: bytes) -> bytes:
    """Oxigraph's Turtle less its prefix lines, which come first, in an order of its own: the file
    declares them once, in ours."""
    if not turtle:
        return turtle
    lines = turtle.split(b"\n", len(PREFIXES))
    if len(lines) <= len(PREFIXES) or not all(line.startswith(b"@prefix ") for line in lines[:-1]):
        raise ValueError("Oxigraph's Turtle no longer begins with the prefixes it was given")
    return lines[-1]


class _Writer:
    """The three files being written, a bucket at a time, with where each bucket went."""

    def __init__(self, out_dir: Path, files: ExitStack):
        self.out_dir = out_dir
        self.handles = {name: files.enter_context((out_dir / f".{name}.partial").open("wb")) for name in (NT, TTL, JSONLD)}
        self.places: dict[str, list[tuple[int, int]]] = {name: [] for name in (NT, TTL, JSONLD)}
        self.handles[TTL].write(HEADER)
        self.handles[JSONLD].write(b"[")
        self.nodes = 0  # JSON-LD buckets written so far (a comma goes between two)

    def parts(self, made: tuple[bytes, bytes, bytes]) -> None:
        """A bucket's parts of the three files, as `bucket_parts` makes them."""
        for name, data in zip((NT, TTL, JSONLD), made, strict=True):
            self._put(name, data)

    def copy(self, name: str, source: IO[bytes], place: tuple[int, int]) -> None:
        self._put(name, read_at(source, place))

    def _put(self, name: str, data: bytes) -> None:
        handle = self.handles[name]
        if name == JSONLD and data:
            if self.nodes:
                handle.write(b",\n")
            self.nodes += 1
        self.places[name].append((handle.tell(), len(data)))
        handle.write(data)

    def finish(self, count: int) -> None:
        self.handles[JSONLD].write(b"]\n")
        for handle in self.handles.values():
            handle.flush()
        record = {"buckets": count, "files": self.places}
        (self.out_dir / f".{BUCKETS_FILE}.partial").write_text(json.dumps(record), encoding="utf-8")

    def publish(self) -> None:
        for name in (NT, TTL, JSONLD, BUCKETS_FILE):
            (self.out_dir / f".{name}.partial").replace(self.out_dir / name)


def bucket_parts(lines: list[bytes]) -> tuple[bytes, bytes, bytes]:
    """A bucket's gzip member, Turtle (without the prefixes) and JSON-LD nodes (without the
    array's brackets) from its N-Triples lines (each ending with a newline), in their order."""
    text = b"".join(sorted(lines))
    triples = list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES)) if text else []
    turtle = _without_prefixes(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b"")
    nodes = (ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"[]").strip()
    if not (nodes.startswith(b"[") and nodes.endswith(b"]")):
        raise ValueError("Oxigraph's JSON-LD is no longer an array of node objects")
    return gzip_member(text, NT), turtle, nodes[1:-1]


def _parts_of_file(path: Path) -> tuple[bytes, bytes, bytes]:
    """A split bucket's parts (its file removed): what each worker process is given to do."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.unlink()
    return bucket_parts(lines)


def processes_for(buckets: int) -> int:
    """Processes writing a whole graph's buckets: one per core this process may use, when there
    are enough buckets for starting them to pay (PARALLEL_FROM)."""
    return min(usable_cores(), MAX_PROCESSES) if buckets >= PARALLEL_FROM else 1


def split(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph, scratch: Path, count: int) -> list[Path]:
    """A graph's N-Triples lines, one file per bucket (written by Oxigraph, split here)."""
    whole = scratch / "graph.nt"
    store.dump(whole, ox.RdfFormat.N_TRIPLES, from_graph=graph)
    paths = [scratch / f"bucket-{i}.nt" for i in range(count)]
    with ExitStack() as files, whole.open("rb") as lines:
        outs = [files.enter_context(path.open("wb")) for path in paths]
        for line in lines:
            outs[bucket_of(line[: line.index(b" ")], count)].write(line)
    whole.unlink()
    return paths


def fresh_lines(store: ox.Store, subjects: Iterable[bytes], graph: ox.NamedNode | ox.DefaultGraph) -> list[bytes]:
    """The triples of these subjects (N-Triples IRIs) in `graph` now, as N-Triples lines."""
    lines: list[bytes] = []
    for key in subjects:
        triples = [q.triple for q in store.quads_for_pattern(ox.NamedNode(key[1:-1].decode()), None, None, graph)]
        if triples:
            lines.extend((ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").splitlines(keepends=True))
    return lines


def write_triple_dumps(
    store: ox.Store, out_dir: Path, triples: int, earlier: Earlier | None = None, processes: int | None = None
) -> None:
    """Write the default graph's three dumps into `out_dir` (`triples`: its size); with `earlier`,
    patched from that build's: only the buckets of touched subjects are written again. A whole
    write serialises its buckets in `processes` processes (None: `processes_for`); the bytes
    are the same however many."""
    known = earlier.places() if earlier is not None else None
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch, ExitStack() as files:
        writer = _Writer(out_dir, files)
        if earlier is None or known is None:
            count = bucket_count(triples)
            paths = split(store, ox.DefaultGraph(), Path(scratch), count)
            workers = processes if processes is not None else processes_for(count)
            if workers > 1:  # spawned, not forked: the store's threads stay in this process
                with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                    for made in pool.map(_parts_of_file, paths):  # in bucket order, as they finish
                        writer.parts(made)
            else:
                for path in paths:
                    writer.parts(_parts_of_file(path))
        else:
            count, places = known
            _patch(store, earlier, count, places, writer, files)
        writer.finish(count)
    writer.publish()


def _patch(
    store: ox.Store, earlier: Earlier, count: int, places: dict[str, list[tuple[int, int]]], writer: _Writer, files: ExitStack
) -> None:
    olds = {name: files.enter_context((earlier.folder / name).open("rb")) for name in (NT, TTL, JSONLD)}
    by_bucket = buckets_of(earlier.touched, count)
    for index in range(count):
        touched = by_bucket.get(index)
        if touched is None:
            for name, source in olds.items():
                writer.copy(name, source, places[name][index])
            continue
        text = gzip.decompress(read_at(olds[NT], places[NT][index]))
        writer.parts(bucket_parts(kept_lines(text, touched) + fresh_lines(store, touched, ox.DefaultGraph())))
