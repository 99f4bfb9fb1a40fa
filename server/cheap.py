"""Queries whose work is bounded by the rows they answer, recognised from their tokens.

A query worker process exists to stop a query that runs too long: pyoxigraph cannot cancel one.
Some queries cannot run long before they answer: a single triple pattern with no variable
repeated is one index range scan, every step of which yields a row; DESCRIBE of named resources
reads each one's triples. Such a query, asked for a few rows, can be answered in the server
process itself, without the round trip to a worker (`server.pool`); the pool stops it after
`INLINE_ROWS` rows and runs it on a worker from the start when it wants more.

The shapes are matched exactly and conservatively: anything else (a second pattern, a repeated
variable that would make the scan a filter, OFFSET, DISTINCT, FROM, GRAPH, SERVICE, a path, a
literal with a language or datatype, a number) goes to a worker as before.

    SELECT (* | ?v …) [WHERE] { s p o [.] } [LIMIT n≤500] s: IRI or variable; p: IRI, variable or `a`;
    DESCRIBE <iri> …                                      o: IRI, variable or a plain string
"""

from __future__ import annotations

from loaders.sparql_text import tokens

INLINE_ROWS = 500  # rows an inline query may write before it is handed to a worker instead
MAX_DESCRIBED = 8  # resources one inline DESCRIBE may name


def _is_iri(token: str) -> bool:
    """An <IRI> or a prefixed name (not a blank node label, which acts as a variable)."""
    if token.startswith("<"):
        return True
    return ":" in token and not token.startswith(("_:", "?", "$", '"', "'")) and (token[0].isalpha() or token[0] == ":")


def _is_variable(token: str) -> bool:
    return token[0] in "?$" and len(token) > 1


def _is_plain_string(token: str) -> bool:
    return len(token) >= 2 and token[0] in "\"'" and token[-1] == token[0]


def _after_prologue(found: list[str]) -> int:
    """Index of the first token after the PREFIX and BASE declarations."""
    i = 0
    while i < len(found):
        keyword = found[i].upper()
        if keyword == "PREFIX" and i + 2 < len(found) and found[i + 2].startswith("<"):
            i += 3
        elif keyword == "BASE" and i + 1 < len(found) and found[i + 1].startswith("<"):
            i += 2
        else:
            return i
    return i


def _one_pattern(terms: list[str]) -> bool:
    if len(terms) != 3:
        return False
    subject, predicate, obj = terms
    allowed = (
        _is_iri(subject) or _is_variable(subject),
        _is_iri(predicate) or _is_variable(predicate) or predicate == "a",
        _is_iri(obj) or _is_variable(obj) or _is_plain_string(obj),
    )
    variables = [term[1:] for term in terms if _is_variable(term)]  # ?x and $x are one variable
    return all(allowed) and len(variables) == len(set(variables))


def _select(found: list[str]) -> bool:
    i = 1
    if i < len(found) and found[i] == "*":
        i += 1
    else:
        start = i
        while i < len(found) and _is_variable(found[i]):
            i += 1
        if i == start:
            return False
    if i < len(found) and found[i].upper() == "WHERE":
        i += 1
    if i >= len(found) or found[i] != "{":
        return False
    try:
        close = found.index("}", i)
    except ValueError:
        return False
    terms = found[i + 1 : close]
    if terms and terms[-1] == ".":
        terms = terms[:-1]
    rest = found[close + 1 :]
    # a LIMIT above INLINE_ROWS says the client expects more rows: a worker answers it at once
    limit_ok = not rest or (len(rest) == 2 and rest[0].upper() == "LIMIT" and rest[1].isdigit() and int(rest[1]) <= INLINE_ROWS)
    return _one_pattern(terms) and limit_ok


def _describe(found: list[str]) -> bool:
    named = found[1:]
    return 0 < len(named) <= MAX_DESCRIBED and all(_is_iri(token) for token in named)


def is_cheap(query: str) -> bool:
    """True when the query is one of the shapes above (its work bounded by the rows it answers)."""
    found = [token for token, _ in tokens(query)]
    body = found[_after_prologue(found) :]
    if not body:
        return False
    keyword = body[0].upper()
    if keyword == "SELECT":
        return _select(body)
    if keyword == "DESCRIBE":
        return _describe(body)
    return False
