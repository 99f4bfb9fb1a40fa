"""The build: sources → RDF (one named graph per source) → SHACL → atomic publish.

Nothing is published unless every source maps cleanly and the union of the graphs
conforms to the shapes; on failure the previously published build stays current.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph, URIRef

from loaders.core import paths
from loaders.core.errors import BuildError, SourceProblem, display_name
from loaders.core.file_limits import FileLimits, using
from loaders.core.iris import IriMinter
from loaders.core.origins import Origin
from loaders.core.progress import Progress, silent
from loaders.core.provenance import LoadRecord, code_version, describe_load, earlier_loads, sha256_of, software_version
from loaders.link.links import INPUTS_FILE, Links, Since, carried_links, make_links, reaches_links, touched_by
from loaders.link.matching import describe_matching_rules
from loaders.link.reconcile import describe_rules
from loaders.map.curated.load import load_curated
from loaders.map.curated.passages import Sources
from loaders.map.curated.registry import Context
from loaders.map.exports.load import load_exports
from loaders.map.reference.nuts import NutsTable
from loaders.map.strategies import load_strategy
from loaders.map.tabular import Summary, write_rejects
from loaders.publish.build_lock import build_lock
from loaders.publish.documents import DocumentChanged
from loaders.publish.increment import Basis, apply, digest, file_digest, plan
from loaders.publish.publisher import publisher
from loaders.publish.remote import EngineRefused, EngineUnavailable, NoRemoteBuild, RemoteEngine, RemoteTarget, current_view
from loaders.publish.remote_upload import UploadIncomplete, check_access
from loaders.publish.space import out_of_space, out_of_space_message
from loaders.publish.staging import stage
from loaders.publish.store import KEEP_BUILDS, BuildInfo, CorruptBuild, PublishedStore
from loaders.sources.kinds import BY_NAME, EXPORT_KINDS, References, export_kinds
from loaders.sources.listing import read_sources
from loaders.validate.engines import DEFAULT_ENGINE
from loaders.validate.reach import Reach
from loaders.validate.shapes import ValidationOutcome, load_shapes, validate_graph

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildConfig:
    data_dir: Path = paths.DATA_DIR
    sources_file: Path = paths.DATA_DIR / "sources.yaml"
    store_dir: Path = Path("var") / "store"
    report_dir: Path = Path("var") / "reports"
    base_iri: str = "https://w3id.org/s3kg/id/"
    ontology_file: Path = paths.ONTOLOGY_FILE
    shapes_dir: Path = paths.SHAPES_DIR
    shacl_engine: str = DEFAULT_ENGINE
    strict: bool = False  # a rejected row of a real export fails the build instead of being reported
    max_reject_share: float = 0.05  # a file with a larger share of its rows rejected fails the build
    remote: RemoteTarget | None = None  # also publish into this SPARQL engine (store = "sparql")
    remote_grace: float = 5.0  # seconds the previous build stays in the engine after the switch
    keep_builds: int = KEEP_BUILDS  # versions kept on disk (the current one and those before it)
    limits: FileLimits = field(default_factory=FileLimits)  # what one source file may ask of a build
    incremental: bool = True  # start from the current build and replace only the source graphs that changed

    def listed_in(self, sources_file: Path) -> BuildConfig:
        """The same build, from the sources listed in another file (`loaders.sources.listing`)."""
        return dataclasses.replace(self, sources_file=sources_file)


@dataclass
class Assembled:
    """All source graphs of one build, before validation."""

    graphs: dict[str, Graph] = field(default_factory=dict)  # graph id → triples (tables, curated data)
    files: dict[str, Path] = field(default_factory=dict)  # graph id → N-Triples file (real exports)
    statements: dict[URIRef, Graph] = field(default_factory=dict)  # statement group IRI → what one passage supports
    origins: dict[URIRef, Origin] = field(default_factory=dict)
    loads: list[LoadRecord] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)  # row accounts of the real exports

    def union(self) -> ox.Store:
        """Every graph merged into the default graph of a new in-memory Oxigraph store (for
        checking without publishing; a build validates its own on-disk store instead)."""
        store = ox.Store()
        for graph in self.graphs.values():
            store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        for path in self.files.values():
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        return store

    def named(self, minter: IriMinter) -> dict[URIRef, Graph | Path]:
        """The source graphs by their graph IRIs."""
        named: dict[URIRef, Graph | Path] = {minter.graph(gid): graph for gid, graph in self.graphs.items()}
        named.update((minter.graph(gid), path) for gid, path in self.files.items())
        return named


def assemble(config: BuildConfig, progress: Progress = silent, curated_only: list[Path] | None = None) -> Assembled:
    """Read and map every configured source (or the given curated files) into graphs, each file
    within the limits of `config.limits` (`loaders.core.file_limits`)."""
    with using(config.limits):
        return _assemble(config, progress, curated_only)


def _assemble(config: BuildConfig, progress: Progress, curated_only: list[Path] | None) -> Assembled:
    minter = IriMinter(config.base_iri)
    result = Assembled()
    sources, problems = read_sources(config)
    result.problems.extend(problems)
    if curated_only is not None:
        sources = [(kind, files) for kind, files in sources if kind != "curated"] + [("curated", curated_only)]
    display: dict[str, list[tuple[str, Path]]] = {}  # kind → (name, path) of every file, whichever entry lists it
    for kind, files in sources:
        display.setdefault(kind, []).extend((display_name(p, config.data_dir), p) for p in files)
    refs = References()
    for kind, files in sources:
        reference = BY_NAME[kind].reference
        if reference is None:
            continue
        for path in files:
            name = display_name(path, config.data_dir)
            started = datetime.now(UTC)
            progress(f"loading {name}")
            graph_id, graph, found = reference(path, name, minter, minter.entity("source", BY_NAME[kind].document), refs)
            result.problems.extend(found)
            result.graphs[graph_id] = graph
            result.loads.append(LoadRecord(graph_id, kind, ((name, path),), started, datetime.now(UTC)))
    result.origins.update(refs.origins)
    countries, regions = refs.countries, refs.regions
    curated = [path for kind, files in sources if kind == "curated" for path in files]
    if curated:
        started = datetime.now(UTC)
        progress(f"loading {len(curated)} curated files")
        ctx = Context(
            minter,
            config.data_dir,
            countries.codes if countries else frozenset(),
            frozenset(refs.programme_codes) if refs.cci is not None and refs.programme_tables_loaded else None,
            frozenset(regions.regions) if regions else frozenset(),
        )
        loaded_curated = load_curated(curated, ctx)
        result.problems.extend(loaded_curated.problems)
        result.statements.update(loaded_curated.statements)
        ended = datetime.now(UTC)
        for path, graph in loaded_curated.graphs.items():
            graph_id = f"curated-{path.stem}"
            result.graphs[graph_id] = graph
            result.loads.append(LoadRecord(graph_id, "curated", ((display_name(path, config.data_dir), path),), started, ended))
        for entry in loaded_curated.registry.values():
            result.origins[entry.iri] = Origin(entry.record.file, entry.record.line, entry.record.id)
    strategies = [(display_name(p, config.data_dir), p) for kind, files in sources if kind == "s3-strategy" for p in files]
    if strategies:
        _load_strategies(strategies, minter, regions, result, loaded_curated.documents if curated else None)
    if countries is not None:  # real exports last: they match programmes known from the tables and curated data
        exports = {kind: display[kind] for kind in EXPORT_KINDS if kind in display}
        context_files = [p for kind, files in sources if kind == "country-table" for p in files]
        loaded = load_exports(
            export_kinds(), exports, minter, countries, result.graphs, context_files, config.store_dir / "cache", progress
        )
        result.files.update(loaded.files)
        result.origins.update(loaded.origins)
        result.problems.extend(loaded.problems)
        result.summaries.extend(loaded.summaries)
        result.loads.extend(loaded.loads)
    return result


def _load_strategies(
    files: list[tuple[str, Path]], minter: IriMinter, regions: NutsTable | None, result: Assembled, documents: Sources | None
) -> None:
    """The S3 strategy files, after the curated data whose source documents and concepts they cite."""
    if regions is None:
        fix = "list `{kind: nuts-table, path: reference/nuts-2021.csv}` before the strategies in data/sources.yaml."
        result.problems.append(SourceProblem(files[0][0], "a strategy needs the NUTS table to place it.", fix=fix))
        return
    known = {s for g in result.graphs.values() for s in g.subjects(RDF.type, None) if isinstance(s, URIRef)}
    for name, path in files:
        started = datetime.now(UTC)
        graph, groups, found = load_strategy(path, name, minter, regions, known, documents, result.origins)
        result.problems.extend(found)
        result.statements.update(groups)
        graph_id = f"strategy-{path.stem}"
        result.graphs[graph_id] = graph
        result.loads.append(LoadRecord(graph_id, "s3-strategy", ((name, path),), started, datetime.now(UTC)))


def _write_problems(config: BuildConfig, problems: list[SourceProblem]) -> Path:
    config.report_dir.mkdir(parents=True, exist_ok=True)
    listing = config.report_dir / "problems.txt"
    listing.write_text("".join(f"{p}\n" for p in problems), encoding="utf-8")
    return listing


def _too_many_rejected(summary: Summary, share: float) -> SourceProblem | None:
    """The problem of a file whose rejected rows are more than `share` of its rows, naming the top reasons."""
    if not summary.read or summary.rejected <= share * summary.read:
        return None
    reasons = Counter(f"column '{r.column}': {r.reason}" for r in summary.rejects).most_common(3)
    top = "; ".join(f"{reason} ({n:,} rows)" for reason, n in reasons)
    message = (
        f"{summary.rejected:,} of its {summary.read:,} rows were rejected ({summary.rejected / summary.read:.1%}), "
        f"more than the {share:.0%} allowed. Top reasons: {top}."
    )
    fix = "read the rows in rejects.csv and correct the file (or its kind); if they are truly bad, raise max_reject_share."
    return SourceProblem(summary.file, message, fix=fix)


def check_sources(config: BuildConfig, assembled: Assembled) -> None:
    """Write the rejects file; raise BuildError for problems in the sources, for rejected rows
    when the build is strict, or for a file whose rejected share is over `max_reject_share`."""
    rejects = [r for s in assembled.summaries for r in s.rejects]
    if assembled.summaries:
        write_rejects(assembled.summaries, config.report_dir / "rejects.csv")
    if config.strict and rejects:
        problems = [
            SourceProblem(r.file, f"column '{r.column}' = {r.value!r}: {r.reason}", line=r.row, fix="correct the row.")
            for r in rejects
        ]
        raise BuildError(f"{len(rejects)} rejected row(s) and --strict; nothing was published.", problems)
    if assembled.problems:
        listing = _write_problems(config, assembled.problems)
        summary = f"{len(assembled.problems)} problem(s) in the sources; nothing was published. All of them: {listing}"
        raise BuildError(summary, assembled.problems)
    shares = [p for s in assembled.summaries if (p := _too_many_rejected(s, config.max_reject_share))]
    if shares:
        raise BuildError(f"{len(shares)} file(s) with too many rejected rows; nothing was published.", shares)


def validate(
    config: BuildConfig, assembled: Assembled, data: ox.Store, progress: Progress = silent, focus: set[ox.NamedNode] | None = None
) -> ValidationOutcome:
    """SHACL over the default graph of `data` (the merged sources), only for the nodes in `focus`
    when given (what a change can reach); on violations write the full report and raise BuildError."""
    scope = f": {len(focus):,} node(s) the change can reach" if focus is not None else ""
    progress(f"validating with SHACL ({config.shacl_engine}){scope}")
    outcome = validate_graph(data, load_shapes(config.shapes_dir), assembled.origins, config.shacl_engine, focus)
    if not outcome.conforms:
        config.report_dir.mkdir(parents=True, exist_ok=True)
        report = config.report_dir / "validation-report.ttl"
        outcome.report.serialize(report, format="turtle")
        listing = _write_problems(config, outcome.violations)
        summary = f"{len(outcome.violations)} SHACL violation(s); nothing was published. All of them: {listing}"
        raise BuildError(summary, outcome.violations, report)
    outcome.summaries.extend(assembled.summaries)
    return outcome


def check(config: BuildConfig, assembled: Assembled, progress: Progress = silent) -> ValidationOutcome:
    """Check the sources without publishing: problems, rejects, then SHACL over their merge held
    in memory. Raises BuildError."""
    check_sources(config, assembled)
    return validate(config, assembled, assembled.union(), progress)


def _basis(config: BuildConfig) -> Basis:
    """What validation depends on besides the data (`loaders.publish.increment`)."""
    shapes = file_digest(sorted(config.shapes_dir.glob("*.ttl")))
    return Basis(shapes, file_digest([config.ontology_file]), code_version(), config.shacl_engine, config.base_iri)


def fingerprint(config: BuildConfig) -> str:
    """What a build is made from, as one checksum: every source file's content (and every file
    under the data folder, such as the seed texts records cite), the ontology, the shapes, the
    loaders' code and the settings that change the graph. The same fingerprint gives the same
    graph, so a build with it already published need not be made again."""
    sources, _ = read_sources(config)
    files = {path.resolve() for _, listed in sources for path in listed}
    files |= {path.resolve() for path in config.data_dir.rglob("*") if path.is_file() and not path.name.startswith(".")}
    files -= {config.sources_file.resolve(), (config.data_dir / "sources.yaml").resolve()}  # its text is below
    parts = [
        config.base_iri,
        config.shacl_engine,
        str(config.strict),
        str(config.max_reject_share),
        config.sources_file.read_text(encoding="utf-8"),
    ]
    parts += [f"{path} {sha256_of(path)}" for path in sorted(files)]
    parts += [sha256_of(path) for path in [config.ontology_file, *sorted(config.shapes_dir.glob("*.ttl"))]]
    parts.append(code_version())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def build(config: BuildConfig, progress: Progress = silent, force: bool = False) -> tuple[BuildInfo, ValidationOutcome | None]:
    """Build every configured source into a new published store, or raise BuildError. When the
    current build was made from exactly the same inputs, it stays current and nothing is done
    (the outcome is then None) unless `force`.

    One build at a time per store directory: a second waits for the first (`loaders.publish.build_lock`),
    then finds a current build whose database opens (`PublishedStore.recover`).
    The sources are written into the new build's own on-disk store first; validation and
    reconciliation query that store (so memory does not grow with the graph), and it becomes
    current only when all is well. On any failure it is discarded."""

    def say(message: str) -> None:
        log.warning(message, extra={"store": str(config.store_dir)})
        progress(message)

    with build_lock(config.store_dir, say):
        PublishedStore(config.store_dir, config.keep_builds).recover(say)
        started = time.monotonic()
        info, outcome = _build(config, progress, force)
        seconds = round(time.monotonic() - started, 3)
        log.info("build done", extra={"build": info.build_id, "version": info.version, "seconds": seconds, "new": bool(outcome)})
        return info, outcome


def _build(config: BuildConfig, progress: Progress, force: bool) -> tuple[BuildInfo, ValidationOutcome | None]:
    inputs = fingerprint(config)
    published = PublishedStore(config.store_dir, config.keep_builds)
    engine = _engine(config)
    if not force and published.has_current() and published.current().inputs == inputs and _in_engine(engine, published):
        progress("nothing changed since the current build")
        if engine is not None:
            engine.close()
        return published.current(), None
    assembled = assemble(config, progress)
    check_sources(config, assembled)
    phase = "preparing the new build's store"

    def step(name: str) -> None:
        nonlocal phase
        phase = name
        log.info("build stage", extra={"stage": name, "store": str(config.store_dir)})
        progress(name)

    minter = IriMinter(config.base_iri)
    sources: dict[URIRef, Graph | Path] = {**assembled.named(minter), **assembled.statements}
    outside = frozenset(str(iri) for iri in assembled.statements)  # already in the default graph, through their files
    parts = {str(iri): digest(data) for iri, data in sources.items()}
    basis = _basis(config)
    todo = plan(published, parts, basis) if config.incremental else None
    try:
        staging = stage(published, base=todo.base if todo else None)
        staging.parts, staging.basis = parts, basis.as_dict()
        try:  # whatever goes wrong from here, the half-made build is discarded and the error raised
            focus: set[ox.NamedNode] | None = None
            links: Links | None = None  # carried over from the base build, when the change cannot reach them
            since: Since | None = None  # else what the linking read in the base build, and the nodes changed since
            kept = published.sources_dir(staging.build_id) / INPUTS_FILE
            kept.parent.mkdir(parents=True, exist_ok=True)
            if todo is None:
                step("writing the sources into the new build")
                for graph_iri, data in sources.items():
                    staging.add(graph_iri, data, in_default=str(graph_iri) not in outside)
            else:
                changes = f"{len(todo.patch)} changed, {len(todo.write)} new, {len(todo.same)} unchanged source graph(s)"
                step(f"updating build {todo.base.version}: {changes}")
                staging.same = todo.same
                changed = apply(staging, todo, sources, outside)
                if todo.full_validation is None and changed is not None:
                    focus = Reach(load_shapes(config.shapes_dir)).focus(staging.store, changed)
                    earlier = published.sources_dir(todo.base.build_id) / INPUTS_FILE
                    if not reaches_links(changed):
                        links = carried_links(published.open_build(todo.base), minter, earlier, kept)
                    else:
                        since = Since(earlier, touched_by(changed))
            outcome = validate(config, assembled, staging.store, progress, focus)
            step("reconciling" if links is None else "carrying the links over (no change reaches them)")
            made = links if links is not None else make_links(staging.store, minter, kept, since)
            for graph_iri, described in _described(config, assembled, published, made).items():
                staging.add(graph_iri, described, in_default=graph_iri != minter.graph("shapes"))
            step("publishing (optimising the store, writing the dumps)")
            info = staging.commit(publisher(engine, staging, config.data_dir, config.remote_grace, progress), inputs)
        finally:
            staging.discard()  # does nothing once committed
            if engine is not None:
                engine.close()
    except (EngineUnavailable, EngineRefused, UploadIncomplete, DocumentChanged) as error:
        raise BuildError(f"{error} The current build stays as it was.", []) from None
    except OSError as error:
        if not out_of_space(error):
            raise
        raise BuildError(out_of_space_message(config.store_dir, published, phase), []) from None
    return info, outcome


def _published_store(published: PublishedStore) -> ox.Store | None:
    """The current build's store, to compare with; None for a first build or one that cannot be opened."""
    if not published.has_current():
        return None
    try:
        return published.open()
    except CorruptBuild:
        return None


