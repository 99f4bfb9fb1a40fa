"""Request bodies within bounds, as ASGI middleware in front of every route.

- A body announced (Content-Length) larger than `max_body` is refused with 413 at once, before a
  byte of it is read; a chunked body is counted as it arrives and refused at the limit, so the
  server never holds more than `max_body` of one request.
- A body must arrive within `body_timeout` seconds (slow or stalled senders, "slowloris"):
  past it, 408.
- Every answer says `X-Content-Type-Options: nosniff`, so no browser reads an echoed text as HTML.
- An oversized body the client is still sending is read and thrown away (up to `drain_limit`)
  before the 413 goes out, so that the client reads the answer instead of a connection reset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyRefused(Exception):
    """The body is too large (413), late (408) or announced wrongly (400)."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit():
                raise BodyRefused(400, f"Content-Length '{text[:40]}' is not a number of bytes.")
            return int(text)
    return None


class RequestLimits:
    def __init__(self, app: ASGIApp, max_body: int = 1 << 20, body_timeout: float = 15.0, drain_limit: int = 64 << 20):
        self.app, self.max_body, self.body_timeout, self.drain_limit = app, max_body, body_timeout, drain_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"x-content-type-options", b"nosniff")]}
            await send(message)

        try:
            announced = _content_length(scope)
            if announced is not None and announced > self.max_body:
                if announced <= self.drain_limit:
                    await self._drain(receive, time.monotonic() + self.body_timeout)
                raise BodyRefused(413, self._too_large())
            await self.app(scope, self._bounded(receive), tracking_send)
        except BodyRefused as refused:  # raised before the app ran, or by a route that did not map it
            if started:  # the route answered already; nothing better can be sent now
                return
            await _answer(send, refused.status, refused.message)

    def _too_large(self) -> str:
        return f"The request body is larger than this server accepts ({self.max_body:,} bytes)."

    def _bounded(self, receive: Receive) -> Receive:
        deadline: float | None = None
        size = 0

        async def bounded() -> Message:
            nonlocal deadline, size
            deadline = deadline or time.monotonic() + self.body_timeout
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise BodyRefused(408, f"The request body did not arrive within {self.body_timeout:g} s.") from None
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_body:
                    raise BodyRefused(413, self._too_large())
            return message

        return bounded

    async def _drain(self, receive: Receive, deadline: float) -> None:
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                return


async def _answer(send: Send, status: int, message: str) -> None:
    body = (message + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
