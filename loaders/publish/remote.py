"""A SPARQL 1.1 engine that holds the published builds (Virtuoso, Oxigraph server, …): how to
reach it, and how a build's graphs are named in it.

Each build lives in the engine under graph names of its own: the stable graph IRI that users
see, prefixed with `urn:x-s3kg:build:<build id>:` (the merged default graph under `…:default`).
A graph a build carries over unchanged from the build before keeps the name it was uploaded
under: a build's parts may be named after an earlier build. One small control graph says which
build is current and which graphs are each build's parts, so a build becomes current by changing
one triple, and the graphs of a build that never became current can be found and dropped (those
no kept build has as a part). A query is sent to the current build by renaming the graph IRIs it
names and giving its dataset explicitly; in answers, the prefixes are taken out again (the
server does both: `server.backends.remote.translate`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal

import httpx
import pyoxigraph as ox
from rdflib.namespace import DCTERMS

CONTROL_GRAPH = "urn:x-s3kg:control"
CURRENT = "urn:x-s3kg:current"
BUILD = "urn:x-s3kg:build:"
DROP_SECONDS = 3600.0  # an engine may take minutes to drop a large graph (Oxigraph: ~10,000 triples/s)

Engine = Literal["oxigraph", "virtuoso", "generic"]
Form = Mapping[str, str] | Mapping[str, list[str]] | list[tuple[str, str]]


class EngineUnavailable(Exception):
    """The engine cannot be reached (down, refusing connections, timing out)."""


class EngineTimeout(EngineUnavailable):
    """The engine did not answer within the time limit."""


class EngineRefused(Exception):
    """The engine answered with an error: wrong credentials, a query it rejects, …"""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


class NoRemoteBuild(Exception):
    """The engine holds no current s3kg build."""


@dataclass(frozen=True)
class RemoteTarget:
    """Where the engine is. The password is never shown (repr, logs, service description)."""

    query_url: str
    update_url: str
    store_url: str | None = None  # Graph Store Protocol, for bulk upload; else SPARQL Update
    engine: Engine = "generic"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0  # seconds a query may take; also sent to engines that take it
    load_dir: str | None = None  # Virtuoso beside the build: a folder in its DirsAllowed, for its bulk loader
    sql_address: str | None = None  # and its SQL port (host:port), where isql runs the loader

    def auth(self) -> httpx.Auth | None:
        if self.user is None:
            return None
        password = self.password or ""
        return httpx.DigestAuth(self.user, password) if self.engine == "virtuoso" else httpx.BasicAuth(self.user, password)


def build_prefix(build_id: str) -> str:
    return f"{BUILD}{build_id}:"


def default_graph_name(build_id: str) -> str:
    return build_prefix(build_id) + "default"


def stable_name(part: str) -> tuple[str, str]:
    """The build an engine's graph name was uploaded by, and the stable IRI it holds ("default":
    the merged default graph)."""
    build_id, _, stable = part.removeprefix(BUILD).partition(":")
    return build_id, stable


@dataclass(frozen=True)
class BuildView:
    """The current build as the engine holds it: what to rename a query's graphs to."""

    build_id: str
    created: float | None
    graphs: tuple[str, ...]  # the stable IRIs of its named graphs
    carried: tuple[tuple[str, str], ...] = ()  # (stable IRI, engine's name) of parts uploaded by earlier builds

    @property
    def prefix(self) -> str:
        return build_prefix(self.build_id)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Every build prefix the names of its graphs carry, its own first."""
        return tuple(dict.fromkeys([self.prefix, *(build_prefix(stable_name(name)[0]) for _, name in self.carried)]))

    def name(self, graph: str) -> str:
        """The engine's name of a graph of this build ("default": the merged default graph); a
        graph it does not have gets the build's own prefix (and is empty)."""
        return self._carried_names.get(graph, self.prefix + graph)

    @cached_property
    def _carried_names(self) -> dict[str, str]:  # asked once per graph a query names: made once per view
        return dict(self.carried)

    def parts(self) -> dict[str, str]:
        """The engine's name of each of its graphs, the default graph's under "default"."""
        return {graph: self.name(graph) for graph in ("default", *self.graphs)}


