"""Query text read as tokens (server.sparql.text) and an engine's answers put right on the way
back (loaders.publish.remote): the parts the remote store relies on, case by case."""

from __future__ import annotations

import pytest

from loaders.publish.remote import BuildView
from server.backends.remote.translate import Unprefix, VirtuosoDates, prepare
from server.sparql.text import construct_bound, final_limit, rename_graphs, with_limit

G = "https://w3id.org/s3kg/id/graph/"


def _renamed(iri: str) -> str:
    return "urn:b:" + iri


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"SELECT * WHERE {{ GRAPH <{G}a> {{ ?s ?p ?o }} }}", f"SELECT * WHERE {{ GRAPH <urn:b:{G}a> {{ ?s ?p ?o }} }}"),
        (
            f"PREFIX g: <{G}> SELECT * FROM NAMED g:a {{ GRAPH ?g {{}} }}",
            f"PREFIX g: <{G}> SELECT * FROM NAMED <urn:b:{G}a> {{ GRAPH ?g {{}} }}",
        ),
        ("SELECT * FROM <http://example.org/x> { }", "SELECT * FROM <urn:b:http://example.org/x> { }"),  # never a URL to fetch
        (f"SELECT * {{ ?s ?p <{G}a> }}", f"SELECT * {{ ?s ?p <{G}a> }}"),  # a graph IRI as a value stays
        ("SELECT * { ?s ?p 'GRAPH <http://x/>' }", "SELECT * { ?s ?p 'GRAPH <http://x/>' }"),  # inside a string
        ("BASE <http://x/> SELECT * { GRAPH <g> {} }", "BASE <http://x/> SELECT * { GRAPH <urn:b:http://x/g> {} }"),
        ("SELECT * { # GRAPH <http://x/>\n ?s ?p ?o }", "SELECT * { # GRAPH <http://x/>\n ?s ?p ?o }"),  # a comment
    ],
)
def test_graph_iris_after_graph_from_and_from_named_are_renamed_and_nothing_else(query: str, expected: str) -> None:
    assert rename_graphs(query, {}, None, _renamed)[0] == expected


def test_a_query_says_whether_it_has_its_own_dataset_and_reads_named_graphs() -> None:
    assert rename_graphs("SELECT * FROM <http://x/> {}", {}, None, _renamed)[1:] == (True, False)
    assert rename_graphs("SELECT * { GRAPH ?g { ?s ?p ?o } }", {}, None, _renamed)[1:] == (False, True)
    assert rename_graphs("SELECT * { ?s ?p 'GRAPH' }", {}, None, _renamed)[1:] == (False, False)


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ("SELECT * { ?s ?p ?o } LIMIT 10", 10),
        ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 5 } }", None),  # a subquery's limit is not the query's
        ("SELECT * { ?s ?p ?o } OFFSET 3 LIMIT 20", 20),
        ("SELECT * { ?s ?p 'LIMIT 3' }", None),
        ("SELECT * { ?s ?p ?o }", None),
    ],
)
def test_the_final_limit_is_the_query_s_own(query: str, limit: int | None) -> None:
    assert final_limit(query) == limit


@pytest.mark.parametrize(
    ("query", "bound"),
    [
        ("CONSTRUCT { ?p <http://x/a> ?a } WHERE { ?p <http://x/a> ?a } LIMIT 10", 40),
        ("CONSTRUCT WHERE { ?p <http://x/a> ?a ; <http://x/b> ?c } LIMIT 10", 70),
        ("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * { ?s ?p ?o } LIMIT 5 } }", None),  # no LIMIT of its own
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", None),
        ("SELECT * { ?s ?p ?o } LIMIT 3", None),
        ("DESCRIBE <http://x/a> LIMIT 3", None),  # a DESCRIBE's LIMIT counts resources, not triples
    ],
)
def test_a_construct_s_triples_are_bounded_by_its_template_times_its_limit(query: str, bound: int | None) -> None:
    assert construct_bound(query) == bound


def test_the_row_cap_goes_in_as_a_limit_only_where_one_can_go() -> None:
    assert with_limit("SELECT * { ?s ?p ?o } ORDER BY ?s", 11).endswith("ORDER BY ?s\nLIMIT 11")
    assert with_limit("SELECT * { ?s ?p ?o } LIMIT 5", 11) == "SELECT * { ?s ?p ?o } LIMIT 5"
    values = "SELECT * { ?s ?p ?o } VALUES ?s { <http://x/> }"
    assert with_limit(values, 11) == values  # after a final VALUES block a LIMIT is a syntax error


