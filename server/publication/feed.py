"""/feed: the change feed as a Linked Data Event Stream (SEMIC LDES, on W3C TREE).

The root node `/feed` describes the stream (`/feed#stream`): version-based members
(`dcterms:isVersionOf` the entity, `dcterms:created` the build's time, typed as:Create, as:Update
or as:Delete), ordered by `dcterms:created`, and the retention (ldes:versionAmount 1 for builds no
longer kept). It links each version's first page; a page links the next. A member's description
of its entity is in the named graph of the member, so pages are TriG or N-Quads. The members
are written at build time (`loaders.publish.feed`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import Response
from rdflib.namespace import DCTERMS

from loaders.core.vocab import ACTIVITY, LDES, TREE
from loaders.publish.feed import FEED, read_build, versions
from loaders.publish.store import PublishedStore
from server.web.addresses import Addresses, not_modified
from server.web.negotiation import choose

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
FORMATS = {"application/trig": ox.RdfFormat.TRIG, "application/n-quads": ox.RdfFormat.N_QUADS}
FEED_PREFIXES = {
    "ldes": str(LDES._NS),
    "tree": str(TREE._NS),
    "as": str(ACTIVITY._NS),
    "dcterms": str(DCTERMS),
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class NoFeedPage(LookupError):
    """No such version or page in the feed (404)."""


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _q(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode) -> ox.Quad:
    return ox.Quad(s, _n(p), o, ox.DefaultGraph())


def member_iri(public_url: str, version: int, entity: str) -> str:
    return f"{public_url}feed/{version}#m-{hashlib.blake2b(entity.encode(), digest_size=8).hexdigest()}"


def _relation(node: ox.NamedNode, target: str, created: str, index: int) -> list[ox.Quad]:
    relation = ox.BlankNode(f"r{index}")
    return [
        _q(node, TREE.relation, relation),
        _q(relation, str(RDF_TYPE.value), _n(TREE.GreaterThanOrEqualToRelation)),
        _q(relation, TREE.node, _n(target)),
        _q(relation, TREE.path, _n(DCTERMS.created)),
        _q(relation, TREE.value, ox.Literal(created, datatype=DATETIME)),
    ]


def published_versions(feed: Path, current: int) -> list[int]:
    """The feed's versions up to the current build's: a later one belongs to a build that failed
    after its members were written (the next build replaces it)."""
    return [v for v in versions(feed) if v <= current]


def root_node(public_url: str, feed: Path, current: int) -> list[ox.Quad]:
    stream, node, retention = _n(public_url + "feed#stream"), _n(public_url + "feed"), _n(public_url + "feed#retention")
    quads = [
        _q(stream, RDF_TYPE.value, _n(LDES.EventStream)),
        _q(stream, TREE.view, node),
        _q(stream, LDES.timestampPath, _n(DCTERMS.created)),
        _q(stream, LDES.versionOfPath, _n(DCTERMS.isVersionOf)),
        _q(stream, LDES.versionCreateObject, _n(ACTIVITY.Create)),
        _q(stream, LDES.versionUpdateObject, _n(ACTIVITY.Update)),
        _q(stream, LDES.versionDeleteObject, _n(ACTIVITY.Delete)),
        _q(node, RDF_TYPE.value, _n(TREE.Node)),
        _q(node, RDF_TYPE.value, _n(LDES.EventSource)),
        _q(node, LDES.retentionPolicy, retention),
        _q(retention, RDF_TYPE.value, _n(LDES.RetentionPolicy)),
        _q(retention, LDES.versionAmount, ox.Literal("1", datatype=_n("http://www.w3.org/2001/XMLSchema#integer"))),
        _q(
            retention,
            "http://www.w3.org/2000/01/rdf-schema#comment",
            ox.Literal(
                "The kept builds (setting keep_builds) keep every member; older builds keep only the members that are "
                "still the latest of their entity, so a replica that starts from nothing reaches the current graph.",
                language="en",
            ),
        ),
    ]
    for index, version in enumerate(published_versions(feed, current)):
        build = read_build(feed, version)
        if int(str(build["pages"])) > 0:
            quads += _relation(node, f"{public_url}feed/{version}/1", str(build["created"]), index)
    return quads


def page_node(public_url: str, feed: Path, version: int, page: int, current: int) -> list[ox.Quad]:
    folder = feed / str(version)
    if version not in published_versions(feed, current):
        kept = published_versions(feed, current)
        there = f"versions {kept[0]} to {kept[-1]}" if kept else "no versions yet"
        raise NoFeedPage(f"The feed has no version {version}; it has {there}.")
    build = read_build(feed, version)
    pages = int(str(build["pages"]))
    if not 1 <= page <= pages:
        raise NoFeedPage(f"Version {version} of the feed has pages 1 to {pages}, not {page}.")
    created = str(build["created"])
    stream, node = _n(public_url + "feed#stream"), _n(f"{public_url}feed/{version}/{page}")
    quads = [
        _q(node, RDF_TYPE.value, _n(TREE.Node)),
        _q(node, LDES.immutable, ox.Literal("true", datatype=_n("http://www.w3.org/2001/XMLSchema#boolean"))),
    ]
    members: dict[str, ox.NamedNode] = {}
    for line in (folder / f"page-{page}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line:
            continue
        entry = json.loads(line)
        member = _n(member_iri(public_url, version, entry["entity"]))
        members[entry["entity"]] = member
        quads += [
            _q(stream, TREE.member, member),
            _q(member, RDF_TYPE.value, _n(ACTIVITY[entry["kind"]])),
            _q(member, DCTERMS.isVersionOf, _n(entry["entity"])),
            _q(member, DCTERMS.created, ox.Literal(created, datatype=DATETIME)),
        ]
    with gzip.open(folder / f"page-{page}.nq.gz", "rb") as handle:
        for quad in ox.parse(handle.read(), format=ox.RdfFormat.N_QUADS):
            graph = quad.graph_name
            if isinstance(graph, ox.NamedNode) and graph.value in members:
                quads.append(ox.Quad(quad.subject, quad.predicate, quad.object, members[graph.value]))
    if page < pages:
        quads += _relation(node, f"{public_url}feed/{version}/{page + 1}", created, 0)
    return quads


def add_routes(app: FastAPI, published: PublishedStore, addresses: Addresses) -> None:
    feed = published.root / FEED

    def answer(quads: list[ox.Quad], request: Request, headers: dict[str, str]) -> Response:
        media = choose(request.headers.get("accept"), list(FORMATS))
        if "ETag" in headers:  # one tag per representation
            headers = {**headers, "ETag": headers["ETag"][:-1] + "-" + FORMATS[media].file_extension + '"'}
            if not_modified(request, headers["ETag"]):
                return Response(status_code=304, headers={"Vary": "Accept", **headers})
        prefixes = FEED_PREFIXES if media == "application/trig" else None
        body = ox.serialize(quads, format=FORMATS[media], prefixes=prefixes) or b""
        return Response(body, media_type=media, headers={"Vary": "Accept", **headers})

    @app.get("/feed")
    async def root(request: Request) -> Response:
        current = published.current().version
        etag = f'"feed-{current}"'
        return answer(root_node(addresses.public_url, feed, current), request, {"ETag": etag, "Cache-Control": "no-cache"})

    @app.get("/feed/{version}/{page}")
    async def feed_page(version: int, page: int, request: Request) -> Response:
        quads = page_node(addresses.public_url, feed, version, page, published.current().version)
        return answer(quads, request, {"Cache-Control": "public, max-age=86400, immutable"})
