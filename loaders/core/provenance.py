"""PROV-O description of each load: which file (and its SHA-256), which loader and
version, when. IRIs are minted from the graph id; a load whose files and loader code are those
of the published build's load keeps that load's times (`Earlier`), so that rebuilding the same
sources gives the same graph, and the change feed announces no update that changed nothing."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import PROV, SDO

from loaders.core.iris import IriMinter
from loaders.core.vocab import S3

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
    code = sorted(Path(__file__).parent.parent.rglob("*.py"))
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


@dataclass(frozen=True)
class Earlier:
    """What the published build said of one load: the files it used, its loader's version, its times."""

    files: frozenset[str]
    version: str
    started: str
    ended: str


_EARLIER = """SELECT ?activity ?file ?version ?started ?ended WHERE {
  ?activity a <http://www.w3.org/ns/prov#Activity> ; <http://www.w3.org/ns/prov#used> ?file ;
    <http://www.w3.org/ns/prov#startedAtTime> ?started ; <http://www.w3.org/ns/prov#endedAtTime> ?ended ;
    <http://www.w3.org/ns/prov#wasAssociatedWith>/<https://schema.org/softwareVersion> ?version }"""


def earlier_loads(store: ox.Store | None) -> dict[str, Earlier]:
    """The loads the published build describes, by activity IRI (none for a first build)."""
    if store is None:
        return {}
    files: dict[str, set[str]] = {}
    rest: dict[str, tuple[str, str, str]] = {}
    solutions = store.query(_EARLIER)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        activity = row["activity"].value
        files.setdefault(activity, set()).add(row["file"].value)
        rest[activity] = (row["version"].value, row["started"].value, row["ended"].value)
    return {a: Earlier(frozenset(files[a]), *rest[a]) for a in rest}


def software_version() -> str:
    """The loaders' release and a short checksum of their code: a load by changed code is a new load."""
    return f"{LOADER_VERSION}+{code_version()[:12]}"


def describe_load(
    load: LoadRecord, minter: IriMinter, graph: Graph, earlier: dict[str, Earlier] | None = None, version: str | None = None
) -> None:
    """Add the PROV-O description of `load` to `graph`; with the same files and loader code as the
    published build's load of that graph (`earlier`), with that load's times. `version`: the
    loaders' `software_version()`, which a build reads once for all its loads."""
    named_graph = minter.graph(load.graph_id)
    activity = minter.entity("load", load.graph_id)
    agent = minter.entity("agent", load.loader)
    graph.add((named_graph, RDF.type, PROV.Entity))
    graph.add((named_graph, PROV.wasGeneratedBy, activity))
    graph.add((activity, RDF.type, PROV.Activity))
    graph.add((activity, RDFS.label, Literal(f"Load of {load.graph_id} by the {load.loader} loader", lang="en")))
    graph.add((activity, PROV.wasAssociatedWith, agent))
    version = version or software_version()
    files = [(name, sha256_of(path), URIRef(minter.entity("file", sha256_of(path)))) for name, path in load.files]
    before = (earlier or {}).get(str(activity))
    if before is not None and before.version == version and before.files == {str(f) for _, _, f in files}:
        started, ended = before.started, before.ended  # the same load as the published build's
    else:
        started, ended = load.started.isoformat(), load.ended.isoformat()
    graph.add((activity, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime)))
    graph.add((activity, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime)))
    graph.add((agent, RDF.type, PROV.SoftwareAgent))
    graph.add((agent, RDFS.label, Literal(f"s3kg {load.loader} loader", lang="en")))
    graph.add((agent, SDO.softwareVersion, Literal(version)))
    for name, digest, file_entity in files:
        graph.add((file_entity, RDF.type, PROV.Entity))
        graph.add((file_entity, S3.fileName, Literal(name)))
        graph.add((file_entity, S3.sha256, Literal(digest, datatype=XSD.hexBinary)))
        graph.add((activity, PROV.used, file_entity))
        graph.add((named_graph, PROV.wasDerivedFrom, file_entity))


def describe_rule(minter: IriMinter, provenance: Graph, graph_id: str, label: str, text: str) -> None:
    """The named graph a rule writes its links into, as generated by the rule (an activity with
    its label and what it does), so that every link says which rule made it."""
    graph, activity = minter.graph(graph_id), minter.entity("load", graph_id)
    provenance.add((graph, RDF.type, PROV.Entity))
    provenance.add((graph, PROV.wasGeneratedBy, activity))
    provenance.add((activity, RDF.type, PROV.Activity))
    provenance.add((activity, RDFS.label, Literal(label, lang="en")))
    provenance.add((activity, RDFS.comment, Literal(text, lang="en")))
