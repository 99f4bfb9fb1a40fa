"""Entry point for `s3kg serve`: each server process builds its app from the settings.

Several processes can serve one published build, each opening it read-only; uvicorn starts
them and calls `app_from_settings` in each (settings come from S3KG_* variables and s3kg.toml,
read here, at start-up, never at import).
"""

from __future__ import annotations

from fastapi import FastAPI

from s3kg.settings import load_settings, server_config
from server.app import create_app
from server.backends import EmbeddedBackend


def app_from_settings() -> FastAPI:
    settings = load_settings()
    return create_app(server_config(settings), EmbeddedBackend(settings.store_dir))
