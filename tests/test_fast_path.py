"""The in-process fast path (issue 21): what it runs is written from its own parse, it reads
every query as a SPARQL parser does or not at all, and no query makes the server connect out.

The reference parser is rdflib's (SPARQL 1.1's grammar in pyparsing), run on the same text: where
`server.sparql.cheap.parse` takes a query, the reference must read the very same pattern, projection and
limit (or the same described IRIs); where the reference reads one of the shapes, so must we. The
generated set puts every Unicode space and line break (Zs, Zl, Zp, and the controls and format
characters that look like them) in each position: prologue, subject, object, DESCRIBE list."""

from __future__ import annotations

import sys
import time
import unicodedata
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from live_server import Listener, live_server
from pyparsing import ParseException
from rdflib import Literal, URIRef, Variable
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from loaders.core.vocab import PREFIXES
from server.backends.embedded.backend import EmbeddedBackend
from server.sparql.cheap import INLINE_ROWS, MAX_DESCRIBED, CheapQuery, parse

ENDPOINT = "http://127.0.0.1:8000/sparql"
SPACES = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Zs", "Zl", "Zp")]
LOOKALIKES = ["\x0b", "\x0c", "\x85", "\u200b", "\u2060", "\ufeff", "\u180e"]
TRICKY = [c for c in SPACES + LOOKALIKES if c != " "]


def _service(port: int) -> str:
    return f"SERVICE <http://127.0.0.1:{port}/x> {{ ?leak ?b ?c }}"


def reproducers(port: int) -> list[str]:
    """The issue's queries, each Unicode space of it."""
    found = []
    for space in ("\u00a0", "\u2000", "\u2003", "\u200a", "\u202f", "\u205f", "\u3000", "\u1680", "\u2028", "\u2029"):
        iri = f"<{space}#>"
        found += [
            f"DESCRIBE {iri} WHERE {{ {_service(port)} }}",
            f"DESCRIBE {iri} {{ {_service(port)} }}",
            f"PREFIX e: {iri} SELECT * WHERE {{ {_service(port)} OPTIONAL {{ SELECT * {{ ?s ?p {iri} }} }} }}",
            f"BASE {iri} SELECT * WHERE {{ {_service(port)} OPTIONAL {{ SELECT * {{ ?s ?p {iri} }} }} }}",
        ]
    return found


def generated(port: int) -> list[str]:
    """Each tricky character in each position, with a SERVICE clause where the text would hide it."""
    found = []
    for c in TRICKY:
        iri, comment = f"<{c}#>", f"#{c}"
        found += [
            f"PREFIX e: {iri} SELECT ?s WHERE {{ ?s ?p ?o . {_service(port)} }}",  # prologue
            f"BASE {iri} SELECT ?s WHERE {{ ?s ?p ?o {_service(port)} }}",
            f"SELECT ?s WHERE {{ {iri} ?p ?o . {_service(port)} }}",  # subject
            f"SELECT ?s WHERE {{ ?s ?p {iri} . {_service(port)} }}",  # object
            f"SELECT ?s WHERE {{ ?s ?p ?o {comment}\n{_service(port)} }}",
            f"SELECT ?s WHERE {{ ?s ?p ?o {comment}{c}}} {_service(port)}",  # a comment that the character does not end
            f"DESCRIBE <http://e/a> {iri} {{ {_service(port)} }}",  # DESCRIBE list
            f"DESCRIBE{c}<http://e/a> {{ {_service(port)} }}",
            f"SELECT{c}?s WHERE {{ ?s ?p ?o {_service(port)} }}",
            f"SELECT ?s WHERE {{ ?s{c}?p ?o . {_service(port)} }}",
        ]
    return found


def test_no_reproducer_and_no_generated_query_is_taken_for_a_cheap_one() -> None:
    queries = reproducers(9) + generated(9)
    taken = [q for q in queries if parse(q, PREFIXES, ENDPOINT) is not None]
    assert len(queries) > 10 * len(TRICKY) and taken == []