class RemoteEngine:
    """HTTP to the engine, errors turned into EngineUnavailable / EngineRefused naming the URL."""

    def __init__(self, target: RemoteTarget):
        self.target = target
        timeout = httpx.Timeout(connect=5.0, read=target.timeout + 5.0, write=60.0, pool=10.0)
        self.client = httpx.Client(auth=target.auth(), timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def send(self, url: str, data: Form, accept: str, stream: bool = False, timeout: float | None = None) -> httpx.Response:
        """POST a form; a response to read (and close) when `stream`, else read whole. With
        `timeout`, no byte of the answer may take longer than that to come."""
        limits = httpx.Timeout(connect=5.0, read=timeout, write=60.0, pool=10.0) if timeout else None
        request = self.client.build_request("POST", url, data=fields(data), headers={"Accept": accept}, timeout=limits)
        with transport_errors(url):
            response = self.client.send(request, stream=stream)
        if response.status_code >= 400:
            text = (response.read() if stream else response.content).decode("utf-8", "replace").strip()
            response.close()
            raise refusal(url, response.status_code, text)
        if state := response.headers.get("x-sql-state"):
            response.close()
            raise part_answer(url, state)
        return response

    def query_form(self, query: str, params: list[tuple[str, str]], timeout: float | None = None) -> dict[str, list[str]]:
        """The form that asks the engine a query (with its own time limit where it takes one)."""
        data = [("query", query), *params]
        if self.target.engine == "virtuoso":  # milliseconds; Virtuoso stops the query itself
            data.append(("timeout", str(int((timeout or self.target.timeout) * 1000))))
        return fields(data)

    def query(
        self, query: str, params: list[tuple[str, str]], accept: str, stream: bool = False, timeout: float | None = None
    ) -> httpx.Response:
        return self.send(self.target.query_url, self.query_form(query, params, timeout), accept, stream, timeout)

    def select(self, query: str) -> ox.QuerySolutions | ox.QueryBoolean:
        """A SELECT or ASK over the engine's own dataset (no renaming), parsed."""
        response = self.query(query, [], "application/sparql-results+xml")
        return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.XML)

    def update(self, update: str, timeout: float | None = None) -> None:
        """Run an update; with `timeout`, wait that long for the answer (dropping a graph of
        millions of triples takes an engine minutes), else the query time limit's."""
        self.send(self.target.update_url, {"update": update}, "*/*", timeout=timeout)

    def drop(self, graph: str) -> None:
        """Drop a graph, waiting as long as the engine takes (an hour at most). Virtuoso deletes a
        graph of millions of triples row by row without a transaction (`sql:log-enable 3`): in
        one, it stops with "Transaction timed out"."""
        pragma = "DEFINE sql:log-enable 3 " if self.target.engine == "virtuoso" else ""
        self.update(f"{pragma}DROP SILENT GRAPH <{graph}>", timeout=DROP_SECONDS)

    def add(self, graph: str, ntriples: bytes) -> None:
        """Add N-Triples to a graph: Graph Store Protocol POST where there is one."""
        if self.target.store_url is None:
            self.update(f"INSERT DATA {{ GRAPH <{graph}> {{ {ntriples.decode()} }} }}")
            return
        url = self.target.store_url
        with transport_errors(url):
            response = self.client.post(
                url, params={"graph": graph}, content=ntriples, headers={"Content-Type": "application/n-triples"}
            )
        if response.status_code >= 400:
            raise refusal(url, response.status_code, response.text.strip())


