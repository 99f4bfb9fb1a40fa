"""PROV-O description of each load: which file (and its SHA-256), which loader and
version, when. IRIs are minted from the graph id, so only the times change between
two builds of the same sources."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import PROV, SDO

from loaders.iris import IriMinter
from loaders.vocab import S3

LOADER_VERSION = "0.1.0"


@dataclass(frozen=True)
class LoadRecord:
    """One loader run that produced one named graph from one or more files."""

    graph_id: str
    loader: str  # e.g. "curated-yaml"
    files: tuple[tuple[str, Path], ...]  # (display name, path)
    started: datetime
    ended: datetime


def code_version() -> str:
    """A checksum of the loaders' own code: what maps the sources. Changes whenever any loader
    changes, so nothing mapped by older code is reused (LOADER_VERSION is the human-readable
    release, bumped by hand)."""
    code = sorted(Path(__file__).parent.rglob("*.py"))
    return hashlib.sha256("|".join(sha256_of(path) for path in code).encode()).hexdigest()


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read once per process for as long as the file is unchanged (a build
    asks for an export's checksum for its fingerprint, cache key, source IRI and provenance)."""
    stat = path.stat()
    return _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _sha256(path: Path, size: int, modified_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_load(load: LoadRecord, minter: IriMinter, graph: Graph) -> None:
    """Add the PROV-O description of `load` to `graph`."""
    named_graph = minter.graph(load.graph_id)
    activity = minter.entity("load", load.graph_id)
    agent = minter.entity("agent", load.loader)
    graph.add((named_graph, RDF.type, PROV.Entity))
    graph.add((named_graph, PROV.wasGeneratedBy, activity))
    graph.add((activity, RDF.type, PROV.Activity))
    graph.add((activity, RDFS.label, Literal(f"Load of {load.graph_id} by the {load.loader} loader", lang="en")))
    graph.add((activity, PROV.wasAssociatedWith, agent))
    graph.add((activity, PROV.startedAtTime, Literal(load.started.isoformat(), datatype=XSD.dateTime)))
    graph.add((activity, PROV.endedAtTime, Literal(load.ended.isoformat(), datatype=XSD.dateTime)))
    graph.add((agent, RDF.type, PROV.SoftwareAgent))
    graph.add((agent, RDFS.label, Literal(f"s3kg {load.loader} loader", lang="en")))
    graph.add((agent, SDO.softwareVersion, Literal(LOADER_VERSION)))
    for name, path in load.files:
        digest = sha256_of(path)
        file_entity = URIRef(minter.entity("file", digest))
        graph.add((file_entity, RDF.type, PROV.Entity))
        graph.add((file_entity, S3.fileName, Literal(name)))
        graph.add((file_entity, S3.sha256, Literal(digest, datatype=XSD.hexBinary)))
        graph.add((activity, PROV.used, file_entity))
        graph.add((named_graph, PROV.wasDerivedFrom, file_entity))