def test_a_query_goes_to_the_build_s_graphs_unless_it_chooses_its_own() -> None:
    view = BuildView("B", None, (f"{G}a", f"{G}b"))
    _, params = prepare(view, "SELECT * { GRAPH ?g { ?s ?p ?o } }", {}, None)
    assert params == [
        ("default-graph-uri", "urn:x-s3kg:build:B:default"),
        ("named-graph-uri", f"urn:x-s3kg:build:B:{G}a"),
        ("named-graph-uri", f"urn:x-s3kg:build:B:{G}b"),
    ]
    assert prepare(view, "SELECT * { ?s ?p ?o }", {}, None)[1] == [("default-graph-uri", "urn:x-s3kg:build:B:default")]
    assert prepare(view, "SELECT * FROM <http://x/> { ?s ?p ?o }", {}, None)[1] == []
    text, params = prepare(
        view, "SELECT * { ?s s3:p ?o }", {"s3": "https://w3id.org/s3kg/ontology#"}, "http://e/sparql", [f"{G}a"]
    )
    assert text.startswith("BASE <http://e/sparql>\nPREFIX s3: <https://w3id.org/s3kg/ontology#>\n")
    assert params == [("default-graph-uri", f"urn:x-s3kg:build:B:{G}a")]


def test_a_graph_carried_over_from_an_earlier_build_is_asked_for_under_the_name_it_was_uploaded_by() -> None:
    carried = ((f"{G}a", f"urn:x-s3kg:build:A:{G}a"), ("default", "urn:x-s3kg:build:A:default"))
    view = BuildView("B", None, (f"{G}a", f"{G}b"), carried)
    text, params = prepare(view, f"SELECT * {{ GRAPH <{G}a> {{ ?s ?p ?o }} GRAPH ?g {{ ?s ?p ?o }} }}", {}, None)
    assert f"<urn:x-s3kg:build:A:{G}a>" in text
    assert params == [
        ("default-graph-uri", "urn:x-s3kg:build:A:default"),
        ("named-graph-uri", f"urn:x-s3kg:build:A:{G}a"),
        ("named-graph-uri", f"urn:x-s3kg:build:B:{G}b"),
    ]
    assert view.prefixes == ("urn:x-s3kg:build:B:", "urn:x-s3kg:build:A:")


@pytest.mark.parametrize("cut", range(1, 70))
def test_every_build_prefix_comes_out_of_an_answer_cut_anywhere(cut: int) -> None:
    answer = b'{"g": "urn:x-s3kg:build:B:https://w3id.org/s3kg/id/graph/a"}, {"g": "urn:x-s3kg:build:A:x"} urn:x-s3kg:build:'
    plain = Unprefix("urn:x-s3kg:build:B:", "urn:x-s3kg:build:A:")
    got = plain.feed(answer[:cut]) + plain.feed(answer[cut:]) + plain.end()
    assert got == answer.replace(b"urn:x-s3kg:build:B:", b"").replace(b"urn:x-s3kg:build:A:", b"")


@pytest.mark.parametrize("cut", range(1, 40))
def test_the_build_prefix_comes_out_of_an_answer_cut_anywhere(cut: int) -> None:
    answer = b'{"g": "urn:x-s3kg:build:B:https://w3id.org/s3kg/id/graph/a"}, {"g": "urn:x-s3kg:build:B:x"}'
    plain = Unprefix("urn:x-s3kg:build:B:")
    assert plain.feed(answer[:cut]) + plain.feed(answer[cut:]) + plain.end() == answer.replace(b"urn:x-s3kg:build:B:", b"")


@pytest.mark.parametrize(
    ("virtuoso", "canonical"),
    [
        ('">2026-12-02T19:23:21.821140Z</literal>', '">2026-12-02T19:23:21.82114Z</literal>'),
        ('">2026-12-02T19:23:21.000000+01:00</literal>', '">2026-12-02T19:23:21+01:00</literal>'),
        ('">2026-12-02T19:23:21.5</literal>', '">2026-12-02T19:23:21.5</literal>'),
    ],
)
def test_virtuoso_s_padded_seconds_are_made_canonical(virtuoso: str, canonical: str) -> None:
    datatype = '<literal datatype="http://www.w3.org/2001/XMLSchema#dateTime'
    dates = VirtuosoDates()
    first, second = (datatype + virtuoso + "\n").encode()[:30], (datatype + virtuoso + "\n").encode()[30:]
    assert dates.feed(first) + dates.feed(second) + dates.end() == (datatype + canonical + "\n").encode()
    triple = f'<http://x/s> <http://x/p> "{virtuoso[2:].split("<")[0]}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .'
    assert VirtuosoDates.repair(triple.encode()).decode() == triple.replace(
        virtuoso[2:].split("<")[0], canonical[2:].split("<")[0]
    )
