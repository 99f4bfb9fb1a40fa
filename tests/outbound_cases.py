"""Queries that try to make the endpoint reach another host, hidden by each lexical trick of
SPARQL's grammar: comments ended by a carriage return, local-name escapes read as quotes,
`#` inside IRIs and strings, long strings, codepoint escapes in keywords and IRIs, PN_LOCAL
`%xx` escapes, prefixed names, BASE, default prefixes, case, SILENT, every kind of group.
Generated as a product, so a new trick multiplies over every place it can hide."""

from __future__ import annotations

from collections.abc import Iterator


def _targets(port: int) -> list[tuple[str, str]]:
    """(prologue, SERVICE target) pairs that all name http://127.0.0.1:port/t."""
    host = f"http://127.0.0.1:{port}/"
    return [
        ("", f"<{host}t>"),
        ("", f"<\\u0068ttp://127.0.0.1:{port}/t>"),
        ("", f"<{host}\\u0074>"),
        (f"PREFIX h: <{host}> ", "h:t"),
        (f"PREFIX h: <{host}> ", "h:%74"),
        (f"PREFIX h: <{host}> ", "h:\\-t"),
        (f"PREFIX : <{host}> ", ":t"),
        (f"BASE <{host}> ", "<t>"),
    ]


KEYWORDS = ["SERVICE", "service", "SeRvIcE", "\\u0053ERVICE", "SERV\\u0049CE", "\\U00000053ERVICE", "SERVICE SILENT"]

# Where the SERVICE clause {S} sits; every context is a whole query once {S} is filled in.
CONTEXTS = [
    "SELECT * WHERE {{ {S} }}",
    "SELECT * WHERE {{ #c\r{S} }}",
    "SELECT * WHERE {{ #c\r\n{S} }}",
    "PREFIX e: <http://e/> SELECT * WHERE {{ OPTIONAL {{ ?s e:p\\' ?o }} {S} FILTER(?z != '') }}",
    'PREFIX e: <http://e/> SELECT * WHERE {{ OPTIONAL {{ ?s e:p\\" ?o }} {S} FILTER(?z != "") }}',
    "SELECT * WHERE {{ ?s <http://e/#x> ?o . {S} }}",
    'SELECT * WHERE {{ BIND("#" AS ?h) {S} }}',
    'SELECT * WHERE {{ BIND("""a"b""c""" AS ?h) {S} }}',
    "SELECT * WHERE {{ BIND('''x''y''' AS ?h) {S} }}",
    'SELECT * WHERE {{ BIND("a\\"#" AS ?h) {S} }}',
    "SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ {S} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o MINUS {{ {S} }} }}",
    "SELECT * WHERE {{ {{ SELECT * WHERE {{ {S} }} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ {S} }} }}",
    "SELECT * WHERE {{ GRAPH ?g {{ {S} }} }}",
    "ASK {{\t{S}\t}}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {S} }}",
]


def reproducers(port: int) -> list[str]:
    """The two queries that got through the text-only guard, as the issue gave them."""
    return [
        f"SELECT * WHERE {{ #c\rSERVICE <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }} }}",
        f"PREFIX e: <http://e/> SELECT * WHERE {{ OPTIONAL {{ ?s e:p\\' ?o }} "
        f"SERVICE <http://127.0.0.1:{port}/y> {{ ?x ?y ?z }} FILTER(?z != '') }}",
    ]


def hidden_requests(port: int) -> Iterator[str]:
    """Every context × keyword × target, then FROM, FROM NAMED, LOAD and DESCRIBE of the host."""
    yield from reproducers(port)
    for context in CONTEXTS:
        for keyword in KEYWORDS:
            for prologue, target in _targets(port):
                yield prologue + context.format(S=f"{keyword} {target} {{ ?s ?p ?o }}")
    host = f"http://127.0.0.1:{port}/"
    yield f"SELECT * FROM <{host}data.ttl> WHERE {{ ?s ?p ?o }}"
    yield f"SELECT * FROM NAMED <{host}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    yield f"ASK FROM <\\u0068ttp://127.0.0.1:{port}/d> {{ }}"
    yield f"LOAD <{host}data.ttl>"
    yield f"#c\rLOAD <{host}data.ttl>"
    yield f"DESCRIBE <{host}x>"
