"""Memento (RFC 7089) for entity IRIs: every kept build is a version of every entity in it.

- The entity IRI on this server, `/id/<path>`, is its own TimeGate (pattern 2.1): a request with
  `Accept-Datetime` is redirected (302) to the memento that was current at that time.
- A memento, `/versions/<build>/id/<path>`: the entity as that build described it, with
  `Memento-Datetime` (when the build was published) and Links to the original and the TimeMap.
- The TimeMap, `/timemap/id/<path>` (`application/link-format`): the original, the TimeGate and
  a memento per kept build that describes the entity.

How many builds are kept is the `keep_builds` setting. An Accept-Datetime before the first kept
build is redirected to the first memento (the earliest state known, as RFC 7089 4.5.3 advises); a
build that is not kept is a 404 that names the range there is. An entity the published build no
longer describes but a kept build did is 410 Gone, with its TimeMap and its last memento linked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import pyoxigraph as ox
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from loaders.publish.store import BuildInfo, PublishedStore
from server.backends.entities import EntityReader
from server.pages.linked_data import describe_response
from server.web.addresses import Addresses, header_path, memento_links
from server.web.languages import page_language, preferred_languages
from server.web.negotiation import NotAcceptable
from server.web.negotiation import choose as choose_media
from server.web.templates import TEMPLATES

LINK_FORMAT = "application/link-format"


class BadDatetime(ValueError):
    """An Accept-Datetime that is not an HTTP date (400)."""


class NoMemento(LookupError):
    """No kept build at that time, or none that describes the entity (404)."""


def published_at(build: BuildInfo) -> datetime:
    return datetime.fromisoformat(build.created).astimezone(UTC)


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_accept_datetime(value: str) -> datetime:
    """An RFC 7089 Accept-Datetime: an HTTP date (RFC 1123), in GMT."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadDatetime(f"Accept-Datetime {value!r} is not an HTTP date; write e.g. 'Thu, 03 Dec 2026 12:00:00 GMT'.")
    return moment


def kept_range(builds: list[BuildInfo]) -> str:
    oldest, newest = builds[-1], builds[0]
    first, last = http_date(published_at(oldest)), http_date(published_at(newest))
    return f"the kept versions run from {first} (version {oldest.version}) to {last} (version {newest.version})"


def choose(builds: list[BuildInfo], moment: datetime) -> BuildInfo:
    """The build that was current at `moment`: the newest published at or before it (builds newest
    first); for a moment before them all, the first kept one."""
    if not builds:
        raise NoMemento("No build is published yet.")
    return next((build for build in builds if published_at(build) <= moment), builds[-1])


@dataclass(frozen=True)
class KeptBuild:
    """One kept build as a source of descriptions (what EntityReader reads)."""

    build: BuildInfo
    published: PublishedStore

    def build_id(self) -> str:
        return self.build.build_id

    def files(self) -> PublishedStore:
        return self.published

    def open(self) -> ox.Store:
        return ox.Store.read_only(str(self.build.path))

    def created(self) -> float | None:
        return published_at(self.build).timestamp()


@dataclass
class Versions:
    """Readers of the kept builds, opened when first asked for and forgotten once pruned."""

    published: PublishedStore
    readers: dict[str, EntityReader] = field(default_factory=dict)

    def kept(self) -> list[BuildInfo]:
        builds = self.published.recent(None)
        for gone in set(self.readers) - {b.build_id for b in builds}:
            del self.readers[gone]
        return builds

    def reader(self, build: BuildInfo) -> EntityReader:
        if build.build_id not in self.readers:
            self.readers[build.build_id] = EntityReader(KeptBuild(build, self.published))
        return self.readers[build.build_id]

    def describes(self, build: BuildInfo, iri: str) -> bool:
        _, store = self.reader(build).store()
        try:
            subject = ox.NamedNode(iri)
        except ValueError:
            return False
        return next(iter(store.quads_for_pattern(subject, None, None, ox.DefaultGraph())), None) is not None


def _memento_url(addresses: Addresses, build: BuildInfo, safe_path: str) -> str:
    return f"{addresses.public_url}versions/{build.build_id}/id/{safe_path}"


