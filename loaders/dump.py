"""Dumps of the published store in the usual RDF formats, each with size, triples and SHA-256.

N-Quads keeps the named graphs (one per source, plus provenance, ontology and shapes);
the triple formats hold the default graph, the merge of all but the shapes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from loaders.vocab import PREFIXES


@dataclass(frozen=True)
class DumpFile:
    name: str
    media_type: str
    size: int
    triples: int
    sha256: str


# name, media type, format, gzip?, quads?
FORMATS: tuple[tuple[str, str, ox.RdfFormat, bool, bool], ...] = (
    ("s3kg.nt.gz", "application/n-triples", ox.RdfFormat.N_TRIPLES, True, False),
    ("s3kg.nq.gz", "application/n-quads", ox.RdfFormat.N_QUADS, True, True),
    ("s3kg.ttl", "text/turtle", ox.RdfFormat.TURTLE, False, False),
    ("s3kg.jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, False, False),
)


def _default_graph_triples(store: ox.Store) -> Iterator[ox.Triple]:
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        yield quad.triple


def _named_graph_quads(store: ox.Store) -> Iterator[ox.Quad]:
    for graph in store.named_graphs():
        yield from store.quads_for_pattern(None, None, None, graph)


def _write(store: ox.Store, handle: IO[bytes], fmt: ox.RdfFormat, quads: bool) -> int:
    items: list[ox.Quad] | list[ox.Triple]
    items = list(_named_graph_quads(store)) if quads else list(_default_graph_triples(store))
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD) else None
    ox.serialize(items, handle, fmt, prefixes=prefixes)
    return len(items)


def write_dumps(store: ox.Store, out_dir: Path) -> list[DumpFile]:
    """Write every dump and `manifest.json` into `out_dir`; return what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[DumpFile] = []
    for name, media_type, fmt, gzipped, quads in FORMATS:
        path = out_dir / name
        partial = path.with_name(f".{name}.partial")
        with partial.open("wb") as raw:
            if gzipped:
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
                    count = _write(store, cast(IO[bytes], zipped), fmt, quads)
            else:
                count = _write(store, raw, fmt, quads)
        partial.replace(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        written.append(DumpFile(name, media_type, path.stat().st_size, count, digest))
    manifest = out_dir / "manifest.json"
    manifest.write_text(json.dumps([asdict(d) for d in written], indent=2), encoding="utf-8")
    return written
