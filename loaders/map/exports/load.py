"""The real exports in a build: each file into its own named graph, with its row account.

A file whose bytes (and whatever its mapping depends on) have not changed since a previous
build is not mapped again: its graph, row account and origins come from the export cache
(`<store>/cache/`), keyed by the file's SHA-256, the loaders' code, the base IRI, the country
table's checksum and what the mapping is given from the other sources (the programmes' names,
the CCI codes).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Graph, URIRef

from loaders.core.errors import SourceProblem
from loaders.core.file_limits import FileRefused, check_workbook
from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.progress import Progress
from loaders.core.provenance import LoadRecord, code_version, sha256_of
from loaders.core.terms import TripleSink
from loaders.core.vocab import S3
from loaders.map.reference.countries import CountryTable
from loaders.map.tabular import ProgrammeNames, Reject, Summary, programme_key


@dataclass
class ExportLoad:
    triples: Path  # the N-Triples file of the mapped graph
    summaries: list[Summary]
    origins: dict[URIRef, Origin]
    keys: set[str] = field(default_factory=set)  # identifiers later files may refer to (CORDIS project ids)


@dataclass(frozen=True)
class ExportInput:
    """What every export mapper is given (`loaders.sources.kinds` adapts each format's loader)."""

    path: Path
    name: str  # the file as messages name it
    out: Path  # where its triples go
    sink: TripleSink
    minter: IriMinter
    countries: CountryTable
    programmes: ProgrammeNames  # known programmes by name (`programme_names`)
    cci_codes: frozenset[str]
    keys: frozenset[str]  # identifiers earlier files offered (CORDIS project ids)
    progress: Progress


ExportMapper = Callable[[ExportInput], tuple[ExportLoad, list[SourceProblem]]]


@dataclass(frozen=True)
class ExportKind:
    """One export format as the runner needs it: its name, mapper and what else keys its cache."""

    name: str
    mapper: ExportMapper
    depends_on: Callable[[frozenset[str]], str]  # of the identifiers earlier files offered


@dataclass
class Loaded:
    """What the exports add to a build: one N-Triples file per export file."""

    files: dict[str, Path] = field(default_factory=dict)  # graph id → its triples
    origins: dict[URIRef, Origin] = field(default_factory=dict)
    problems: list[SourceProblem] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    loads: list[LoadRecord] = field(default_factory=list)


def programme_names(graphs: Iterable[Graph]) -> ProgrammeNames:
    """Every known programme by period and name (`programme_key`), with the rule a name matches
    by: a label is its title, an alt label another name; a programme that states no period is
    found by its names in any period."""
    names: ProgrammeNames = {}
    for graph in graphs:
        for programme in graph.subjects(RDF.type, S3.Programme):
            periods = [str(p).rsplit("/", 1)[-1] for p in graph.objects(programme, S3.programmingPeriod)] or [""]
            for predicate, rule in ((RDFS.label, "title"), (SKOS.altLabel, "other-name")):
                for name in graph.objects(programme, predicate):
                    for period in periods:
                        found = (programme, rule if period else "any-period")
                        names.setdefault(programme_key(period, str(name)), found)  # type: ignore[arg-type]
    return names


class _Cache:
    """Mapped exports by key: `<key>.nt` (the triples) and `<key>.json` (row accounts, origins)."""

    def __init__(self, folder: Path, minter: IriMinter, context: str):
        self.folder, self.minter, self.context = folder, minter, context
        self.used: set[str] = set()

    def key(self, kind: str, path: Path, extra: str) -> str:
        text = "|".join([kind, sha256_of(path), code_version(), self.minter.base, self.context, extra])
        key = hashlib.sha256(text.encode()).hexdigest()
        self.used.add(key)
        return key

    def get(self, key: str) -> ExportLoad | None:
        graph_file, meta_file = self.folder / f"{key}.nt", self.folder / f"{key}.json"
        if not (graph_file.is_file() and meta_file.is_file()):
            return None
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        summaries = [
            Summary(
                s["file"],
                s["read"],
                s["loaded"],
                s["merged"],
                [Reject(**r) for r in s["rejects"]],
                s.get("ignored_columns", []),
                s.get("dialect", ""),
                s.get("notes", []),
            )
            for s in meta["summaries"]
        ]
        origins = {URIRef(iri): Origin(*value) for iri, value in meta["origins"].items()}
        return ExportLoad(graph_file, summaries, origins, set(meta["keys"]))

    def scratch(self, key: str) -> Path:
        """Where a file being mapped writes its triples; `put` keeps them."""
        return self.folder / f"{key}.nt.partial"

    def put(self, key: str, load: ExportLoad) -> ExportLoad:
        meta = {
            "summaries": [asdict(s) for s in load.summaries],
            "origins": {str(iri): [o.file, o.line, o.record] for iri, o in load.origins.items()},
            "keys": sorted(load.keys),
        }
        (self.folder / f"{key}.json").write_text(json.dumps(meta), encoding="utf-8")
        kept = self.folder / f"{key}.nt"
        os.replace(load.triples, kept)  # the metadata first: a graph file is never without its account
        return ExportLoad(kept, load.summaries, load.origins, load.keys)

    def prune(self) -> None:
        """Forget mapped files this build did not use (older versions of the exports)."""
        for entry in self.folder.glob("*"):
            if entry.name.split(".", 1)[0] not in self.used:
                entry.unlink(missing_ok=True)


def load_exports(
    kinds: Sequence[ExportKind],
    exports: dict[str, list[tuple[str, Path]]],
    minter: IriMinter,
    countries: CountryTable,
    known: dict[str, Graph],
    context_files: list[Path],
    cache_dir: Path,
    progress: Progress,
) -> Loaded:
    """Load every export file, kind by kind in the order of `kinds`; `known` are the graphs already
    assembled (tables, curated)."""
    names = programme_names(known.values())
    cci_codes = frozenset(str(c) for g in known.values() for c in g.objects(None, S3.cciCode))
    # what a mapper is given besides its file: the country table, the programmes' names, the CCI codes
    # (not the files they come from: a curated record's new title does not map the exports again)
    given = [*sorted(sha256_of(p) for p in context_files), repr(sorted(names.items())), repr(sorted(cci_codes))]
    cache = _Cache(cache_dir, minter, hashlib.sha256("|".join(given).encode()).hexdigest())
    loaded = Loaded()
    keys: set[str] = set()

    def mapped(kind: ExportKind, path: Path, name: str, out: Path) -> tuple[ExportLoad, list[SourceProblem]]:
        """The file mapped, or refused whole when it is over a limit of `loaders.core.file_limits`."""
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                check_workbook(path)
            with TripleSink(out) as sink:
                return kind.mapper(
                    ExportInput(path, name, out, sink, minter, countries, names, cci_codes, frozenset(keys), progress)
                )
        except FileRefused as refused:
            fix = "check that it is the export you meant; if it is, raise that setting (s3kg.toml or S3KG_…)."
            return ExportLoad(out, [], {}), [SourceProblem(name, f"is refused: {refused}", fix=fix)]

    for kind in kinds:
        for name, path in exports.get(kind.name, []):
            started = datetime.now(UTC)
            key = cache.key(kind.name, path, kind.depends_on(frozenset(keys)))
            problems: list[SourceProblem] = []
            load = cache.get(key)
            if load is None:
                progress(f"loading {name}")
                load, problems = mapped(kind, path, name, cache.scratch(key))
                if not problems:
                    load = cache.put(key, load)
            else:
                progress(f"{name} unchanged: reusing its mapped graph")
            keys |= load.keys
            graph_id = f"{kind.name}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
            loaded.files[graph_id] = load.triples
            loaded.origins.update(load.origins)
            loaded.problems.extend(problems)
            loaded.summaries.extend(load.summaries)
            loaded.loads.append(LoadRecord(graph_id, kind.name, ((name, path),), started, datetime.now(UTC)))
    cache.prune()
    return loaded
