"""Exports as users download them: each CSV/TSV golden input is rewritten the way real exports
come (BOM and CRLF, a trailing delimiter on every line, header cells with stray spaces and
another case, columns in another order, extra columns) and must load to the same graph, with
the same row account; a file lacking a column the mapping needs is refused, naming it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rdflib import RDFS, Graph, Node, URIRef
from rdflib.compare import to_isomorphic
from test_golden import CORDIS, GOLDEN, MINTER, _keep_inputs

from loaders.core.terms import TripleSink
from loaders.core.vocab import S3
from loaders.map.exports import cordis
from loaders.map.exports.keep_eu import load_keep_eu
from loaders.map.exports.kohesio import load_kohesio_projects
from loaders.map.exports.kohesio_beneficiaries import load_beneficiaries
from loaders.map.tabular import Summary

Table = list[list[str]]


def _bom_and_crlf(table: Table) -> tuple[Table, str, str]:
    return table, "\r\n", "\ufeff"


def _trailing_delimiter(table: Table) -> tuple[Table, str, str]:
    return [[*row, ""] for row in table], "\n", ""


def _header_spacing_and_case(table: Table) -> tuple[Table, str, str]:
    header = [f"  {cell.upper()} " if i % 2 else cell.lower() for i, cell in enumerate(table[0])]
    return [header, *table[1:]], "\n", ""


def _reordered_with_extras(table: Table) -> tuple[Table, str, str]:
    width = len(table[0])
    reordered = [list(reversed(row)) if len(row) == width else row for row in table]
    return [["Extra one", *reordered[0], "Downloaded at"]] + [["x", *row, "2026-12-02"] for row in reordered[1:]], "\n", ""


TRANSFORMS: dict[str, Callable[[Table], tuple[Table, str, str]]] = {
    "bom-and-crlf": _bom_and_crlf,
    "trailing-delimiter": _trailing_delimiter,
    "header-spacing-and-case": _header_spacing_and_case,
    "reordered-with-extra-columns": _reordered_with_extras,
}


def _rewrite(source: Path, target: Path, delimiter: str, transform: Callable[[Table], tuple[Table, str, str]]) -> None:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter=delimiter))
    rows, ending, bom = transform(table)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows(rows)
    target.write_text(bom + out.getvalue(), encoding="utf-8", newline="")


def _load(kind: str, path: Path, out: Path) -> tuple[Graph, Summary]:
    names, countries = _keep_inputs()
    with TripleSink(out) as sink:
        if kind == "cordis-projects":
            load, problems = cordis.load_projects(path, "export", MINTER, sink)
            summary = load.summary
        elif kind == "cordis-organisations":
            with TripleSink(out.with_suffix(".projects.nt")) as projects_sink:
                projects, _ = cordis.load_projects(CORDIS[0], "project.csv", MINTER, projects_sink)
            org_load, problems = cordis.load_organisations(path, "export", MINTER, countries, projects.projects, sink)
            summary = org_load.summary
        elif kind == "kohesio":
            cci = frozenset(str(iri).rsplit("/", 1)[-1] for iri in names.values())
            k_load, problems = load_kohesio_projects(path, "export", MINTER, countries, cci, sink)
            summary = k_load.summary
        else:
            b_load, problems = load_beneficiaries(path, "export", MINTER, countries, sink)
            summary = b_load.summary
        assert problems == [], problems
        graph = sink.graph()
    return _without_file_identity(graph), summary


def _without_file_identity(graph: Graph) -> Graph:
    """The graph with the export's own document (its IRI, checksum and label carry the file's bytes
    and name) as one constant, and the nodes minted below it (`<document>/programme-names/…`) below
    that constant."""
    documents = {str(d) for d in graph.subjects(predicate=S3.sha256)}
    same = "http://example.org/the-export"

    def constant(term: Node) -> Node:
        if not isinstance(term, URIRef):
            return term
        text = str(term)
        owner = next((d for d in documents if text == d or text.startswith(d + "/")), None)
        return URIRef(same + text[len(owner) :]) if owner else term

    result = Graph()
    for s, p, o in graph:
        if p == S3.sha256 or (str(s) in documents and p == RDFS.label):  # the label names the file
            continue
        result.add((constant(s), p, constant(o)))
    return result


CASES = {
    "cordis-projects": (CORDIS[0], ";"),
    "cordis-organisations": (CORDIS[1], ";"),
    "kohesio": (GOLDEN / "kohesio" / "BE-pp14-20-test.csv", ","),
    "kohesio-beneficiaries": (GOLDEN / "kohesio-beneficiaries" / "beneficiaries.tsv", "\t"),
}


@pytest.mark.parametrize("transform", TRANSFORMS, ids=list(TRANSFORMS))
@pytest.mark.parametrize("kind", CASES, ids=list(CASES))
def test_a_real_export_loads_like_the_clean_one(kind: str, transform: str, tmp_path: Path) -> None:
    source, delimiter = CASES[kind]
    clean, clean_summary = _load(kind, source, tmp_path / "clean.nt")
    rewritten = tmp_path / source.name
    _rewrite(source, rewritten, delimiter, TRANSFORMS[transform])
    real, summary = _load(kind, rewritten, tmp_path / "real.nt")
    assert (summary.read, summary.loaded, summary.merged, summary.rejected) == (
        clean_summary.read,
        clean_summary.loaded,
        clean_summary.merged,
        clean_summary.rejected,
    )
    assert [(r.row, r.column) for r in summary.rejects] == [(r.row, r.column) for r in clean_summary.rejects]
    assert to_isomorphic(real) == to_isomorphic(clean)
    if transform == "reordered-with-extra-columns":
        assert {"Extra one", "Downloaded at"} <= set(summary.ignored_columns)
        assert "columns not read: Extra one" in str(summary) and "Downloaded at" in str(summary)


@pytest.mark.parametrize(
    ("kind", "column"), [("cordis-projects", "endDate"), ("kohesio", "Programme_Code"), ("kohesio-beneficiaries", "Country")]
)
def test_an_export_without_a_needed_column_is_refused_naming_it(kind: str, column: str, tmp_path: Path) -> None:
    source, delimiter = CASES[kind]

    def drop(table: Table) -> tuple[Table, str, str]:
        at = table[0].index(column)
        return [row[:at] + row[at + 1 :] for row in table], "\n", ""

    rewritten = tmp_path / source.name
    _rewrite(source, rewritten, delimiter, drop)
    _, countries = _keep_inputs()
    with TripleSink(tmp_path / "out.nt") as sink:
        if kind == "cordis-projects":
            _, problems = cordis.load_projects(rewritten, "export", MINTER, sink)
        elif kind == "kohesio":
            _, problems = load_kohesio_projects(rewritten, "export", MINTER, countries, frozenset(), sink)
        else:
            _, problems = load_beneficiaries(rewritten, "export", MINTER, countries, sink)
    assert len(problems) == 1 and problems[0].message == f"lacks the column {column}." and problems[0].line == 1


def test_a_keep_eu_workbook_with_extra_columns_and_another_header_case_loads_the_same(tmp_path: Path) -> None:
    names, countries = _keep_inputs()
    original = GOLDEN / "keep-eu" / "keep-eu.xlsx"
    book = load_workbook(original)
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.value = f" {str(cell.value).upper()} " if cell.value else cell.value
        sheet.insert_cols(1)
        sheet.cell(row=1, column=1, value="Exported by")
        sheet.cell(row=1, column=sheet.max_column + 1, value="")  # an empty trailing column
    changed = tmp_path / "keep-eu.xlsx"
    book.save(changed)
    graphs, accounts = [], []
    for path in (original, changed):
        with TripleSink(tmp_path / f"{path.parent.name}-{path.stat().st_size}.nt") as sink:
            load, problems = load_keep_eu(path, "keep-eu.xlsx", MINTER, names, countries, sink)
            assert problems == []
            graphs.append(_without_file_identity(sink.graph()))
        accounts.append([(s.read, s.loaded, s.merged, s.rejected) for s in load.summaries])
    assert accounts[0] == accounts[1]
    assert to_isomorphic(graphs[0]) == to_isomorphic(graphs[1])
    assert all(s.ignored_columns == ["Exported by"] for s in load.summaries)
