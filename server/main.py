"""Runs `s3kg serve`: one or more server processes over one published build.

Each process binds the port itself (SO_REUSEPORT: the kernel spreads connections over them),
builds its app from the settings and opens the build read-only. The socket is made with
IPPROTO_TCP named, so that asyncio sets TCP_NODELAY on every connection: uvicorn's own
multi-worker mode passes sockets whose protocol field reads 0, which silently leaves Nagle's
algorithm on and adds ~40 ms to every small answer (measured: 2,170 → 180 requests/s).
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from types import FrameType

import uvicorn

from s3kg.settings import Settings, load_settings, server_config
from server.app import create_app
from server.backends import EmbeddedBackend


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def serve_one(settings: Settings) -> None:
    """One server process: its own socket, app, query workers and answer cache."""
    app = create_app(server_config(settings), EmbeddedBackend(settings.store_dir))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[_listening_socket(settings.host, settings.port)])


def _serve_from_environment() -> None:
    serve_one(load_settings())


def serve(settings: Settings) -> None:
    if settings.processes == 1:
        serve_one(settings)
        return
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_serve_from_environment) for _ in range(settings.processes)]
    for child in children:
        child.start()

    def stop(signum: int, _: FrameType | None) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()
    sys.exit(0)
