"""The links a build adds to its merged sources (reconciliation and strategy matching, one named
graph per rule), made from the store or carried over from the build it was made from.

An incremental build carries them over when none of its changed source triples has a predicate
the linking queries read (`loaders.link.reads`), and neither the code, the shapes nor the
ontology changed: the queries then get the same answers, so the links would be the same. They are
copied from the earlier build's store after validation, as a full build adds them, so that
validation sees the same store either way. When the change does reach them, they are made again,
but from what the earlier build's linking read, patched for the subjects the change reaches
(`loaders.core.keyed_reads`), rather than from every project read again.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from loaders.core.iris import IriMinter
from loaders.core.keyed_reads import Inputs
from loaders.link import matching, reconcile
from loaders.link.reads import predicates_read

Links = dict[URIRef, Graph | bytes]


def link_graphs(minter: IriMinter) -> list[URIRef]:
    """The named graphs of the links, one per rule."""
    return [minter.graph(f"reconciliation-{rule}") for rule in reconcile.RULES] + [
        minter.graph(f"matching-{rule}") for rule in matching.RULES
    ]


READS = (*reconcile.KEYED, *matching.KEYED)  # what the linking reads by subject (loaders.core.keyed_reads)
INPUTS_FILE = "link-inputs.sqlite"  # where a build keeps them, for the next one


@dataclass(frozen=True)
class Since:
    """What an incremental build's linking starts from: the earlier build's kept inputs, and the
    nodes whose merged source triples changed since (the subjects of the changed triples)."""

    inputs: Path
    touched: frozenset[ox.NamedNode | ox.BlankNode]


def make_links(store: ox.Store, minter: IriMinter, kept: Path | None = None, since: Since | None = None) -> Links:
    """Every rule's links, made from the merged sources in `store`; what they read is kept in
    `kept` (if given) and, with `since`, patched from the earlier build's instead of read whole."""
    if kept is not None and since is not None:
        inputs = Inputs.patched(store, READS, since.inputs, kept, since.touched)
    else:
        inputs = Inputs.read(store, READS, kept)
    try:
        links: Links = {minter.graph(f"reconciliation-{rule}"): g for rule, g in reconcile.reconcile(store, inputs).items()}
        made = matching.match_ntriples(store, minter, inputs)
    finally:
        inputs.close()
    links.update((minter.graph(f"matching-{rule}"), data) for rule, data in made.items())
    return links


def touched_by(changed: Iterable[ox.Triple]) -> frozenset[ox.NamedNode | ox.BlankNode]:
    """The subjects of changed triples: the nodes whose own triples changed."""
    return frozenset(t.subject for t in changed if isinstance(t.subject, ox.NamedNode | ox.BlankNode))


@functools.cache
def link_reads() -> frozenset[str] | None:
    """The predicates the linking reads (None: any)."""
    read = [predicates_read(reconcile.QUERIES), predicates_read(matching.QUERIES)]
    if any(r is None for r in read):
        return None
    return frozenset().union(*(r for r in read if r is not None)) | matching.READ_BY_KEY


def reaches_links(changed: Iterable[ox.Triple]) -> bool:
    """Whether a change of these source triples can change the links."""
    read = link_reads()
    return read is None or any(triple.predicate.value in read for triple in changed)


def carried_links(earlier: ox.Store, minter: IriMinter, inputs: Path | None = None, kept: Path | None = None) -> Links:
    """The earlier build's links, graph by graph, as N-Triples; and the inputs it kept (`inputs`),
    the same for this build, copied to `kept`."""
    if inputs is not None and kept is not None and inputs.is_file():
        shutil.copyfile(inputs, kept)
    return {
        graph: earlier.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(graph))) or b""
        for graph in link_graphs(minter)
    }
