"""What the tables' index reads of a build, as keyed reads (loaders/core/keyed_reads.py): each a
SELECT whose first variable is a row (a subject of any class; the index keeps those of its
table), so that an incremental build reads again only the rows its change can reach.

A read along a path from its row says which rows a changed node can reach it from (`reach_of`):
the triples a path walks have as subject the node before a forward step, the node after an
inverse step (^p), and any node along a closure (p*). Each alternative of a facet's path is a
read of its own, and a last step p* is taken from p's closure, read once (`closure_read`):
Oxigraph walks an alternative or a closure from every row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from loaders.core.keyed_reads import Read
from loaders.publish.tables.spec import ENDS, STARTS, Column, Table

READS_FILE = "reads.sqlite"  # in the tables' folder, for the next build to patch


def _read(query: str, reach: tuple[str, ...] = ()) -> Read:
    """A read named by its query (two tables asking the same keep its rows once)."""
    return Read(hashlib.sha256(query.encode()).hexdigest()[:16], query, reach)


def steps(path: str) -> list[str]:
    """A sequence path's steps (p, ^p, p*); the tables' paths have no groups."""
    if "(" in path or "|" in path:
        raise ValueError(f"{path!r} is not a sequence of steps")
    return path.split("/")


def inverse(path: str) -> str:
    """The path walked backwards: ^c/^b/a for a/b/^c."""
    return "/".join(step[1:] if step.startswith("^") else f"^{step}" for step in reversed(steps(path)))


def reach_of(path: str) -> tuple[str, ...]:
    """Patterns binding ?subject to the rows whose values along `path` a change of ?node's own
    triples can change (the row itself is always among them)."""
    walked = steps(path)
    found = []
    for number, step in enumerate(walked, start=1):
        upto = number if step.startswith("^") or step.endswith("*") else number - 1
        if upto:
            found.append(f"?subject {'/'.join(walked[:upto])} ?node")
    return tuple(dict.fromkeys(found))


def closure_read(step: str) -> Read:
    """Each node's nodes along `step` one or more times (skos:broader: the regions a region lies in)."""
    return _read(f"SELECT ?a ?b WHERE {{ ?a {step}+ ?b FILTER isIRI(?b) }}", (f"?subject {step}+ ?node",))


@dataclass(frozen=True)
class Along:
    """One alternative of a path from a row, read forward from its key. A path that starts with
    inverse steps (^s3:participant/^s3:hasParticipation: an organisation's projects) is read from
    its far end: `back` has the (far node, row) pairs, `read` the far nodes' values (none: the
    values are the far nodes). Read from the row, a removed triple of such a step would be missed:
    its subject is the far node, which the row no longer reaches."""

    read: Read | None  # (key, value[, language]) rows
    back: Read | None = None
    closure: str | None = None  # the step whose closure extends the values (p* at the end)


def along(path: str, select: str = "", wanted: str = "") -> Along:
    """The reads of a sequence path from ?row to ?v; `select` adds columns to a read of values,
    `wanted` a filter on ?v (isIRI)."""
    walked = steps(path)
    leading = 0
    while leading < len(walked) and walked[leading].startswith("^"):
        leading += 1
    if any(step.startswith("^") for step in walked[leading:]):
        raise ValueError(f"{path!r}: an inverse step after a forward one")
    back = None
    if leading:
        far = "/".join(step[1:] for step in reversed(walked[:leading]))
        back = _read(f"SELECT ?far ?row WHERE {{ ?far {far} ?row }}", reach_of(far))
    forward = walked[leading:]
    if not forward:
        return Along(None, back)
    last = forward[-1]
    closure = last[:-1] if last.endswith("*") and len(forward) > 1 else None
    head = "/".join(forward[:-1] if closure else forward)
    key = "?far" if back else "?row"
    query = f"SELECT {key} ?v{select} WHERE {{ {key} {head} ?v {wanted}}}"
    return Along(_read(query, reach_of(head)), back, closure)


def facet_reads(table: Table, name: str) -> list[Along]:
    """A facet's reads, one per alternative of its path."""
    return [along(alternative, wanted="FILTER isIRI(?v) ") for alternative in table.facets[name].split("|")]


def column_read(table: Table, column: Column) -> Along:
    """A column's values for each row (with their language, for a label column)."""
    subject, path, value = column.pattern.split()
    if {subject, value} != {"?row", "?v"}:
        raise ValueError(f"{column.name}'s pattern {column.pattern!r} is not one path between ?row and ?v")
    return along(path if subject == "?row" else inverse(path), " (LANG(?v) AS ?l)" if column.kind == "label" else "")


def range_paths(table: Table) -> list[tuple[str, str]]:
    """The paths whose least and greatest values a table's index keeps, with their kind (number or
    date), in file order: each range filter's, then (with a status) the start and end dates."""
    paths = [(bound.path, bound.kind) for bound in table.bounds.values()]
    if "status" in table.choices:
        paths += [(STARTS, "date"), (ENDS, "date")]
    return list(dict.fromkeys(paths))


def range_read(table: Table, number: int) -> Along:
    path, _ = range_paths(table)[number]
    return along(path)


def member_read(table: Table) -> Read:
    return _read(f"SELECT ?row ?t WHERE {{ ?row a ?t FILTER (?t = s3:{table.cls}) }}")


EUR = "http://publications.europa.eu/resource/authority/currency/EUR"
_PARTNERS = "s3:hasParticipation/s3:participant"
# Two reads, not one with a UNION: Oxigraph ran the UNION once per participation (11 s at 11,000)
PARTNER_PLACES = (  # (row, organisation, region): where its partners are, or their participation is
    _read(
        "SELECT ?row ?o ?r WHERE { ?row s3:hasParticipation ?x . ?x s3:participant ?o . ?o s3:region ?r FILTER isIRI(?r) }",
        reach_of(f"{_PARTNERS}/s3:region"),
    ),
    _read(
        "SELECT ?row ?o ?r WHERE { ?row s3:hasParticipation ?x . ?x s3:participant ?o ; s3:region ?r FILTER isIRI(?r) }",
        reach_of("s3:hasParticipation/s3:region"),
    ),
)
OWN_PLACES = along("s3:region", wanted="FILTER isIRI(?v) ").read  # (row, region): the region's facet reads it too
BUDGETS = _read(  # (row, amount): the total budget in euro
    f"SELECT ?row ?b WHERE {{ ?row s3:totalBudget ?m . ?m schema:value ?b ; s3:currency <{EUR}> }}",
    reach_of("s3:totalBudget/schema:value"),
)


def place_reads() -> list[Read]:
    """The map's reads of a mapped table's rows (loaders/publish/tables/places.py)."""
    assert OWN_PLACES is not None
    return [*PARTNER_PLACES, OWN_PLACES, BUDGETS]


def every_read(tables: list[Table]) -> list[Read]:
    """Every read of these tables' index, each query once."""
    alongs: list[Along] = []
    reads = [member_read(table) for table in tables]
    reads += [read for table in tables if table.mapped for read in place_reads()]
    for table in tables:
        alongs += [a for name in table.facets for a in facet_reads(table, name)]
        alongs += [column_read(table, column) for column in table.columns]
        alongs += [range_read(table, number) for number in range(len(range_paths(table)))]
    for found in alongs:
        reads += [read for read in (found.read, found.back) if read is not None]
        if found.closure:
            reads.append(closure_read(found.closure))
    return list({read.name: read for read in reads}.values())
