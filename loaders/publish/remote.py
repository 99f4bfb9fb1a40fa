"""A SPARQL 1.1 engine that holds the published builds (Virtuoso, Oxigraph server, …): how to
reach it, and how a build's graphs are named in it.

Each build lives in the engine under its own graph names: the stable graph IRI that users see,
prefixed with `urn:x-s3kg:build:<build id>:` (the merged default graph under `…:default`).
One small control graph says which build is current and which graphs each build wrote, so a
build becomes current by changing one triple, and the graphs of a build that never became
current can be found and dropped. A query is sent to the current build by renaming the graph
IRIs it names and giving its dataset explicitly; in answers, the prefix is taken out again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import httpx
import pyoxigraph as ox
from rdflib.namespace import DCTERMS

from server.sparql.text import rename_graphs, with_prefixes

CONTROL_GRAPH = "urn:x-s3kg:control"
CURRENT = "urn:x-s3kg:current"
BUILD = "urn:x-s3kg:build:"
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

    def auth(self) -> httpx.Auth | None:
        if self.user is None:
            return None
        password = self.password or ""
        return httpx.DigestAuth(self.user, password) if self.engine == "virtuoso" else httpx.BasicAuth(self.user, password)


def build_prefix(build_id: str) -> str:
    return f"{BUILD}{build_id}:"


def default_graph_name(build_id: str) -> str:
    return build_prefix(build_id) + "default"


@dataclass(frozen=True)
class BuildView:
    """The current build as the engine holds it: what to rename a query's graphs to."""

    build_id: str
    created: float | None
    graphs: tuple[str, ...]  # the stable IRIs of its named graphs

    @property
    def prefix(self) -> str:
        return build_prefix(self.build_id)

    def prepare(
        self, query: str, prefixes: Mapping[str, str], base: str | None, default: Iterable[str] = (), named: Iterable[str] = ()
    ) -> tuple[str, list[tuple[str, str]]]:
        """The query text to send (our prefixes declared, the base set, graph IRIs renamed) and
        the protocol's dataset parameters: the build's default and named graphs unless the
        query or the request chooses its own."""
        text, has_from, uses_graph = rename_graphs(query, prefixes, base, self.prefix.__add__)
        text = with_prefixes(text, prefixes)
        if base:
            text = f"BASE <{base}>\n{text}"
        default, named = list(default), list(named)
        if default or named:
            params = [("default-graph-uri", self.prefix + g) for g in default]
            params += [("named-graph-uri", self.prefix + g) for g in named]
        elif has_from:
            params = []
        else:
            params = [("default-graph-uri", default_graph_name(self.build_id))]
            if uses_graph:  # else the named graphs are not read: not sending them saves ~0.3 ms a query
                params += [("named-graph-uri", self.prefix + g) for g in self.graphs]
        return text, params


class Unprefix:
    """Takes the build prefix out of a byte stream (graph IRIs in answers), across chunk ends."""

    def __init__(self, prefix: str):
        self.prefix = prefix.encode()
        self.tail = b""

    def feed(self, chunk: bytes) -> bytes:
        data = (self.tail + chunk).replace(self.prefix, b"")
        keep = 0  # bytes at the end that could start the prefix
        for size in range(min(len(self.prefix) - 1, len(data)), 0, -1):
            if self.prefix.startswith(data[-size:]):
                keep = size
                break
        self.tail = data[len(data) - keep :] if keep else b""
        return data[: len(data) - keep] if keep else data

    def end(self) -> bytes:
        tail, self.tail = self.tail, b""
        return tail


_XSD_DATETIME = rb"http://www\.w3\.org/2001/XMLSchema#dateTime"
_ZONE = rb"(?:Z|[+-]\d\d:\d\d)?"
_PADDED_SECONDS = [  # Virtuoso writes 21.82114 seconds as 21.821140 (6 digits), and 21 as 21.000000
    (re.compile(rb"(#dateTime\">[^<]*?:\d\d\.\d*?)0+(?=" + _ZONE + rb"</literal>)"), rb"\1"),
    (re.compile(rb"(#dateTime\">[^<]*?:\d\d)\.(?=" + _ZONE + rb"</literal>)"), rb"\1"),
    (re.compile(rb"(:\d\d\.\d*?)0+(" + _ZONE + rb"\"\^\^<" + _XSD_DATETIME + rb">)"), rb"\1\2"),
    (re.compile(rb"(:\d\d)\.(" + _ZONE + rb"\"\^\^<" + _XSD_DATETIME + rb">)"), rb"\1\2"),
]


