"""The quoted source documents, published with each build beside its dumps.

A passage's positions are positions in one version of a file (its SHA-256 is in the graph), so
the build keeps that version: `sources/<document id><suffix>` in the build's folder, byte for
byte. The server serves them at /sources/<document id>, where `#char=start,end` (RFC 5147)
marks the passage.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox

from loaders.core.iris import is_valid_id
from loaders.core.provenance import sha256_of
from loaders.core.vocab import OA, S3

FOLDER = "sources"  # the folder in a build, and the URL path (/sources/) they are served under: kept for stable links
QUOTED = f"""SELECT DISTINCT ?document ?name ?sha WHERE {{
    ?passage <{OA.hasSource}> ?document .
    ?document <{S3.fileName}> ?name ; <{S3.sha256}> ?sha .
}}"""


class DocumentChanged(Exception):
    """A quoted file changed while the build ran: its passages would point at other words."""


def document_id(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def write_documents(store: ox.Store, data_dir: Path, folder: Path) -> list[Path]:
    """Copy every quoted document into `folder`, checking it is the version the passages were
    found in; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    solutions = store.query(QUOTED)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        document, name, sha = row["document"], row["name"], row["sha"]
        assert isinstance(document, ox.NamedNode) and isinstance(name, ox.Literal) and isinstance(sha, ox.Literal)
        source = data_dir / name.value
        target = folder / (document_id(document.value) + source.suffix)
        shutil.copyfile(source, target)
        if sha256_of(target) != sha.value:
            raise DocumentChanged(f"{name.value} changed while the build ran; build again.")
        written.append(target)
    return written


def find_document(folder: Path, document: str) -> Path | None:
    """The published copy of a document in a build's folder, by document id; None if there is none."""
    if not is_valid_id(document):
        return None
    return next((path for path in sorted(folder.glob(f"{document}.*")) if path.stem == document), None)
