"""Shared fixtures: one real build of the real sources into a temporary store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from chromium import CHROMIUM, FLAGS
from engines import STARTERS, RunningEngine
from live_server import live_server
from playwright.sync_api import Browser, sync_playwright
from seed_data import seed_data_dir

from loaders.build import BuildConfig, build
from loaders.core.paths import DATA_DIR
from loaders.map.tabular import Summary
from loaders.publish.remote import RemoteEngine, RemoteTarget
from loaders.publish.remote_upload import publish_remote
from loaders.publish.store import BuildInfo, PublishedStore
from server.backends.embedded.backend import EmbeddedBackend
from server.backends.port import Backend
from server.backends.remote.backend import RemoteBackend

PROJECT = Path(__file__).resolve().parent.parent
STORES = ["embedded", "oxigraph", "virtuoso"]  # what the endpoint, linked-data and competency tests run over


@dataclass(frozen=True)
class Built:
    config: BuildConfig
    info: BuildInfo
    store: ox.Store
    summaries: list[Summary]  # the row accounts of the real exports


def make_config(root: Path, **overrides: object) -> BuildConfig:
    """A build writing under `root`: of the project's data without its real exports (seed_data.py),
    unless `data_dir` says otherwise."""
    data = seed_data_dir()
    settings: dict[str, object] = {"data_dir": data, "sources_file": data / "sources.yaml", **overrides}
    return BuildConfig(store_dir=root / "store", report_dir=root / "reports", **settings)  # type: ignore[arg-type]


def real_config(root: Path, **overrides: object) -> BuildConfig:
    """A build of the project's default data, real exports and all, writing under `root`."""
    return make_config(root, data_dir=DATA_DIR, sources_file=DATA_DIR / "sources.yaml", **overrides)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    config = real_config(tmp_path_factory.mktemp("build"))
    info, outcome = build(config)
    assert outcome is not None  # a first build of a new store always runs
    return Built(config, info, PublishedStore(config.store_dir).open(), outcome.summaries)


class Engines:
    """The remote engines of this test session, each started on first use with the session's
    build published into it, and stopped at the end."""

    def __init__(self, root: Path, built: Built):
        self.root, self.built = root, built
        self.running: dict[str, RunningEngine] = {}

    def get(self, name: str) -> RunningEngine:
        if name not in self.running:
            folder = self.root / name
            folder.mkdir()
            engine = STARTERS[name](folder)
            self.running[name] = engine
            publish_built(engine.target, self.built)
        return self.running[name]

    def restart(self, name: str) -> None:
        """Stop an engine and start it again on its port and database (the data stays): Oxigraph's
        own time limit does not stop an aggregate over a cross product, which would otherwise
        keep a core busy for the rest of the session."""
        engine = self.running[name]
        engine.stop()
        self.running[name] = STARTERS[name](engine.folder, urlsplit(engine.target.query_url).port)

    def stop(self) -> None:
        for engine in self.running.values():
            engine.stop()


def publish_built(target: RemoteTarget, built: Built) -> None:
    """Publish the session's build into an engine, as `s3kg build` does."""
    client = RemoteEngine(target)
    try:
        publish_remote(client, built.store, built.info.build_id, sorted(built.info.graphs), lambda _: None, grace=0)
    finally:
        client.close()


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory, built: Built) -> Iterator[Engines]:
    running = Engines(tmp_path_factory.mktemp("engines"), built)
    yield running
    running.stop()


@pytest.fixture(scope="session", params=STORES)
def backend(request: pytest.FixtureRequest, built: Built, engines: Engines) -> Backend:
    """The session's build served from each kind of store: embedded, and each remote engine."""
    if request.param == "embedded":
        return EmbeddedBackend(built.config.store_dir)
    return RemoteBackend(engines.get(request.param).target, built.config.store_dir, poll=0.2)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for a module's browser tests (Playwright's sync API keeps an event loop
    running while it is open: closed with the module, so that later tests may run their own)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(built: Built) -> Iterator[str]:
    """A real server (one worker) over the session's build, for the browser tests."""
    with live_server(EmbeddedBackend(built.config.store_dir), workers=1) as url:
        yield url
