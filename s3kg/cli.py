"""The `s3kg` command: build, validate, query, dump and inspect the knowledge graph."""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from loaders.build import BuildConfig, assemble, build, check
from loaders.core.errors import SHOWN_PROBLEMS, BuildError, display_name
from loaders.core.iris import IriMinter
from loaders.core.vocab import PREFIXES
from loaders.link.explained import explain
from loaders.map.tabular import Summary
from loaders.publish.build_lock import build_lock
from loaders.publish.changes import read_changes
from loaders.publish.dumps import write_dumps
from loaders.publish.remote import EngineUnavailable, NoRemoteBuild
from loaders.publish.stats import entities_per_class
from loaders.publish.store import NoPublishedStore, PublishedStore, UnknownBuild
from loaders.sources.kinds import EXPORT_KINDS, export_help
from loaders.sources.listing import apply_sources, record_accounts, registered, with_source, without_source
from s3kg import logs
from s3kg.output import OutputFormat, graphs_table, matches_text, report_warnings, write_results
from s3kg.progress_bars import BuildProgress
from s3kg.settings import Settings, load_settings

app = typer.Typer(
    help="s3kg: the linked open data graph of EU Smart Specialisation Strategies.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)


@app.callback()
def _logging() -> None:
    """Warnings of a command (a build waiting for another, a damaged build set aside) as plain lines."""
    logs.configure(json_lines=False, level=logging.WARNING)


BaseIri = Annotated[str | None, typer.Option("--base-iri", help="Base IRI of minted entity IRIs (ends in '/').")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Folder with sources.yaml and the source files.")]
Engine = Annotated[
    str | None, typer.Option("--engine", help="SHACL engine: oxigraph (default, fastest), rudof, or pyshacl (reference).")
]
StoreDir = Annotated[Path | None, typer.Option("--store-dir", help="Folder of the published store.")]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ValidationError as error:
        for problem in error.errors():
            err.print(f"[red]setting {'.'.join(map(str, problem['loc']))}: {problem['msg']}[/red]")
        raise typer.Exit(2) from error


@contextmanager
def _published(settings: Settings) -> Iterator[PublishedStore]:
    store = PublishedStore(settings.store_dir)
    try:
        store.current()
    except NoPublishedStore as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    yield store


@contextmanager
def _build_errors() -> Iterator[None]:
    """A failed build or validation: list its problems and exit 1."""
    try:
        yield
    except BuildError as error:
        _report_failure(error)
        raise typer.Exit(1) from error


def _report_failure(error: BuildError) -> None:
    err.print(f"[red bold]{error.summary}[/red bold]")
    for problem in error.problems[:SHOWN_PROBLEMS]:
        err.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)
    if len(error.problems) > SHOWN_PROBLEMS:
        err.print(f"  … and {len(error.problems) - SHOWN_PROBLEMS} more")
    if error.report is not None:
        err.print(f"Full validation report: {error.report}")


@app.command("build")
def build_command(
    base_iri: BaseIri = None,
    data_dir: DataDir = None,
    store_dir: StoreDir = None,
    engine: Engine = None,
    strict: Annotated[bool | None, typer.Option("--strict", help="Fail on any rejected row of a real export.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Build even when nothing has changed.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Build from scratch instead of updating the current build's changed sources.")
    ] = False,
) -> None:
    """Load every source in data/sources.yaml, validate with SHACL, and publish atomically.

    On any problem nothing is published: the previous build stays current, the problems
    are listed with file, line, record, field and fix, and the SHACL report is written.
    When the sources, ontology, shapes and loaders are exactly those of the current build,
    it stays current and nothing is rebuilt (unless --force). Otherwise the new build starts
    from the current one and replaces only the sources whose content changed (unless --full).
    """
    settings = _settings(base_iri=base_iri, data_dir=data_dir, store_dir=store_dir, shacl_engine=engine, strict=strict)
    config = settings.build_config()
    _build_and_report(dataclasses.replace(config, incremental=False) if full else config, force)


def _build_and_report(config: BuildConfig, force: bool, sources: str | None = None) -> list[Summary]:
    """Build (from `sources` as the sources file's text when given, kept only if the build
    succeeds), keep the exports' row accounts, and report them; exit 1 on failure."""
    with _build_errors(), BuildProgress(err) as progress:
        if sources is None:
            info, outcome = build(config, progress, force=force)
        else:
            info, outcome = apply_sources(config, sources, lambda pending: build(pending, progress, force=force))
    if outcome is None:
        err.print(
            f"Nothing has changed since build {info.build_id} (same sources, ontology, shapes and loaders): it stays current."
        )
        out.print(graphs_table(info, f"Current build {info.build_id}"))
        return []
    record_accounts(config, outcome.summaries)
    report_warnings(err, outcome.warnings)
    if outcome.focus is not None:
        err.print(f"Updated the current build: SHACL checked the {outcome.focus:,} node(s) the changed sources can reach.")
    for summary in outcome.summaries:
        err.print(str(summary), markup=False, highlight=False)
    if any(s.rejects for s in outcome.summaries):
        err.print(f"Rejected rows, with row, column and reason: {config.report_dir / 'rejects.csv'}")
    out.print(graphs_table(info, f"Published build {info.build_id}"))
    return outcome.summaries


@app.command("load")
def load_command(
    kind: Annotated[str, typer.Argument(help=export_help())],
    file: Annotated[Path, typer.Argument(help="The export as the system publishes it.")],
    strict: Annotated[bool | None, typer.Option("--strict", help="Fail on any rejected row.")] = None,
    data_dir: DataDir = None,
    store_dir: StoreDir = None,
) -> None:
    """Add a real export to the sources (data/sources.yaml) and rebuild, all or nothing.

    Bad rows are reported with row, column and reason in the rejects file and skipped, unless
    --strict; a file that is refused (wrong kind, a needed column missing) is not registered,
    and the published graph and data/sources.yaml stay as they were.
    """
    settings = _settings(data_dir=data_dir, store_dir=store_dir, strict=strict)
    config = settings.build_config()
    with build_lock(config.store_dir, err.print):  # the sources list is read, changed and built as one
        with _build_errors():
            text, written = with_source(config, kind, file)
        summaries = _build_and_report(config, force=False, sources=text)
    shown = display_name(file, config.data_dir)
    accounts = [s for s in summaries if s.file == shown or s.file.startswith(f"{shown} [")]
    rows = "; ".join(f"{s.read:,} rows read, {s.loaded:,} loaded, {s.merged:,} merged, {s.rejected:,} rejected" for s in accounts)
    out.print(f"Source added: {kind} {written}" + (f" ({rows})" if rows else " (already registered, unchanged)"))


@app.command("unload")
def unload_command(
    file: Annotated[Path, typer.Argument(help="A registered export (its path, or as `s3kg sources` lists it).")],
    data_dir: DataDir = None,
    store_dir: StoreDir = None,
) -> None:
    """Remove an export from the sources and rebuild without it (sources.yaml changes only if the build succeeds)."""
    settings = _settings(data_dir=data_dir, store_dir=store_dir)
    config = settings.build_config()
    with build_lock(config.store_dir, err.print):
        with _build_errors():
            text = without_source(config, file)
        _build_and_report(config, force=False, sources=text)
    out.print(f"Source removed: {file}")


@app.command("sources")
def sources_command(data_dir: DataDir = None) -> None:
    """List the registered sources, with each export's row account from its last build."""
    settings = _settings(data_dir=data_dir)
    with _build_errors():
        rows = registered(settings.build_config())
    table = Table("kind", "file", "rows read", "loaded", "merged", "rejected", "columns not read", title="Sources")
    for kind, name, accounts in rows:
        if not accounts:
            table.add_row(kind, name, *(["–"] * 4 if kind in EXPORT_KINDS else [""] * 4), "")
            continue
        for label, account in accounts.items():
            figures = [f"{account[key]:,}" for key in ("read", "loaded", "merged", "rejected")]
            table.add_row(kind, label, *figures, ", ".join(account.get("columns_not_read") or []))
    out.print(table)


@app.command("validate")
def validate_command(
    files: Annotated[list[Path] | None, typer.Argument(help="Curated YAML files to check instead of sources.yaml's.")] = None,
    data_dir: DataDir = None,
    engine: Engine = None,
) -> None:
    """Check sources without publishing: mapping errors and SHACL violations, exit 1 if any."""
    settings = _settings(data_dir=data_dir, shacl_engine=engine)
    config = settings.build_config()
    missing = [f for f in files or [] if not f.is_file()]
    if missing:
        err.print(f"[red]no such file: {', '.join(map(str, missing))}[/red]")
        raise typer.Exit(2)
    with _build_errors():
        outcome = check(config, assemble(config, curated_only=files or None))
    report_warnings(err, outcome.warnings)
    out.print(f"[green]valid[/green]: the sources conform to the shapes ({len(outcome.warnings)} warning(s)).")


@app.command("query")
def query_command(
    query: Annotated[str, typer.Argument(help="A SPARQL query, '@file.rq' to read one from a file, or '-' for stdin.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv, or json (SPARQL 1.1 JSON results).")] = (
        OutputFormat.table
    ),
    store_dir: StoreDir = None,
) -> None:
    """Run a read-only SPARQL query against the published store.

    The default graph merges every source graph; GRAPH <…> reaches one source, its provenance,
    the ontology or the shapes.

    The prefixes s3, rdf, rdfs, owl, xsd, skos, dcterms, schema, prov, org and country are predefined.
    """
    settings = _settings(store_dir=store_dir)
    if query == "-":
        query = sys.stdin.read()
    elif query.startswith("@"):
        query = Path(query[1:]).read_text(encoding="utf-8")
    with _published(settings) as published:
        store = published.open()
        try:
            result = store.query(query, prefixes=PREFIXES)
        except SyntaxError as error:
            err.print(f"[red]SPARQL syntax error: {error}[/red] (line:column in the query)")
            raise typer.Exit(2) from error
        write_results(result, fmt, sys.stdout.buffer)
        sys.stdout.flush()


@app.command("matches")
def matches_command(
    iri: Annotated[str, typer.Argument(help="The IRI of a project or of a strategy's priority domain.")],
    why: Annotated[bool, typer.Option("--explain", help="Say for each match what its rule means.")] = False,
    store_dir: StoreDir = None,
) -> None:
    """List the priorities a project serves, or the projects that serve a priority: rule, score,
    the region where they meet and the codes they share."""
    with _published(_settings(store_dir=store_dir)) as published:
        try:
            found = explain(published.open(), iri)
        except ValueError as error:
            err.print(f"[red]'{iri}' is not an IRI: {error}[/red]")
            raise typer.Exit(2) from error
    if not found:
        err.print(f"No match of {iri} in the published build.")
        raise typer.Exit(1)
    out.print(matches_text(found, why), markup=False, highlight=False, soft_wrap=True)


@app.command("dump")
def dump_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the dumps into.")] = Path("var/dumps"),
    store_dir: StoreDir = None,
) -> None:
    """Write N-Triples (gzip), N-Quads (gzip, with named graphs), Turtle and JSON-LD dumps."""
    settings = _settings(store_dir=store_dir)
    with _published(settings) as published, err.status("writing dumps"):
        written = write_dumps(published.open(), out_dir)
    table = Table("file", "media type", "bytes", "triples", "sha256", title=f"Dumps in {out_dir}")
    for dump in written:
        table.add_row(dump.name, dump.media_type, f"{dump.size:,}", f"{dump.triples:,}", dump.sha256[:16] + "…")
    out.print(table)