@pytest.mark.parametrize("c", TRICKY, ids=[f"U+{ord(c):04X}" for c in TRICKY])
def test_a_query_cheap_but_for_one_tricky_character_goes_to_a_worker(c: str) -> None:
    assert parse(f"SELECT ?s WHERE {{ ?s ?p <http://e/{c}> }}", PREFIXES, ENDPOINT) is None  # not an IRI we write back
    assert parse(f"SELECT ?s WHERE {{ ?s ?p ?o }}{c}", PREFIXES, ENDPOINT) is None
    assert parse(f"DESCRIBE <http://e/a>{c}", PREFIXES, ENDPOINT) is None


def test_what_runs_is_written_from_the_parse_not_copied() -> None:
    query = "PREFIX e: <http://e/> # SERVICE <http://x/>\r select $o where { e:a a ?o . } LIMIT 3"
    found = parse(query, PREFIXES, ENDPOINT)
    assert found is not None
    assert found.text == "SELECT ?o WHERE { <http://e/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?o } LIMIT 3"
    relative = parse("BASE <https://w3id.org/s3kg/id/> DESCRIBE <project/gotos3> s3:Project", PREFIXES, ENDPOINT)
    assert relative is not None
    assert relative.text == "DESCRIBE <https://w3id.org/s3kg/id/project/gotos3> <https://w3id.org/s3kg/ontology#Project>"


# --- the decision against the reference parser ------------------------------------------------


def _iri_ok(term: Any) -> bool:
    text = str(term)
    return (
        isinstance(term, URIRef)
        and text[:1].isascii()
        and text[:1].isalpha()
        and ":" in text
        and not any(unicodedata.category(c)[0] in "ZC" for c in text)
    )


def _term(term: Any, position: str) -> tuple[str, str] | None:
    if isinstance(term, Variable):
        return ("var", str(term))
    if isinstance(term, Literal) and position == "o" and term.language is None and term.datatype is None:
        return ("string", str(term))
    return ("iri", str(term)) if _iri_ok(term) else None


def reference(query: str) -> tuple[Any, ...] | None:
    """rdflib's reading of the query, in the same terms as `ours`, when it is one of the shapes."""
    if "\\" in query:
        return None
    try:
        parsed = parseQuery(query.replace("\r", "\n"))  # rdflib ends a comment at LF only; SPARQL at CR too
        algebra = translateQuery(parsed, base=ENDPOINT, initNs=PREFIXES).algebra
    except (ParseException, ValueError, TypeError, KeyError, AttributeError):  # rdflib refuses the query
        return None
    except Exception as error:  # rdflib raises a bare Exception for an unknown prefix
        if "Unknown namespace prefix" not in str(error):
            raise
        return None
    if algebra.datasetClause:
        return None
    if algebra.name == "DescribeQuery":
        described = algebra.PV
        if set(dict(parsed[1])) != {"var"} or not 0 < len(described) <= MAX_DESCRIBED or not all(_iri_ok(t) for t in described):
            return None
        return ("DESCRIBE", tuple(sorted({str(t) for t in described})))
    if algebra.name != "SelectQuery":
        return None
    node, limit = algebra.p, None
    if node.name == "Slice":
        if node.start != 0 or node.length is None or node.length > INLINE_ROWS:
            return None
        node, limit = node.p, node.length
    if node.name != "Project" or node.p.name != "BGP" or len(node.p.triples) != 1:
        return None
    triple = node.p.triples[0]
    terms = tuple(_term(t, pos) for t, pos in zip(triple, "spo", strict=True))
    if None in terms or (terms[0] and terms[0][0] == "string"):
        return None
    names = [t[1] for t in terms if t and t[0] == "var"]
    if len(names) != len(set(names)) or not all(name.isascii() for name in names):
        return None
    return ("SELECT", tuple(sorted(str(v) for v in node.PV)), terms, limit)