def _wants_html(accept: str | None) -> bool:
    """A browser's Accept; an RDF client that accepts neither HTML nor text still gets the 410, as text."""
    try:
        return choose_media(accept, ["text/html", "text/plain"]) == "text/html"
    except NotAcceptable:
        return False


@dataclass(frozen=True)
class Hooks:
    """What the entity route asks of Memento: the TimeGate's redirect, and 410 for a removed entity."""

    timegate: Callable[[str, Request], Response | None]
    gone: Callable[[str, Request], Response | None]


def add_routes(app: FastAPI, published: PublishedStore, addresses: Addresses) -> Hooks:
    """Registers the mementos and TimeMaps; returns the hooks of the entity route."""
    versions = Versions(published)

    def gone(path: str, request: Request) -> Response | None:
        """410 Gone for an entity a kept build described (the caller found none in the current one)."""
        iri = addresses.iri(path)
        builds = [b for b in versions.kept() if versions.describes(b, iri)]
        if not builds:
            return None
        last, safe = builds[0], header_path(path)
        memento = _memento_url(addresses, last, safe)
        moment = http_date(published_at(last))
        links = [*memento_links(addresses, path), f'<{memento}>; rel="last memento"; datetime="{moment}"']
        headers = {"Link": ", ".join(links), "Vary": "Accept, Accept-Language"}
        if _wants_html(request.headers.get("accept")):
            languages = preferred_languages(request.query_params.get("lang"), request.headers.get("accept-language"))
            page = TEMPLATES.get_template("gone.html").render(
                lang=page_language(languages), iri=iri, version=last.version, moment=moment, memento=memento,
                timemap=f"{addresses.public_url}timemap/id/{safe}",
            )  # fmt: skip
            return HTMLResponse(page, status_code=410, headers=headers)
        message = f"{iri} is no longer in the published graph; version {last.version} ({moment}) described it last: {memento}\n"
        return PlainTextResponse(message, status_code=410, headers=headers)

    def timegate(path: str, request: Request) -> Response | None:
        wanted = request.headers.get("accept-datetime")
        if wanted is None:
            return None
        build = choose(versions.kept(), parse_accept_datetime(wanted))
        safe = header_path(path)
        headers = {"Vary": "Accept-Datetime", "Link": ", ".join(memento_links(addresses, path))}
        return RedirectResponse(_memento_url(addresses, build, safe), status_code=302, headers=headers)

    @app.get("/versions/{build_id}/id/{path:path}")
    async def memento(build_id: str, path: str, request: Request) -> Response:
        build = published.build(build_id)  # UnknownBuild: 404 naming the kept versions
        safe = header_path(path)
        moment = http_date(published_at(build))
        links = [*memento_links(addresses, path), f'<{_memento_url(addresses, build, safe)}>; rel="memento"; datetime="{moment}"']
        sources = f"/versions/{build.build_id}/sources/"
        response = await describe_response(versions.reader(build), addresses, path, request, links, sources)
        response.headers["Memento-Datetime"] = moment
        return response

    @app.get("/timemap/id/{path:path}")
    async def timemap(path: str) -> Response:
        iri = addresses.iri(path)
        builds = [b for b in versions.kept() if versions.describes(b, iri)]
        if not builds:
            raise NoMemento(f"No kept build describes {iri}.")
        safe = header_path(path)
        original = f"{addresses.public_url}id/{safe}"
        oldest, newest = http_date(published_at(builds[-1])), http_date(published_at(builds[0]))
        entries = [
            f'<{original}>; rel="original"',
            f'<{original}>; rel="timegate"',
            f'<{addresses.public_url}timemap/id/{safe}>; rel="self"; type="{LINK_FORMAT}"; from="{oldest}"; until="{newest}"',
        ]
        for index, build in enumerate(reversed(builds)):
            rel = "memento" if 0 < index < len(builds) - 1 else "first memento" if index == 0 else "last memento"
            rel = "first last memento" if len(builds) == 1 else rel
            moment = http_date(published_at(build))
            entries.append(f'<{_memento_url(addresses, build, safe)}>; rel="{rel}"; datetime="{moment}"')
        return PlainTextResponse(",\n".join(entries) + "\n", media_type=LINK_FORMAT)

    return Hooks(timegate, gone)
