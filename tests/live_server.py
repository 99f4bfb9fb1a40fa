"""A real server on a free local port, in a background thread, for tests with real clients."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from server.app import create_app
from server.backends.port import Backend
from server.config import ServerConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(backend: Backend, **settings: object) -> Iterator[str]:
    """Serve `backend` on 127.0.0.1; yields the base URL (ending in '/')."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config = ServerConfig(**{"public_url": base, **settings})  # type: ignore[arg-type]
    server = uvicorn.Server(uvicorn.Config(create_app(config, backend), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_until_ready(base: str, process: subprocess.Popen[str] | subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Wait for a server process started by a test to answer /readyz with 200; fail if it exits or
    takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(base + "readyz", timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, f"the server at {base} did not become ready"
        time.sleep(0.2)


def client_from(address: str, **options: object) -> httpx.Client:
    """An HTTP client whose connections come from another loopback address: to the server, another client."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), **options)  # type: ignore[arg-type]


class Listener:
    """A local socket that records whether anything connects to it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.bind((host, self.port))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()