def ours(found: CheapQuery | None) -> tuple[Any, ...] | None:
    if found is None:
        return None
    if found.form == "DESCRIBE":
        return ("DESCRIBE", tuple(sorted(set(found.described))))  # the same resource twice is described once
    assert found.pattern is not None
    projection = found.projection or tuple(t.value for t in found.pattern if t.kind == "var")
    return ("SELECT", tuple(sorted(projection)), tuple((t.kind, t.value) for t in found.pattern), found.limit)


WS = [" ", "\t", "\n", "\r", "\r\n", "  ", "#c\n", "#c\r", *TRICKY[:12], "\u2028", "\u3000", "#c\u2028", "#c\u0085"]
IRIS = ["<http://e/a>", "<https://w3id.org/s3kg/id/project/gotos3>", "s3:Project", "e:x", "e:", ":", "<\u00a0#>", "<rel>",
        "<http://e/\u00a0>", "<http://e/#x>", "e:a.b", "e:1"]  # fmt: skip
VARS = ["?s", "$s", "?o", "?x1", "$p"]
OBJECTS = [*IRIS, *VARS, "'x'", '"y z"', '"#"', "'x'@en", '"""t"""', "5", '"é"']
PROLOGUES = ["", "PREFIX e: <http://e/>", "PREFIX e: <\u00a0#>", "BASE <http://b/c/>", "BASE <\u2003#>", "prefix : <http://d/>"]
TAILS = ["", "LIMIT 5", "limit 500", "LIMIT 501", "OFFSET 1", "ORDER BY ?s", "{", "}", "SERVICE <http://127.0.0.1:9/x> { }"]


@st.composite
def near_cheap_queries(draw: st.DrawFn) -> str:
    ws = st.sampled_from([" "] * 8 * len(WS) + WS)  # mostly plain, so that many queries are near the line
    prologue = draw(st.sampled_from(["", "", *PROLOGUES]))
    if draw(st.booleans()):
        described = draw(st.lists(st.sampled_from(IRIS * 4 + VARS), min_size=0, max_size=MAX_DESCRIBED + 1))
        body = "DESCRIBE" + "".join(draw(ws) + iri for iri in described)
    else:
        head = draw(st.sampled_from(["*", "?s", "?s ?o", "$o", "", "DISTINCT ?s"]))
        s, p, o = (draw(st.sampled_from(terms)) for terms in (IRIS + VARS, [*IRIS, *VARS, "a", "A"], OBJECTS))
        where = draw(st.sampled_from(["WHERE", "where", ""]))
        dot = draw(st.sampled_from(["", ".", " ."]))
        body = f"SELECT{draw(ws)}{head}{draw(ws)}{where}{draw(ws)}{{{draw(ws)}{s}{draw(ws)}{p}{draw(ws)}{o}{dot}{draw(ws)}}}"
    tail = draw(st.sampled_from(["", "", "", *TAILS]))
    return f"{prologue}{draw(ws)}{body}{draw(ws)}{tail}"


@seed(21)
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=near_cheap_queries())
def test_the_fast_path_reads_each_query_as_the_sparql_parser_does(query: str) -> None:
    assert ours(parse(query, PREFIXES, ENDPOINT)) == reference(query)


# --- against a live server with a listener ----------------------------------------------------


def test_no_reproducer_reaches_a_listener_and_the_answers_do_not_hang(built: Any) -> None:
    listener = Listener()
    queries = reproducers(listener.port) + generated(listener.port)[:80]
    try:
        backend = EmbeddedBackend(built.config.store_dir)
        with live_server(backend, workers=2, cache_bytes=0, query_timeout=10.0) as base, httpx.Client(timeout=60) as client:
            answers = [client.post(base + "sparql", data={"query": q}) for q in queries]
        time.sleep(0.5)
    finally:
        listener.close()
    assert listener.connections == 0
    assert all(a.status_code in (200, 400, 403) for a in answers), {a.status_code for a in answers}
    assert not any("SECRET" in a.text for a in answers)
