"""Shared fixtures: one real build of the real sources into a temporary store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from loaders.build import BuildConfig, build
from loaders.store import BuildInfo, PublishedStore

PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Built:
    config: BuildConfig
    info: BuildInfo
    store: ox.Store


def make_config(root: Path, **overrides: object) -> BuildConfig:
    """A build of the project's real sources, writing under `root`."""
    return BuildConfig(store_dir=root / "store", report_dir=root / "reports", **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    config = make_config(tmp_path_factory.mktemp("build"))
    info, _ = build(config)
    return Built(config, info, PublishedStore(config.store_dir).open())
