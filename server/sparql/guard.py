"""Checks on a query before it goes to a worker: its shape, and where it may reach out to.

The guarantee that a public query fetches nothing is not made here: query workers run without
network (`server.backends.embedded.sandbox`), so a SERVICE hidden from every check still cannot connect. This
module adds what can be decided before running:

- `check_shape`: nesting depth and operator count, counted over the query's tokens, so a query
  that would exhaust the parser's stack is refused with 400 naming the limit;
- `service_plan`: a friendly 403 for a SERVICE the text plainly names, and, where the
  `service_allow_list` permits some hosts, the decision to run a query on a worker with network.
  That decision is made on the parsed query (rdflib's SPARQL grammar, prefixes and base IRI
  resolved as Oxigraph resolves them) and must agree with the lexical scan; a query either
  cannot parse or on which they disagree is refused. A query without an allowed SERVICE always
  runs on a worker without network.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pyparsing import ParseException
from rdflib import URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from server.sparql.text import tokens

_OPENING, _CLOSING = set("({["), set(")}]")
_OPERATORS = {"+", "-", "*", "/", "&&", "||", "=", "!=", "<", ">", "<=", ">=", "|", "^"}


@dataclass(frozen=True)
class ShapeLimits:
    max_nesting: int = 500  # groups, parentheses and brackets inside one another
    max_operators: int = 10_000  # expression and path operators in the whole query


class ForbiddenQuery(Exception):
    """The query asks for something this endpoint does not do; the message says what."""


class QueryTooComplex(Exception):
    """The query is deeper or longer than the endpoint's limits; the message names the limit."""


def _position(query: str, offset: int) -> str:
    line = query.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - (query.rfind(chr(10), 0, offset) + 1) + 1}"


def check_shape(query: str, limits: ShapeLimits) -> None:
    """Raise QueryTooComplex for a query nested or chained beyond the limits."""
    depth = operators = 0
    for token, offset in tokens(query):
        if token in _OPENING:
            depth += 1
            if depth > limits.max_nesting:
                raise QueryTooComplex(
                    f"The query nests groups or parentheses more than {limits.max_nesting} deep "
                    f"(at {_position(query, offset)}); flatten it."
                )
        elif token in _CLOSING:
            depth = max(0, depth - 1)
        elif token in _OPERATORS:
            operators += 1
            if operators > limits.max_operators:
                raise QueryTooComplex(
                    f"The query has more than {limits.max_operators:,} operators (at {_position(query, offset)}); split it."
                )


def _scanned_endpoints(query: str, default_prefixes: Mapping[str, str]) -> list[str | None]:
    """SERVICE endpoints as a lexical scan sees them; None for one that is not a fixed IRI."""
    words = [token for token, _ in tokens(query)]
    prefixes = {k + ":": v for k, v in default_prefixes.items()}
    endpoints: list[str | None] = []
    for i, token in enumerate(words):
        upper = token.upper()
        if upper == "PREFIX" and i + 2 < len(words) and words[i + 2].startswith("<"):
            prefixes[words[i + 1].rstrip(":") + ":"] = words[i + 2][1:-1]
        if upper != "SERVICE":
            continue
        j = i + 1
        if j < len(words) and words[j].upper() == "SILENT":
            j += 1
        target = words[j] if j < len(words) else ""
        if target.startswith("<"):
            endpoints.append(target[1:-1])
        elif ":" in target and not target.startswith(("?", "$")) and "\\" not in target and "%" not in target:
            prefix, _, local = target.partition(":")
            namespace = prefixes.get(prefix + ":")
            endpoints.append(namespace + local if namespace else None)
        else:
            endpoints.append(None)
    return endpoints


def _services(node: Any) -> Iterator[Any]:
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            yield node.get("term")
        for value in node.values():
            yield from _services(value)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _services(value)
    elif isinstance(node, list | tuple) or hasattr(node, "asList"):
        for value in node:
            yield from _services(value)


def parsed_endpoints(query: str, prefixes: Mapping[str, str], base_iri: str | None) -> list[str | None]:
    """SERVICE endpoints of the parsed query, prefixes and base resolved; None for a variable."""
    try:
        algebra = translateQuery(parseQuery(query), base=base_iri, initNs=dict(prefixes))
    except (ParseException, ValueError, KeyError, TypeError, RecursionError) as error:
        raise ForbiddenQuery(
            "This query names SERVICE, and this endpoint could not check it with its SPARQL parser "
            f"({type(error).__name__}); write it without unusual escapes or comments."
        ) from None
    return [str(term) if isinstance(term, URIRef) else None for term in _services(algebra.algebra)]


def _refuse(endpoint: str | None, allowed: set[str]) -> None:
    parts = urlsplit(endpoint) if endpoint else None
    if endpoint is None or parts is None or not parts.scheme or parts.hostname is None:
        raise ForbiddenQuery("SERVICE needs a fixed absolute IRI here; variable or relative endpoints are not allowed.")
    if parts.hostname.lower() not in allowed:
        hosts = ", ".join(sorted(allowed)) or "none"
        raise ForbiddenQuery(
            f"SERVICE <{endpoint}> is not allowed: this endpoint does not query other servers "
            f"except those on its allow-list ({hosts})."
        )


def service_plan(query: str, allowed_hosts: Iterable[str], prefixes: Mapping[str, str], base_iri: str | None) -> bool:
    """Raise ForbiddenQuery for a SERVICE that is not allowed; True when the query must run with network."""
    allowed = {h.lower() for h in allowed_hosts}
    scanned = _scanned_endpoints(query, prefixes)
    for endpoint in scanned:
        _refuse(endpoint, allowed)
    if not scanned:
        return False  # runs without network: whatever the scan missed cannot connect
    parsed = parsed_endpoints(query, prefixes, base_iri)
    if sorted(map(str, parsed)) != sorted(map(str, scanned)):
        raise ForbiddenQuery(
            "The SERVICE calls of this query read differently to this endpoint's two checks; "
            "write each SERVICE with a plain <IRI> and no escapes."
        )
    return True
