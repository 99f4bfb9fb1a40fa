"""Dumps of the published store in the usual RDF formats, each with size, triples and SHA-256.

N-Quads keeps the named graphs (one per source, plus provenance, ontology and shapes);
the triple formats hold the default graph, the merge of all but the shapes.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from loaders.core.provenance import sha256_of
from loaders.core.queries import count_matches
from loaders.core.vocab import PREFIXES


@dataclass(frozen=True)
class DumpFile:
    name: str
    media_type: str
    size: int
    triples: int
    sha256: str


QUADS_DUMP = "s3kg.nq.gz"  # every triple in the graph of its source
CHUNK_BYTES = 1 << 22  # how much of a graph's N-Triples is relabelled as N-Quads at a time
# name, media type, format, gzip?, quads?
FORMATS: tuple[tuple[str, str, ox.RdfFormat, bool, bool], ...] = (
    ("s3kg.nt.gz", "application/n-triples", ox.RdfFormat.N_TRIPLES, True, False),
    (QUADS_DUMP, "application/n-quads", ox.RdfFormat.N_QUADS, True, True),
    ("s3kg.ttl", "text/turtle", ox.RdfFormat.TURTLE, False, False),
    ("s3kg.jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, False, False),
)


def _write_named_graphs(store: ox.Store, handle: IO[bytes]) -> None:
    """N-Quads of the named graphs only (the default graph is their merge): each graph dumped as
    N-Triples by Oxigraph, its name added to every line. A line ends with " .\n" and nowhere
    else (N-Triples escapes newlines in literals), so the name goes before that ending."""
    with tempfile.TemporaryDirectory() as scratch:
        triples = Path(scratch) / "graph.nt"
        for graph in sorted(store.named_graphs(), key=str):
            store.dump(triples, ox.RdfFormat.N_TRIPLES, from_graph=graph)
            ending = f" {graph} .\n".encode()
            with triples.open("rb") as lines:
                rest = b""
                for chunk in iter(lambda: lines.read(CHUNK_BYTES), b""):
                    data = rest + chunk
                    cut = data.rfind(b"\n") + 1  # whole lines now, the partial one with the next chunk
                    handle.write(data[:cut].replace(b" .\n", ending))
                    rest = data[cut:]


def _write_one(store: ox.Store, out_dir: Path, name: str, fmt: ox.RdfFormat, gzipped: bool, quads: bool) -> None:
    partial = out_dir / f".{name}.partial"
    with partial.open("wb") as raw:
        # filename: the name `gunzip -N` restores is the published one (s3kg.nt), not the partial file's
        zipped = gzip.GzipFile(filename=name, fileobj=raw, mode="wb", mtime=0, compresslevel=6) if gzipped else None
        handle: IO[bytes] = cast(IO[bytes], zipped) if zipped is not None else raw
        if quads:
            _write_named_graphs(store, handle)
        else:
            prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD) else None
            store.dump(handle, fmt, from_graph=ox.DefaultGraph(), prefixes=prefixes)
        if gzipped:
            handle.close()
    partial.replace(out_dir / name)


def write_dumps(store: ox.Store, out_dir: Path) -> list[DumpFile]:
    """Write every dump and `manifest.json` into `out_dir`; return what was written. Oxigraph
    streams each dump to its file (no triples held in Python), two dumps at a time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:  # Oxigraph and zlib release the GIL while they work
        jobs = [pool.submit(_write_one, store, out_dir, name, fmt, gz, quads) for name, _, fmt, gz, quads in FORMATS]
        for job in jobs:
            job.result()
    triples, quads = count_matches(store, "?s ?p ?o"), count_matches(store, "GRAPH ?g { ?s ?p ?o }")
    written = [
        DumpFile(name, media_type, (out_dir / name).stat().st_size, quads if is_quads else triples, sha256_of(out_dir / name))
        for name, media_type, _, _, is_quads in FORMATS
    ]
    manifest = out_dir / "manifest.json"
    manifest.write_text(json.dumps([asdict(d) for d in written], indent=2), encoding="utf-8")
    return written
