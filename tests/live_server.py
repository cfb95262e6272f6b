"""The app on a real HTTP server in a thread, for clients that need a socket (browsers, SSE, Segment's library).

The server is the one `automap serve` runs: uvicorn with builder_api.asgi's site app (the widget's
streams on the event loop, Flask on a thread pool). Leaving waits until every request it accepted
has finished, so a browser's last beacon is not still writing while the next test empties the tables.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from starlette.types import ASGIApp, Receive, Scope, Send

from builder_api.asgi import site_app
from workflow_runtime.dispatch.embedded import HttpServer

# A test's browser is closed before the server: its streams end as the server sees the socket close.
DRAIN_SECONDS = 15


class _InFlight:
    """ASGI middleware counting HTTP requests until their response has been sent (streams included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.count -= 1


@dataclass
class LiveServer:
    """A running server: its base URL, and a way to wait until it is idle."""

    url: str
    _requests: _InFlight

    def wait_idle(self) -> None:
        """Wait until every request it accepted has finished: after a tab closes, its widget stream
        ends (a test that then moves time sees the visitor gone)."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._requests.count and time.monotonic() < deadline:
            time.sleep(0.02)


@contextmanager
def live_server(app: Flask, **config: Any) -> Iterator[LiveServer]:
    """Serve `app` (with `config` set for the while) on a free port."""
    saved = {key: app.config[key] for key in config if key in app.config}
    app.config.update(config)
    counted = _InFlight(site_app(app))
    server = HttpServer(counted, "127.0.0.1", 0)
    live = LiveServer(f"http://127.0.0.1:{server.port}", counted)
    try:
        yield live
    finally:
        live.wait_idle()  # bounded: a stream the closed browser left open ends when its socket closes
        server.stop()
        for key in config:
            app.config.pop(key, None)
        app.config.update(saved)
