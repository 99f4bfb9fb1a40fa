"""What the linking reads, kept by subject between builds (`loaders.core.keyed_reads`): patched from the
earlier build's file for the nodes a change touched, the rows are those of reading the store
whole, for edits of every shape a read can see: a project's own triples, a partner's region two
steps away, a removed participation, a programme's area, an organisation's name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from loaders.core.iris import IriMinter
from loaders.core.keyed_reads import Inputs, Read, _shape
from loaders.core.queries import select_values
from loaders.core.vocab import PREFIXES
from loaders.link import links, matching
from loaders.link.reads import predicates_read, star_of

S3, DCT = PREFIXES["s3"], PREFIXES["dcterms"]


@pytest.mark.parametrize("read", links.READS, ids=lambda read: read.name)
def test_a_keyed_read_is_a_star_or_says_what_reaches_it(read: Read) -> None:
    """A read without `reach` depends only on its subject's own triples; one with it walks only
    predicates the read itself reads (so `reaches_links` still sees every change it can)."""
    variable, _ = _shape(read.query)
    if not read.reach:
        assert star_of(read.query) == variable
    else:
        assert star_of(read.query) is None
        reach = predicates_read([f"SELECT ?subject WHERE {{ {pattern} }}" for pattern in read.reach])
        assert reach is not None and reach <= (predicates_read([read.query]) or set())


@pytest.mark.parametrize(
    ("query", "star"),
    [
        ("SELECT ?p ?t WHERE { ?p a s3:Project ; dcterms:title|dcterms:description ?t }", "p"),
        ("SELECT ?p ?r WHERE { ?p s3:hasParticipation/s3:participant ?r }", None),
        ("SELECT ?p ?r WHERE { ?p s3:region ?x . ?x s3:country ?r }", None),
        ("SELECT ?p ?r WHERE { ?p ^s3:region ?r }", None),
        ("SELECT ?p ?o WHERE { ?p s3:region ?o FILTER EXISTS { ?o s3:country ?c } }", None),
    ],
)
def test_a_star_is_told_from_its_algebra(query: str, star: str | None) -> None:
    assert star_of(query) == star


def _copy(store: ox.Store) -> ox.Store:
    copy = ox.Store()
    copy.extend(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return copy


def _rows(inputs: Inputs, reads: tuple[Read, ...] = links.READS) -> dict[str, list[tuple[str, ...]]]:
    return {read.name: list(inputs.rows(read.name)) for read in reads}


def _made(made: links.Links) -> dict[str, set[str]]:
    """Links as N-Triples lines, graph by graph (rdflib graphs compare by identity)."""
    return {
        str(graph): {str(t) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}
        if isinstance(data, bytes)
        else {line for line in data.serialize(format="nt").splitlines() if line}
        for graph, data in made.items()
    }


def _one(store: ox.Store, query: str) -> list[str]:
    found = list(select_values(store, query + " LIMIT 1"))
    assert found, f"the default build has an example: {query}"
    return found[0]


def _set(store: ox.Store, subject: str, predicate: str, value: ox.NamedNode | ox.Literal) -> list[ox.Triple]:
    """Give a subject a new value of a predicate; the triples that changed."""
    old = list(store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, ox.DefaultGraph()))
    for quad in old:
        store.remove(quad)
    new = ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), value, ox.DefaultGraph())
    store.add(new)
    return [q.triple for q in [*old, new]]


_MATCHED = f"?m <{S3}matchedProject> ?p ; <{S3}sharedRegion> ?r . "


def _retitle(store: ox.Store) -> list[ox.Triple]:
    (project,) = _one(store, f"SELECT ?p WHERE {{ {_MATCHED} ?p <{DCT}title> ?t }}")
    return _set(store, project, f"{DCT}title", ox.Literal("Zzz", language="en"))


def _move_partners(store: ox.Store) -> list[ox.Triple]:
    """Every partner of a project matched by where its partners are (it has no region of its own) moved to Malta."""
    query = (
        f"SELECT ?p WHERE {{ {_MATCHED} ?p <{S3}hasParticipation> ?x FILTER NOT EXISTS {{ ?p <{S3}region> ?own }} }} ORDER BY ?p"
    )
    (project,) = _one(store, query)
    partners = f"SELECT DISTINCT ?o WHERE {{ <{project}> <{S3}hasParticipation>/<{S3}participant> ?o . ?o <{S3}region> ?r }}"
    malta = ox.NamedNode("http://data.europa.eu/nuts/code/MT001")
    return [t for (partner,) in select_values(store, partners) for t in _set(store, partner, f"{S3}region", malta)]


def _remove_participations(store: ox.Store) -> list[ox.Triple]:
    """Every participation of a project matched by where its partners are taken away from it (not
    the project whose partners moved: the store keeps the links it was built with)."""
    rule = f'?m <{S3}matchRule> ?rule FILTER (STRSTARTS(?rule, "region-")) '
    query = f"SELECT ?p WHERE {{ {_MATCHED} {rule} FILTER NOT EXISTS {{ ?p <{S3}region> ?own }} }} ORDER BY DESC(?p)"
    (project,) = _one(store, query)
    has = ox.NamedNode(f"{S3}hasParticipation")
    quads = list(store.quads_for_pattern(ox.NamedNode(project), has, None, ox.DefaultGraph()))
    for quad in quads:
        store.remove(quad)
    return [q.triple for q in quads]


_EDITS: dict[str, Callable[[ox.Store], list[ox.Triple]]] = {
    "a matched project's title": _retitle,
    "the regions of a matched project's partners (two steps away)": _move_partners,
    "a matched project's participations removed": _remove_participations,
    "a programme's area": lambda store: _set(
        store,
        _one(store, f"SELECT ?g WHERE {{ ?p <{S3}programme> ?g . ?g <{S3}territory> ?t }}")[0],
        f"{S3}territory",
        ox.NamedNode("http://data.europa.eu/nuts/code/FI1"),
    ),
    "an organisation's name": lambda store: _set(
        store, _one(store, f"SELECT ?o WHERE {{ ?o a <{S3}Organisation> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }}")[0],
        "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal("Renamed Organisation"),
    ),
}  # fmt: skip


def test_patched_inputs_are_those_read_whole_after_each_edit(built: Any, tmp_path: Path) -> None:
    """Edits made one after another, as successive builds make them: each build's file patched
    from the one before has the rows of the store read whole, and the same links; and it read
    again far fewer subjects than there are."""
    minter = IriMinter(built.config.base_iri)
    store = _copy(built.store)
    earlier = tmp_path / "0.sqlite"
    read = Inputs.read(store, links.READS, earlier)
    rows = _rows(read)
    read.close()
    for number, (edit, change) in enumerate(_EDITS.items(), start=1):
        before = _made(links.make_links(store, minter))
        changed = change(store)
        kept = tmp_path / f"{number}.sqlite"
        patched = Inputs.patched(store, links.READS, earlier, kept, links.touched_by(changed))
        whole = _rows(Inputs.read(store, links.READS))
        assert whole != rows, f"{edit}: the edit changes what the linking reads, so the check below can fail"
        assert _rows(patched) == whole, edit
        ((subjects,),) = patched.db.execute("SELECT count(*) FROM (SELECT DISTINCT read, subject FROM rows)")
        assert 0 < patched.reread < subjects / 20, f"{edit}: only what the change reaches is read again"
        patched.close()
        since = links.Since(earlier, links.touched_by(changed))
        after = _made(links.make_links(store, minter, tmp_path / f"{number}b.sqlite", since))
        assert after == _made(links.make_links(store, minter)), edit
        if "matched" in edit:
            assert after != before, f"{edit}: the edit changes the links, so the check above can fail"
        earlier, rows = kept, whole


def test_without_its_reach_a_read_would_miss_a_change_two_steps_away(built: Any, tmp_path: Path) -> None:
    """The partners' regions are read through two steps: a change of a partner's region touches
    only the partner, so without `reach` the project's rows would stay as they were."""
    regions = next(read for read in matching.KEYED if read.name == "regions")
    blind = (Read(regions.name, regions.query),)
    store = _copy(built.store)
    earlier = tmp_path / "earlier.sqlite"
    Inputs.read(store, blind, earlier).close()
    changed = _EDITS["the regions of a matched project's partners (two steps away)"](store)
    patched = Inputs.patched(store, blind, earlier, tmp_path / "blind.sqlite", links.touched_by(changed))
    assert _rows(patched, blind) != _rows(Inputs.read(store, blind), blind)
    earlier_full = tmp_path / "earlier-full.sqlite"
    Inputs.read(_copy(built.store), (regions,), earlier_full).close()
    seen = Inputs.patched(store, (regions,), earlier_full, tmp_path / "seen.sqlite", links.touched_by(changed))
    assert _rows(seen, (regions,)) == _rows(Inputs.read(store, (regions,)), (regions,))


def test_inputs_written_by_other_code_missing_or_damaged_are_read_whole(built: Any, tmp_path: Path) -> None:
    store = _copy(built.store)
    reads = links.READS
    missing = Inputs.patched(store, reads, tmp_path / "none.sqlite", tmp_path / "a.sqlite", frozenset())
    assert missing.reread == 0 and _rows(missing) == _rows(Inputs.read(store, reads))
    other = tmp_path / "other.sqlite"
    Inputs.read(store, reads[:1], other).close()  # other reads: another digest
    stale = Inputs.patched(store, reads, other, tmp_path / "b.sqlite", frozenset())
    assert stale.reread == 0 and _rows(stale) == _rows(Inputs.read(store, reads))
    blank = Inputs.patched(store, reads, tmp_path / "a.sqlite", tmp_path / "c.sqlite", frozenset({ox.BlankNode()}))
    assert blank.reread == 0 and _rows(blank) == _rows(Inputs.read(store, reads))
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database " * 100)  # a file damaged or overwritten since
    damaged = Inputs.patched(store, reads, garbage, tmp_path / "d.sqlite", frozenset())
    assert damaged.reread == 0 and _rows(damaged) == _rows(Inputs.read(store, reads))
