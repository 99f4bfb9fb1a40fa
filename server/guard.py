"""Checks on a query's text before it runs: nothing a public request sends may reach out.

pyoxigraph evaluates `SERVICE <url>` by fetching that URL. A lexical scan (strings,
comments and IRIs are recognised, so a keyword inside them does not count) finds every
SERVICE clause; its endpoint must be an absolute IRI whose host is on the allow-list.
A variable endpoint (`SERVICE ?x`) cannot be checked and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'  # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"  # IRIs
    r"|#[^\n]*"  # comments
    r"|[A-Za-z_][\w.-]*:[\w.:%-]*|:[\w.:%-]*"  # prefixed names
    r"|[?$]\w+"  # variables
    r"|[A-Za-z_]\w*"  # keywords
    r"|\S",
)


class ForbiddenQuery(Exception):
    """The query asks for something this endpoint does not do; the message says what."""


def _tokens(query: str) -> Iterable[str]:
    for match in _TOKEN.finditer(query):
        token = match.group(0)
        if not token.startswith("#"):
            yield token


def service_endpoints(query: str) -> list[str | None]:
    """Every SERVICE endpoint of the query as an IRI; None for one that is not a fixed IRI."""
    tokens = list(_tokens(query))
    prefixes: dict[str, str] = {}
    endpoints: list[str | None] = []
    for i, token in enumerate(tokens):
        upper = token.upper()
        if upper == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].startswith("<"):
            prefixes[tokens[i + 1].rstrip(":") + ":"] = tokens[i + 2][1:-1]
        if upper != "SERVICE":
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].upper() == "SILENT":
            j += 1
        target = tokens[j] if j < len(tokens) else ""
        if target.startswith("<"):
            endpoints.append(target[1:-1])
        elif ":" in target and not target.startswith(("?", "$")):
            prefix, _, local = target.partition(":")
            namespace = prefixes.get(prefix + ":")
            endpoints.append(namespace + local if namespace else None)
        else:
            endpoints.append(None)
    return endpoints


def check_query(query: str, allowed_hosts: Iterable[str]) -> None:
    """Raise ForbiddenQuery for a SERVICE call to a host not on the allow-list."""
    allowed = {h.lower() for h in allowed_hosts}
    for endpoint in service_endpoints(query):
        host = urlsplit(endpoint).hostname if endpoint else None
        if endpoint is None or not urlsplit(endpoint).scheme or host is None:
            raise ForbiddenQuery("SERVICE needs a fixed absolute IRI here; variable or relative endpoints are not allowed.")
        if host.lower() not in allowed:
            hosts = ", ".join(sorted(allowed)) or "none"
            raise ForbiddenQuery(
                f"SERVICE <{endpoint}> is not allowed: this endpoint does not query other servers "
                f"except those on its allow-list ({hosts})."
            )
