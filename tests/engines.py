"""Real SPARQL engines for the tests, each started in a temporary folder and stopped after:
Oxigraph's server (PyPI's `oxigraph`, installed with the dev tools) and Virtuoso open source
(Debian's `virtuoso-opensource`, installed by ./test.sh where it runs as root)."""

from __future__ import annotations

import ctypes
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from live_server import free_port

from loaders.publish.remote import RemoteTarget

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
VIRTUOSO = shutil.which("virtuoso-t") or "/usr/bin/virtuoso-t"
VSP = Path("/var/lib/virtuoso-opensource-7/vsp")  # Debian's; Virtuoso wants a web root, serves nothing from it here
VIRTUOSO_PASSWORD = "dba"  # the password of a new Virtuoso database's dba account
ENGINE_TIMEOUT = 10  # seconds: the engines' own query time limit
PR_SET_PDEATHSIG = 1


class EngineMissing(Exception):
    pass


def _die_with_parent() -> None:
    """In the engine's process before it starts: stop it when the test session ends, even killed."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class RunningEngine:
    name: str
    target: RemoteTarget
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the engine exited ({process.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the engine at {url} did not come up in {seconds:g} s: {log.read_text(errors='replace')[-2000:]}")


def start_oxigraph(folder: Path, port: int | None = None) -> RunningEngine:
    if not OXIGRAPH.exists():
        raise EngineMissing(f"{OXIGRAPH} is missing: install the dev tools (pip install -e '.[dev]')")
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "oxigraph.log"
    command = [str(OXIGRAPH), "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"]
    command += ["--timeout-s", str(ENGINE_TIMEOUT)]
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    _wait_until_up(f"{base}/query", process, log)
    target = RemoteTarget(f"{base}/query", f"{base}/update", f"{base}/store", "oxigraph", timeout=ENGINE_TIMEOUT)
    return RunningEngine("oxigraph", target, process, folder)


def start_virtuoso(folder: Path, port: int | None = None) -> RunningEngine:
    if not Path(VIRTUOSO).exists():
        raise EngineMissing("Virtuoso is missing: install Debian's 'virtuoso-opensource' package (./test.sh does, as root)")
    port = port or free_port()
    sql_port = free_port()
    db = folder / "db"
    db.mkdir(parents=True, exist_ok=True)
    ini = folder / "virtuoso.ini"
    ini.write_text(
        f"""[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = {folder}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
CaseMode = 2
MaxSortedTopRows = 2000001
[HTTPServer]
ServerPort = 127.0.0.1:{port}
ServerRoot = {VSP}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 2000000
MaxQueryExecutionTime = {ENGINE_TIMEOUT}
MaxQueryCostEstimationTime = 0
""",
        encoding="utf-8",
    )
    log = folder / "virtuoso.out"
    process = subprocess.Popen(
        [VIRTUOSO, "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(f"{base}/sparql", process, log)
    target = RemoteTarget(
        f"{base}/sparql",
        f"{base}/sparql-auth",
        f"{base}/sparql-graph-crud-auth",
        "virtuoso",
        "dba",
        VIRTUOSO_PASSWORD,
        timeout=ENGINE_TIMEOUT,
        load_dir=str(folder / "load"),  # beside the build: graphs go through its bulk loader
        sql_address=f"127.0.0.1:{sql_port}",
    )
    return RunningEngine("virtuoso", target, process, folder)


STARTERS = {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso}
