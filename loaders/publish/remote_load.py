"""How a build's graphs reach a remote engine: through the engine's own bulk loader where it has one
(issue 26), else by Graph Store Protocol or SPARQL Update in chunks.

- **Oxigraph server**: one streaming Graph Store Protocol POST per graph with `no_transaction`
  and `lenient`, which Oxigraph hands to its bulk loader (the triples were parsed and validated
  here; its transactional path writes each chunk in a transaction of its own).
- **Virtuoso beside the build** (`load_dir` and `sql_address` set): each graph is written as
  gzipped N-Triples into a folder of its own under `load_dir` (one Virtuoso may read: its
  `DirsAllowed`), then loaded by `ld_add` and `rdf_loader_run` through Virtuoso's `isql`.
- **Any engine**: Graph Store Protocol POST (or INSERT DATA) of 50,000 triples at a time.

None of these is atomic, nor needs to be: a build's graphs have names of their own and become
visible only when the control graph's pointer is switched, after their counts are checked
(`remote_upload.publish_remote`).

    with closing(graph_load(engine, build_id)) as load:
        sent = load.add(graph_name, store.quads_for_pattern(None, None, None, graph))
        load.finish()
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from loaders.publish.remote import EngineRefused, RemoteEngine, ntriples_chunks, refusal, transport_errors

CHUNK_TRIPLES = 50_000
ISQL = ("isql-vt", "isql")  # Debian's name for Virtuoso's isql, then the upstream one


class BulkLoadFailed(Exception):
    """The engine's bulk loader refused a file: nothing of this build is made current."""


class GraphLoad(Protocol):
    def add(self, name: str, quads: Iterator[ox.Quad]) -> int:
        """Send a graph's triples under `name` (or stage them); how many were sent."""

    def finish(self) -> None:
        """Load what was staged; after it every graph added is in the engine."""

    def close(self) -> None:
        """Remove what was staged (after `finish`, or after a failure)."""


class ChunkedUpload:
    """Graph Store Protocol POST (or INSERT DATA) of `CHUNK_TRIPLES` triples at a time."""

    def __init__(self, engine: RemoteEngine):
        self.engine = engine

    def add(self, name: str, quads: Iterator[ox.Quad]) -> int:
        sent = 0
        for chunk, triples in ntriples_chunks(quads, CHUNK_TRIPLES):
            self.engine.add(name, chunk)
            sent += triples
        return sent

    def finish(self) -> None:
        return None

    def close(self) -> None:
        return None


class OxigraphBulk(ChunkedUpload):
    """One streaming POST per graph into Oxigraph's bulk loader."""

    def add(self, name: str, quads: Iterator[ox.Quad]) -> int:
        sent = 0

        def body() -> Iterator[bytes]:
            nonlocal sent
            for chunk, triples in ntriples_chunks(quads, CHUNK_TRIPLES):
                sent += triples
                yield chunk

        url = self.engine.target.store_url
        assert url is not None  # chosen only with one (`graph_load`)
        params = {"graph": name, "no_transaction": "", "lenient": ""}
        with transport_errors(url):
            answer = self.engine.client.post(
                url, params=params, content=body(), headers={"Content-Type": "application/n-triples"}
            )
        if answer.status_code >= 400:
            raise refusal(url, answer.status_code, answer.text.strip())
        return sent


def _sql_text(value: str) -> str:
    """A string literal of Virtuoso's SQL."""
    return "'" + value.replace("'", "''") + "'"


class VirtuosoBulk:
    """Files under `load_dir`, loaded by Virtuoso's own loader through isql."""

    def __init__(self, engine: RemoteEngine, build_id: str):
        target = engine.target
        assert target.load_dir is not None and target.sql_address is not None  # chosen only with both
        self.target = target
        self.folder = Path(target.load_dir) / f"s3kg-{build_id}"
        self.files: list[tuple[Path, str]] = []
        isql = next((found for name in ISQL if (found := shutil.which(name))), None)
        if isql is None:
            raise BulkLoadFailed(
                "Virtuoso's isql (isql-vt) is not on the PATH: install virtuoso-opensource, or unset sparql_load_dir."
            )
        self.isql, self.address = isql, target.sql_address

    def add(self, name: str, quads: Iterator[ox.Quad]) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        file = self.folder / f"{len(self.files)}.nt.gz"
        sent = 0
        with gzip.open(file, "wb", compresslevel=1) as out:
            for chunk, triples in ntriples_chunks(quads, CHUNK_TRIPLES):
                out.write(chunk)
                sent += triples
        self.files.append((file, name))
        return sent

    def finish(self) -> None:
        """ld_add each file to its graph, run the loader, checkpoint; then the loader's own record
        of each file says whether it loaded (a file it refused fails the publish, naming why)."""
        folder = _sql_text(str(self.folder) + "/%")
        script = "".join(f"ld_add({_sql_text(str(file))}, {_sql_text(graph)});\n" for file, graph in self.files)
        script += "rdf_loader_run();\ncheckpoint;\n"
        script += f"SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_file LIKE {folder} AND ll_error IS NOT NULL;\n"
        script += f"DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file LIKE {folder};\n"
        user, password = self.target.user or "dba", self.target.password or ""
        command = [self.isql, self.address, user, password, "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"]
        done = subprocess.run(command, input=script.encode(), capture_output=True, check=False)
        said = (done.stdout + done.stderr).decode("utf-8", "replace")
        refused = [line for line in said.splitlines() if line.startswith(str(self.folder))]
        if done.returncode != 0 or "*** Error" in said or refused:
            detail = "; ".join(refused) or said.strip()[-500:]
            if "28000" in said:  # Virtuoso's SQL state for a bad login
                raise EngineRefused(401, f"Virtuoso's SQL port at {self.address} refused the credentials.")
            raise BulkLoadFailed(f"Virtuoso's bulk loader at {self.address} failed: {detail}")

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def graph_load(engine: RemoteEngine, build_id: str) -> GraphLoad:
    """The way this engine loads a build's graphs (see the module's docstring)."""
    target = engine.target
    if target.engine == "virtuoso" and target.load_dir is not None and target.sql_address is not None:
        return VirtuosoBulk(engine, build_id)
    if target.engine == "oxigraph" and target.store_url is not None:
        return OxigraphBulk(engine)
    return ChunkedUpload(engine)