class VirtuosoDates:
    """Puts Virtuoso's xsd:dateTime values back in their canonical form (no trailing zeros in
    the seconds), in its XML results and N-Triples; both write a term per line, so the answer
    is repaired a line at a time."""

    def __init__(self) -> None:
        self.tail = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self.tail + chunk
        cut = data.rfind(b"\n") + 1
        self.tail = data[cut:]
        return self.repair(data[:cut])

    def end(self) -> bytes:
        tail, self.tail = self.tail, b""
        return self.repair(tail)

    @staticmethod
    def repair(data: bytes) -> bytes:
        if b"#dateTime" not in data:
            return data
        for pattern, replacement in _PADDED_SECONDS:
            data = pattern.sub(replacement, data)
        return data


_LITERAL = re.compile(rb"(<literal[^>]*>)([^<]*)(</literal>)")
_EDGE = re.compile(rb"^[ \t\n\r]+|[ \t\n\r]+$")


def _char_refs(space: re.Match[bytes]) -> bytes:
    return b"".join(b"&#%d;" % byte for byte in space.group(0))


def _keep_edges(literal: re.Match[bytes]) -> bytes:
    text = _EDGE.sub(_char_refs, literal.group(2)).replace(b"\r", b"&#13;")
    return literal.group(1) + text + literal.group(3)


class LiteralEdges:
    """Writes the white space at the ends of each literal in an XML answer (and every carriage
    return) as character references. Engines that write it raw (Virtuoso) lose it otherwise: XML
    readers trim it (pyoxigraph's does) and turn CR LF into LF. A literal may span lines and
    chunks, so text from an unclosed `<literal` on is held until its end tag comes."""

    def __init__(self) -> None:
        self.tail = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self.tail + chunk
        open_at = data.rfind(b"<literal")
        if open_at >= 0 and data.find(b"</literal>", open_at) < 0:
            cut = open_at  # a literal not closed yet: held until its end tag comes
        else:
            cut = len(data) - next((n for n in range(7, 0, -1) if data.endswith(b"<literal"[:n])), 0)
        data, self.tail = data[:cut], data[cut:]
        return _LITERAL.sub(_keep_edges, data)

    def end(self) -> bytes:
        tail, self.tail = self.tail, b""
        return _LITERAL.sub(_keep_edges, tail)


class AnswerFilter(Protocol):
    def feed(self, chunk: bytes) -> bytes: ...

    def end(self) -> bytes: ...


def answer_filters(view: BuildView, engine: Engine, xml: bool = True) -> list[AnswerFilter]:
    """What an engine's answer goes through: the build prefix out, then the engine's repairs
    (with `xml`, the answer is SPARQL XML results, whose literals' edges are kept)."""
    return [Unprefix(view.prefix), *([VirtuosoDates()] if engine == "virtuoso" else []), *([LiteralEdges()] if xml else [])]


def filtered(filters: list[AnswerFilter], chunk: bytes, last: bool = False) -> bytes:
    for answer_filter in filters:
        chunk = answer_filter.feed(chunk) + (answer_filter.end() if last else b"")
    return chunk


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

    def update(self, update: str) -> None:
        self.send(self.target.update_url, {"update": update}, "*/*")

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
    build, created, graphs = None, None, []
    for row in solutions:
        build = row["build"].value
        if (stamp := row["created"]) is not None:
            created = datetime.fromisoformat(stamp.value).timestamp()
        if (part := row["part"]) is not None and part.value != default_graph_name(build.removeprefix(BUILD)):
            graphs.append(part.value)
    if build is None:
        raise NoRemoteBuild(f"The SPARQL engine at {engine.target.query_url} holds no s3kg build yet: run `s3kg build`.")
    build_id = build.removeprefix(BUILD)
    stable = sorted(g.removeprefix(build_prefix(build_id)) for g in graphs)
    return BuildView(build_id, created, tuple(stable))


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