def fields(data: Form) -> dict[str, list[str]]:
    """A form as httpx takes one, each name with all its values."""
    found: dict[str, list[str]] = {}
    for name, value in data.items() if isinstance(data, Mapping) else data:
        found.setdefault(name, []).extend(value if isinstance(value, list) else [value])
    return found


def part_answer(url: str, state: str) -> EngineTimeout:
    """Virtuoso's "anytime" answer (X-SQL-State: the query hit its time limit, and the rows found
    so far come with 200) is not the answer, and is never passed on as one."""
    return EngineTimeout(f"The SPARQL engine at {url} stopped the query part-way ({state}).")


@contextmanager
def transport_errors(url: str) -> Iterator[None]:
    """httpx's failures to reach or hear from the engine, as EngineUnavailable / EngineTimeout."""
    try:
        yield
    except httpx.ConnectTimeout as error:
        raise EngineUnavailable(f"The SPARQL engine at {url} cannot be reached ({error}).") from None
    except httpx.TimeoutException:
        raise EngineTimeout(f"The SPARQL engine at {url} did not answer in time.") from None
    except httpx.TransportError as error:
        raise EngineUnavailable(f"The SPARQL engine at {url} cannot be reached ({type(error).__name__}: {error}).") from None


def refusal(url: str, status: int, text: str) -> EngineRefused:
    if status in (401, 403):
        return EngineRefused(
            status,
            f"The SPARQL engine at {url} refused the credentials (HTTP {status}): "
            "check the sparql_user setting and the password (S3KG_SPARQL_PASSWORD or sparql_password_file).",
        )
    return EngineRefused(status, f"The SPARQL engine at {url} answered HTTP {status}: {text[:500]}")


def current_view(engine: RemoteEngine) -> BuildView:
    """The engine's current build, from its control graph; NoRemoteBuild if there is none."""
    query = f"""SELECT ?build ?created ?part WHERE {{ GRAPH <{CONTROL_GRAPH}> {{
        <{CURRENT}> <{DCTERMS.hasVersion}> ?build .
        OPTIONAL {{ ?build <{DCTERMS.created}> ?created }} OPTIONAL {{ ?build <{DCTERMS.hasPart}> ?part }} }} }}"""
    solutions = engine.select(query)
    assert isinstance(solutions, ox.QuerySolutions)
    build, created, names = None, None, {}
    for row in solutions:
        build = row["build"].value
        if (stamp := row["created"]) is not None:
            created = datetime.fromisoformat(stamp.value).timestamp()
        if (part := row["part"]) is not None:
            origin, stable = stable_name(part.value)
            names[stable] = (origin, part.value)
    if build is None:
        raise NoRemoteBuild(f"The SPARQL engine at {engine.target.query_url} holds no s3kg build yet: run `s3kg build`.")
    build_id = build.removeprefix(BUILD)
    carried = tuple(sorted((stable, name) for stable, (origin, name) in names.items() if origin != build_id))
    return BuildView(build_id, created, tuple(sorted(g for g in names if g != "default")), carried)


def builds_in(engine: RemoteEngine) -> dict[str, list[str]]:
    """Every build the control graph knows, with the engine's names of its graphs."""
    query = f"SELECT ?build ?part WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ ?build <{DCTERMS.hasPart}> ?part }} }}"
    solutions = engine.select(query)
    assert isinstance(solutions, ox.QuerySolutions)
    found: dict[str, list[str]] = {}
    for row in solutions:
        found.setdefault(row["build"].value.removeprefix(BUILD), []).append(row["part"].value)
    return found


def ntriples_chunks(quads: Iterator[ox.Quad], size: int) -> Iterator[tuple[bytes, int]]:
    """N-Triples of the quads' triples, `size` triples at a time, each with its count."""
    batch: list[ox.Triple] = []
    for quad in quads:
        batch.append(quad.triple)
        if len(batch) >= size:
            yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b"", len(batch)
            batch = []
    if batch:
        yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b"", len(batch)