def _engine(config: BuildConfig) -> RemoteEngine | None:
    """The remote engine to publish into, checked to accept our updates (else BuildError)."""
    if config.remote is None:
        return None
    engine = RemoteEngine(config.remote)
    try:
        check_access(engine)
    except (EngineUnavailable, EngineRefused) as error:
        engine.close()
        raise BuildError(str(error), []) from None
    return engine


def _in_engine(engine: RemoteEngine | None, published: PublishedStore) -> bool:
    """Whether the engine (if any) already serves the current local build."""
    if engine is None:
        return True
    try:
        return current_view(engine).build_id == published.current().build_id
    except NoRemoteBuild:
        return False


def _described(config: BuildConfig, assembled: Assembled, published: PublishedStore, links: Links) -> dict[URIRef, Graph | bytes]:
    """What the build adds to its sources: the reconciliation and strategy-matching links (one graph
    per rule, made or carried over), the provenance of every graph (an unchanged load keeps the
    published build's times), the ontology and the shapes."""
    minter = IriMinter(config.base_iri)
    provenance = Graph()
    earlier, version = earlier_loads(_published_store(published)), software_version()
    for load in assembled.loads:
        describe_load(load, minter, provenance, earlier, version)
    describe_rules(minter, provenance)
    describe_matching_rules(minter, provenance)
    graphs: dict[URIRef, Graph | bytes] = dict(links)
    graphs[minter.graph("provenance")] = provenance
    graphs[minter.graph("ontology")] = Graph().parse(config.ontology_file, format="turtle")
    graphs[minter.graph("shapes")] = load_shapes(config.shapes_dir)
    return graphs
