"""Publishing a build: what is written beside its store before it becomes current (the dumps,
the search index, the quoted source documents, the changes against the build before it) and,
with a remote engine, the upload into it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from loaders.core.progress import Progress
from loaders.publish.changes import STATEMENT_GROUPS, Changes, write_changes
from loaders.publish.documents import FOLDER as DOCUMENTS_FOLDER
from loaders.publish.documents import write_documents
from loaders.publish.dumps import Reuse, write_dumps
from loaders.publish.feed import FEED, compact, write_feed
from loaders.publish.figures import FIGURES_FILE, Figures, FiguresPatch, write_figures
from loaders.publish.overview import OVERVIEW_FILE, read_overview, write_overview
from loaders.publish.remote import RemoteEngine
from loaders.publish.remote_upload import publish_remote
from loaders.publish.search_index import SEARCH_FILE, Patch, write_search_index
from loaders.publish.space import share
from loaders.publish.staging import Staging
from loaders.publish.tables.read import open_indexes
from loaders.publish.tables.spec import TABLES
from loaders.publish.tables.write import TABLES_FOLDER, write_table_index


def _publish_files(store: ox.Store, staging: Staging, folder: Path, data_dir: Path, changes: Changes) -> None:
    """What is published beside the store: the dumps (with what the build it was made from
    carried over), the search index (with what changed, the current build's patched), the fact
    sheets' figures, the home page's, the tables' index, the quoted documents."""
    reuse = _reuse(staging, changes)
    write_dumps(store, folder, reuse)
    write_documents(store, data_dir, folder / DOCUMENTS_FOLDER)
    write_search_index(store, folder / SEARCH_FILE, _index_patch(staging, changes.touched))
    _write_figures(store, folder / FIGURES_FILE, reuse)
    _write_overview(store, folder, reuse)
    _write_tables(store, folder / TABLES_FOLDER, reuse)


def _write_tables(store: ox.Store, folder: Path, reuse: Reuse | None) -> None:
    """The tables' index: the earlier build's when the default graph is the same and the same code
    wrote it, patched from its reads when the changed subjects are known, else written whole."""
    if reuse is None or reuse.touched is None:
        write_table_index(store, folder)
        return
    earlier = reuse.folder / TABLES_FOLDER
    if not reuse.default_same or len(open_indexes(earlier, TABLES)) != len(TABLES):
        write_table_index(store, folder, earlier, reuse.touched)
        return
    for file in earlier.rglob("*"):
        if file.is_file():
            (folder / file.relative_to(earlier)).parent.mkdir(parents=True, exist_ok=True)
            share(file, folder / file.relative_to(earlier))


def _write_figures(store: ox.Store, path: Path, reuse: Reuse | None) -> None:
    """The fact sheets' figures: the earlier build's when the default graph is the same (the same
    code counted them), patched from them when the changed subjects are known, else written whole."""
    if reuse is None or reuse.touched is None:
        write_figures(store, path)
        return
    earlier = reuse.folder / FIGURES_FILE
    if reuse.default_same and earlier.is_file():
        share(earlier, path)
    else:
        write_figures(store, path, FiguresPatch(earlier, reuse.touched))


def _write_overview(store: ox.Store, folder: Path, reuse: Reuse | None) -> None:
    """The home page's figures (after the fact sheets', which they read): the earlier build's when
    the default graph is the same and the same code counted them, else counted again."""
    earlier = reuse.folder / OVERVIEW_FILE if reuse is not None and reuse.default_same else None
    if earlier is not None and read_overview(earlier) is not None:
        share(earlier, folder / OVERVIEW_FILE)
        return
    with Figures(folder / FIGURES_FILE) as figures:
        write_overview(store, figures, folder / OVERVIEW_FILE)


def _reuse(staging: Staging, changes: Changes) -> Reuse | None:
    """What the dumps take from the build this one was made from: the graphs carried over and,
    when the changes were taken against that same build by the same code (the prefixes of the
    Turtle and JSON-LD dumps are the code's), the subjects whose triples changed (none: the
    default graph, the merge of the source graphs, is the same; a passage's statement group
    repeats its curated file's triples)."""
    if staging.base_id is None:
        return None
    current, code = staging.published.current(), staging.basis.get("code")
    based = changes.previous == staging.base_id == current.build_id
    same_code = based and code is not None and current.basis.get("code") == code
    touched = (frozenset() if not changes.sources else changes.touched) if same_code else None
    patched = frozenset(staging.patched or ())  # graphs patched in place (a copy's blank node labels are kept)
    return Reuse(staging.published.dumps_dir(staging.base_id), staging.same, touched, patched)


def _index_patch(staging: Staging, touched: frozenset[str] | None) -> Patch | None:
    """The current build's search index and what changed since it, if both are known."""
    published = staging.published
    if touched is None or not published.has_current():
        return None
    earlier = published.dumps_dir(published.current().build_id) / SEARCH_FILE
    return Patch(earlier, touched) if earlier.is_file() else None


def _record_changes(store: ox.Store, staging: Staging, folder: Path) -> Changes:
    """The changes against the build that is current until this one is committed."""
    published = staging.published
    previous = published.current() if published.has_current() else None
    old = ox.Store.read_only(str(previous.path)) if previous is not None else None
    based = previous is not None and previous.build_id == staging.base_id  # what it was patched from
    known = staging.patched if based else None
    return write_changes(store, old, staging.build_id, previous.build_id if previous else None, folder, staging.same, known)


def _record_feed(store: ox.Store, staging: Staging, touched: frozenset[str] | None) -> None:
    """The feed's members for this version (with `touched`, the subjects of the changed triples, only
    theirs are described again), then the retention of the versions about to be pruned."""
    published = staging.published
    previous = published.current().version if published.has_current() else None
    feed = published.root / FEED
    write_feed(store, feed, staging.version, staging.build_id, staging.created, previous, touched)
    kept = sorted({b.version for b in published.recent(None)} | {staging.version})[-published.keep :]
    compact(feed, set(kept))


def _unchanged(staging: Staging, changes: Changes) -> frozenset[str]:
    """The graphs of the build that are those of the build it was made from ("default": the
    merged default graph): carried over unchanged, or compared and found equal (the changes list
    no difference). A passage's statement group is not compared: it is unchanged only if carried."""
    if changes.previous != staging.base_id or staging.base_id is None:
        return frozenset()
    changed = {source.graph for source in changes.sources}
    compared = {g for g in staging.counts if STATEMENT_GROUPS not in g and g not in changed}
    return frozenset(staging.same | compared | ({"default"} if not changed else set()))


def publisher(
    engine: RemoteEngine | None, staging: Staging, data_dir: Path, grace: float, progress: Progress
) -> Callable[[ox.Store, Path], None]:
    """What `Staging.commit` does before the switch: the files, then (with a remote engine)
    the upload into it and its own switch; a failure there leaves both stores as they were."""

    def publish(store: ox.Store, folder: Path) -> None:
        changes = _record_changes(store, staging, folder)  # first: what changed decides what is written again
        _publish_files(store, staging, folder, data_dir, changes)
        _record_feed(store, staging, changes.touched)
        if engine is not None:  # the graphs unchanged since the build it was made from are the engine's already
            graphs = sorted(staging.counts)
            unchanged = _unchanged(staging, changes)
            publish_remote(engine, store, staging.build_id, graphs, progress, grace, None, staging.base_id, unchanged)

    return publish