@app.command("stats")
def stats_command(store_dir: StoreDir = None, base_iri: BaseIri = None) -> None:
    """Show triples per source graph and entities per class of the published build."""
    settings = _settings(store_dir=store_dir, base_iri=base_iri)
    minter = IriMinter(settings.base_iri)
    with _published(settings) as published:
        info = published.current()
        out.print(graphs_table(info, f"Build {info.build_id} ({info.created})"))
        classes = Table("class", "entities", title="Entities per class")
        rows = entities_per_class(published.open(), str(minter.graph("ontology")), str(minter.graph("shapes")))
        for cls, count in rows:
            classes.add_row(cls, f"{count:,}")
        out.print(classes)


@app.command("builds")
def builds_command(
    show: Annotated[str | None, typer.Option("--show", help="A version number or build id: its changes per source.")] = None,
    store_dir: StoreDir = None,
) -> None:
    """List the kept builds (versions), newest first, with what each changed; or one build's changes per source."""
    settings = _settings(store_dir=store_dir)
    with _published(settings) as published:
        current = published.current().build_id
        if show is None:
            table = Table("version", "build", "published", "triples", "added", "removed", "", title="Kept builds")
            for info in published.recent(None):
                changes = read_changes(published.dumps_dir(info.build_id))
                added, removed = (f"{changes.added:,}", f"{changes.removed:,}") if changes else ("", "")
                mark = "current" if info.build_id == current else ""
                table.add_row(str(info.version), info.build_id, info.created, f"{info.triples:,}", added, removed, mark)
            out.print(table)
            return
        try:
            info = published.build(show)
        except UnknownBuild as error:
            err.print(str(error), markup=False, highlight=False)
            raise typer.Exit(1) from error
        changes = read_changes(published.dumps_dir(info.build_id))
        if changes is None:
            out.print(f"Version {info.version} ({info.build_id}) recorded no changes.")
            return
        since = f"since {changes.previous}" if changes.previous else "(the first build)"
        table = Table("source graph", "triples", "before", "added", "removed", title=f"Version {info.version}: changes {since}")
        for source in changes.sources:
            itemised = source.added is not None
            added = f"{source.added:,}" if itemised else "not itemised"
            removed = f"{source.removed:,}" if source.removed is not None else "not itemised"
            table.add_row(source.graph, f"{source.triples:,}", f"{source.before:,}", added, removed)
        out.print(table)


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option("--host", help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on (default 8000).")] = None,
    base_iri: BaseIri = None,
    query_timeout: Annotated[float | None, typer.Option("--query-timeout", help="Seconds before a query is stopped.")] = None,
    public_url: Annotated[str | None, typer.Option("--public-url", help="The endpoint's public address.")] = None,
    processes: Annotated[
        int | None,
        typer.Option("--processes", help="Server processes (default: one per core; s3kg.machine)."),
    ] = None,
    store_dir: StoreDir = None,
) -> None:
    """Serve the published store over the SPARQL 1.1 Protocol at /sparql (building it first if there is none).

    Read-only; SERVICE only to hosts on the service_allow_list setting (empty by default);
    every query has a time limit and a row limit.
    """
    from s3kg.serve import make_backend, serve, server_config

    overrides = {
        "host": host,
        "port": port,
        "base_iri": base_iri,
        "query_timeout": query_timeout,
        "public_url": public_url,
        "store_dir": store_dir,
        "processes": processes,
    }
    settings = _settings(**overrides)
    try:
        make_backend(settings).build_id()
    except (NoPublishedStore, NoRemoteBuild, FileNotFoundError):
        err.print("No published build yet: building first.")
        build_command(base_iri=base_iri, store_dir=store_dir)
    except EngineUnavailable as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    config = server_config(settings)
    out.print(f"s3kg: open {config.public_url} (SPARQL endpoint {config.public_url}sparql; {settings.processes} process(es))")
    serve(settings, lambda: load_settings(**overrides))  # SIGHUP: read again, the options kept


if __name__ == "__main__":
    app()
