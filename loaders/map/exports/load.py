"""The real exports in a build: each file into its own named graph, with its row account.

A file whose bytes (and whatever its mapping depends on) have not changed since a previous
build is not mapped again: its graph, row account and origins come from the export cache
(`<store>/cache/`), keyed by the file's SHA-256, the loaders' code, the base IRI and the
checksums of the sources the mapping depends on.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
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
from loaders.map.exports import cordis
from loaders.map.exports.jems import PUBLISHERS_FILE, load_jems_partners
from loaders.map.exports.keep_eu import load_keep_eu
from loaders.map.exports.kohesio import load_kohesio_projects
from loaders.map.exports.kohesio_beneficiaries import load_beneficiaries
from loaders.map.reference.countries import CountryTable
from loaders.map.reference.nuts import CHANGES_2024, NUTS_FILE
from loaders.map.reference.objectives import OBJECTIVES_FILE
from loaders.map.tabular import Reject, Summary, normalise

EXPORT_KINDS = (
    "keep-eu", "kohesio-projects", "kohesio-beneficiaries", "cordis-projects", "cordis-organisations", "jems-partners",
)  # fmt: skip


@dataclass
class ExportLoad:
    triples: Path  # the N-Triples file of the mapped graph
    summaries: list[Summary]
    origins: dict[URIRef, Origin]
    keys: set[str] = field(default_factory=set)  # identifiers later files may refer to (CORDIS project ids)


@dataclass
class Loaded:
    """What the exports add to a build: one N-Triples file per export file."""

    files: dict[str, Path] = field(default_factory=dict)  # graph id → its triples
    origins: dict[URIRef, Origin] = field(default_factory=dict)
    problems: list[SourceProblem] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    loads: list[LoadRecord] = field(default_factory=list)


def _depends_on(kind: str, cordis_projects: set[str]) -> str:
    """What else a file's mapping depends on, for its cache key."""
    if kind == "cordis-organisations":
        return ",".join(sorted(cordis_projects))
    if kind == "jems-partners":
        return ",".join(sha256_of(p) for p in (PUBLISHERS_FILE, OBJECTIVES_FILE, NUTS_FILE, NUTS_FILE.with_name(CHANGES_2024)))
    return ""


def programme_names(graphs: Iterable[Graph]) -> dict[str, URIRef]:
    """Every known programme by its names (labels and alt labels), letters and digits only."""
    names: dict[str, URIRef] = {}
    for graph in graphs:
        for programme in graph.subjects(RDF.type, S3.Programme):
            for predicate in (RDFS.label, SKOS.altLabel):
                for name in graph.objects(programme, predicate):
                    names.setdefault(normalise(str(name)), programme)  # type: ignore[arg-type]
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
                s["file"], s["read"], s["loaded"], s["merged"], [Reject(**r) for r in s["rejects"]], s.get("ignored_columns", [])
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
    exports: dict[str, list[tuple[str, Path]]],
    minter: IriMinter,
    countries: CountryTable,
    known: dict[str, Graph],
    context_files: list[Path],
    cache_dir: Path,
    progress: Progress,
) -> Loaded:
    """Load every export file; `known` are the graphs already assembled (tables, curated)."""
    context = hashlib.sha256("|".join(sorted(sha256_of(p) for p in context_files)).encode()).hexdigest()
    cache = _Cache(cache_dir, minter, context)
    loaded = Loaded()
    names = programme_names(known.values())
    cci_codes = frozenset(str(c) for g in known.values() for c in g.objects(None, S3.cciCode))
    cordis_projects: set[str] = set()

    def mapper(kind: str, path: Path, name: str, out: Path) -> tuple[ExportLoad, list[SourceProblem]]:
        """The file mapped, or refused whole when it is over a limit of `loaders.core.file_limits`."""
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                check_workbook(path)
            return mapped(kind, path, name, out)
        except FileRefused as refused:
            fix = "check that it is the export you meant; if it is, raise that setting (s3kg.toml or S3KG_…)."
            return ExportLoad(out, [], {}), [SourceProblem(name, f"is refused: {refused}", fix=fix)]

    def mapped(kind: str, path: Path, name: str, out: Path) -> tuple[ExportLoad, list[SourceProblem]]:
        with TripleSink(out) as sink:
            if kind == "keep-eu":
                keep, problems = load_keep_eu(path, name, minter, names, countries, sink, progress)
                return ExportLoad(out, keep.summaries, keep.origins), problems
            if kind == "kohesio-projects":
                kohesio, problems = load_kohesio_projects(path, name, minter, countries, cci_codes, sink, progress)
                return ExportLoad(out, [kohesio.summary], kohesio.origins), problems
            if kind == "kohesio-beneficiaries":
                beneficiaries, problems = load_beneficiaries(path, name, minter, countries, sink, progress)
                return ExportLoad(out, [beneficiaries.summary], beneficiaries.origins), problems
            if kind == "jems-partners":
                jems, problems = load_jems_partners(path, name, minter, countries, names, sink, progress)
                return ExportLoad(out, [jems.summary], jems.origins), problems
            if kind == "cordis-projects":
                projects, problems = cordis.load_projects(path, name, minter, sink, progress)
                return ExportLoad(out, [projects.summary], projects.origins, projects.projects), problems
            organisations, problems = cordis.load_organisations(path, name, minter, countries, cordis_projects, sink, progress)
            return ExportLoad(out, [organisations.summary], organisations.origins), problems

    for kind in EXPORT_KINDS:
        for name, path in exports.get(kind, []):
            started = datetime.now(UTC)
            key = cache.key(kind, path, _depends_on(kind, cordis_projects))
            problems: list[SourceProblem] = []
            load = cache.get(key)
            if load is None:
                progress(f"loading {name}")
                load, problems = mapper(kind, path, name, cache.scratch(key))
                if not problems:
                    load = cache.put(key, load)
            else:
                progress(f"{name} unchanged: reusing its mapped graph")
            cordis_projects |= load.keys
            graph_id = f"{kind}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
            loaded.files[graph_id] = load.triples
            loaded.origins.update(load.origins)
            loaded.problems.extend(problems)
            loaded.summaries.extend(load.summaries)
            loaded.loads.append(LoadRecord(graph_id, kind, ((name, path),), started, datetime.now(UTC)))
    cache.prune()
    return loaded
