"""Publishing a build into a remote SPARQL engine, atomically for readers.

The build is made and validated in the local staging store as always (`loaders.build`); its
graphs are then uploaded under the build's own graph names (`loaders.publish.remote`), their triple
counts checked against the staging store, and the build made current by one DELETE/INSERT of
the pointer in the control graph. Until then readers see the previous build; after it, the
previous build is dropped once `grace` seconds have passed (queries already running on it,
on any replica, finish first).

Every graph a build will write is recorded in the control graph before it is written, so a
build killed part-way leaves graphs the next build can find: it drops the graphs of every
build that is not current before uploading its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, XSD

from loaders.core.queries import count_matches
from loaders.publish.remote import (
    BUILD,
    CONTROL_GRAPH,
    CURRENT,
    EngineRefused,
    NoRemoteBuild,
    RemoteEngine,
    build_prefix,
    builds_in,
    current_view,
)
from loaders.publish.remote_load import graph_load


class UploadIncomplete(Exception):
    """The engine holds other counts than the build has: it is not made current."""


def _current_build(engine: RemoteEngine) -> str | None:
    try:
        return current_view(engine).build_id
    except NoRemoteBuild:
        return None


def sweep(engine: RemoteEngine, keep: set[str]) -> list[str]:
    """Drop the graphs of every build in the control graph but `keep` (those a kept build has as
    parts too stay); their ids, dropped."""
    dropped = []
    builds = builds_in(engine)
    kept = {graph for build_id in keep for graph in builds.get(build_id, [])}
    for build_id, graphs in builds.items():
        if build_id in keep:
            continue
        for graph in graphs:
            if graph not in kept:
                engine.drop(graph)
        engine.update(
            f"DELETE WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ <{BUILD}{build_id}> ?p ?o }} }}"
        )  # the record goes last: a sweep killed part-way is finished by the next one
        dropped.append(build_id)
    return dropped


def _count(engine: RemoteEngine, graph: str) -> int:
    solutions = engine.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert isinstance(solutions, ox.QuerySolutions)
    value = next(iter(solutions))["n"]
    return int(value.value) if value is not None else 0


def _carried(engine: RemoteEngine, previous: str | None, base_id: str | None, unchanged: frozenset[str]) -> dict[str, str]:
    """The engine's names of the graphs this build carries over unchanged (stable IRI, or "default"
    for the merged default graph), when the engine's current build is the one it was made from."""
    if previous is None or previous != base_id or not unchanged:
        return {}
    parts = current_view(engine).parts()
    return {graph: parts[graph] for graph in unchanged if graph in parts}


def publish_remote(
    engine: RemoteEngine,
    store: ox.Store,
    build_id: str,
    graphs: list[str],
    progress: Callable[[str], None],
    grace: float = 5.0,
    created: str | None = None,
    base_id: str | None = None,
    unchanged: frozenset[str] = frozenset(),
) -> None:
    """Upload the staging store's named `graphs` and its default graph as build `build_id`,
    check them, make the build current, and drop the previous one after `grace` seconds. The
    graphs `unchanged` since build `base_id` ("default" for the default graph) are not uploaded
    again when that build is the engine's current one: the new build has its graphs as parts."""
    previous = _current_build(engine)
    swept = sweep(engine, keep={previous} if previous else set())
    if swept:
        progress(f"dropped the graphs of {len(swept)} unfinished or old build(s) from the engine")
    node = f"{BUILD}{build_id}"
    carried = _carried(engine, previous, base_id, unchanged)
    sources: dict[str, ox.NamedNode | ox.DefaultGraph] = {g: ox.NamedNode(g) for g in graphs}
    sources["default"] = ox.DefaultGraph()
    names = {graph: carried.get(graph, build_prefix(build_id) + graph) for graph in sources}
    parts = ", ".join(f"<{name}>" for name in names.values())
    engine.update(f"INSERT DATA {{ GRAPH <{CONTROL_GRAPH}> {{ <{node}> <{DCTERMS.hasPart}> {parts} }} }}")
    sent: dict[str, int] = {}
    uploaded = [graph for graph in sources if graph not in carried]
    if carried:
        progress(f"{len(carried)} graph(s) unchanged: already in the engine")
    with closing(graph_load(engine, build_id)) as load:
        for index, graph in enumerate(uploaded, 1):
            progress(f"uploading graph {index} of {len(uploaded)} to the engine")
            sent[names[graph]] = load.add(names[graph], store.quads_for_pattern(None, None, None, sources[graph]))
        load.finish()
    for graph in carried:  # counted by the store, not read
        sent[names[graph]] = count_matches(store, "?s ?p ?o" if graph == "default" else f"GRAPH <{graph}> {{ ?s ?p ?o }}")
    for name, expected in sent.items():  # what the engine holds against what was sent, not a second scan
        if (found := _count(engine, name)) != expected:
            raise UploadIncomplete(f"The engine holds {found:,} triples in {name}, the build has {expected:,}; not made current.")
    stamp = f'"{created or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}"^^<{XSD.dateTime}>'
    pointer = f"<{CURRENT}> <{DCTERMS.hasVersion}>"
    new = f"{pointer} <{node}> . <{node}> <{DCTERMS.created}> {stamp}"
    if previous is None:  # nothing is current yet: nothing to switch from
        engine.update(f"INSERT DATA {{ GRAPH <{CONTROL_GRAPH}> {{ {new} }} }}")
    else:  # one operation: readers see the old pointer or the new one, never none
        engine.update(f"WITH <{CONTROL_GRAPH}> DELETE {{ {pointer} ?old }} INSERT {{ {new} }} WHERE {{ {pointer} ?old }}")
    progress(f"build {build_id} is current in the engine")
    if previous is not None and previous != build_id:
        time.sleep(grace)
        sweep(engine, keep={build_id})  # Oxigraph deletes in one transaction: a large graph takes minutes
        progress("dropped the graphs of the build before that the new one does not have")


def check_access(engine: RemoteEngine) -> None:
    """Fail early, before anything is written, when the engine refuses our updates."""
    try:
        engine.update(f"DELETE DATA {{ GRAPH <{CONTROL_GRAPH}> {{ <{CURRENT}> <{DCTERMS.description}> 'probe' }} }}")
    except EngineRefused as error:
        raise EngineRefused(error.status, f"{error} Nothing was published.") from None
