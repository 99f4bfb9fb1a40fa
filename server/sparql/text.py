"""SPARQL query text read as tokens: enough to find prefixes, dataset clauses and a final LIMIT
without a full parse (the query is parsed by Oxigraph or rdflib where that matters).

Used by the endpoint's guard (nesting, SERVICE), by the query editor's examples (PREFIX lines
a query needs to run anywhere), and by the remote store, which names each build's graphs apart
and so rewrites the graph IRIs a query names after GRAPH, FROM and FROM NAMED.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from urllib.parse import urljoin

TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'  # short strings
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"  # IRIREF: any character but these (U+00A0 and other spaces are IRI characters)
    r"|#[^\n\r]*"  # comments end at either line break
    r"|[A-Za-z_][\w.-]*:(?:[\w.:%-]|\\.)*|:(?:[\w.:%-]|\\.)*"  # prefixed names, with local-name escapes
    r"|[?$]\w+"  # variables
    r"|[A-Za-z_]\w*"  # keywords
    r"|\d+"  # integers (and the digits of other numbers)
    r"|&&|\|\||!=|<=|>="
    r"|\S",
)


def tokens(query: str) -> tuple[tuple[str, int], ...]:
    """The query's tokens (comments left out) with their offsets. The last few queries' tokens
    are kept: the endpoint's checks read one query several times (shape, SERVICE, cheap, LIMIT)."""
    return _tokens(query)


@lru_cache(maxsize=8)  # few: a query may be 100 kB
def _tokens(query: str) -> tuple[tuple[str, int], ...]:
    return tuple((m.group(0), m.start()) for m in TOKEN.finditer(query) if not m.group(0).startswith("#"))


def with_prefixes(query: str, prefixes: Mapping[str, str]) -> str:
    """The query with a PREFIX line for each of `prefixes` it uses and does not declare, so
    that it runs in any SPARQL engine, not only ours (which knows them)."""
    declared = {m.lower() for m in re.findall(r"(?i)\bPREFIX\s+([\w-]*):", query)}
    code = re.sub(r"<[^<>\s]*>|\"[^\"\n]*\"|'[^'\n]*'|#[^\n]*", " ", query)  # IRIs, strings, comments aside
    used = [p for p in prefixes if p not in declared and re.search(rf"(?<![\w-]){re.escape(p)}:", code)]
    return "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in used) + query


def rename_graphs(
    query: str, prefixes: Mapping[str, str], base: str | None, rename: Callable[[str], str]
) -> tuple[str, bool, bool]:
    """The query with every graph IRI it names after GRAPH, FROM or FROM NAMED (as <IRI> or a
    prefixed name) replaced by `rename(IRI)`; whether it has a FROM clause of its own; whether
    it reaches named graphs at all (GRAPH). Graph variables are left as they are."""
    known = {f"{k}:": v for k, v in prefixes.items()}
    found = tokens(query)
    pieces: list[str] = []
    done = 0
    has_from = uses_graph = False
    for i, (token, _) in enumerate(found):
        upper = token.upper()
        if upper == "PREFIX" and i + 2 < len(found) and found[i + 2][0].startswith("<"):
            known[found[i + 1][0]] = found[i + 2][0][1:-1]
        elif upper == "BASE" and i + 1 < len(found) and found[i + 1][0].startswith("<"):
            base = urljoin(base or "", found[i + 1][0][1:-1])
        if upper not in ("GRAPH", "FROM", "NAMED") or i + 1 >= len(found):
            continue
        has_from = has_from or upper == "FROM"
        uses_graph = uses_graph or upper == "GRAPH"
        name, at = found[i + 1]
        if name.startswith("<"):
            iri = urljoin(base or "", name[1:-1])
        elif ":" in name and not name.startswith(("?", "$", '"', "'")) and name.upper() != "NAMED":
            prefix, _, local = name.partition(":")
            if prefix + ":" not in known:
                continue  # the engine will say the prefix is unknown
            iri = known[prefix + ":"] + local.replace("\\", "")
        else:
            continue
        pieces += [query[done:at], f"<{rename(iri)}>"]
        done = at + len(name)
    pieces.append(query[done:])
    return "".join(pieces), has_from, uses_graph


def final_limit(query: str) -> int | None:
    """The LIMIT of the query as a whole (outside every group), or None when it has none."""
    depth = 0
    limit = None
    found = tokens(query)
    for i, (token, _) in enumerate(found):
        if token in "{(":
            depth += 1
        elif token in "})":
            depth -= 1
        elif depth == 0 and token.upper() == "LIMIT" and i + 1 < len(found) and found[i + 1][0].isdigit():
            limit = int(found[i + 1][0])
    return limit


def construct_bound(query: str) -> int | None:
    """At most how many triples a CONSTRUCT query can answer (its template's tokens, a bound on
    its triples, times its final LIMIT); None for other forms or without a LIMIT."""
    found = tokens(query)
    start = next((i for i, (token, _) in enumerate(found) if token.upper() == "CONSTRUCT"), None)
    limit = final_limit(query)
    if start is None or limit is None or start + 2 >= len(found):
        return None
    opening = start + 1 if found[start + 1][0] == "{" else start + 2  # CONSTRUCT { template } or CONSTRUCT WHERE { … }
    depth = 0
    for size, (token, _) in enumerate(found[opening:]):  # size: the template's tokens and its opening brace
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth == 0:
            return size * limit
    return None


def with_limit(query: str, limit: int) -> str:
    """The query with `LIMIT limit` added at its end, when it has no LIMIT of its own and ends
    in a solution modifier (not in a VALUES block, after which a LIMIT cannot go)."""
    if final_limit(query) is not None:
        return query
    depth = 0
    for token, _ in tokens(query):
        if token in "{(":
            depth += 1
        elif token in "})":
            depth -= 1
        elif depth == 0 and token.upper() == "VALUES":
            return query
    return f"{query}\nLIMIT {limit}"
