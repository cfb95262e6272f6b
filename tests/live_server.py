"""The app on a real HTTP server in a thread, for clients that need a socket (browsers, SSE, Segment's library).

Leaving waits until every request it accepted has finished, so a browser's last beacon is not
still writing while the next test empties the tables.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator

# A test's browser is closed before the server: streams notice at their next heartbeat.
DRAIN_SECONDS = 15


class _InFlight:
    """WSGI middleware counting requests until their response is closed (streams included)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.count = 0
        self.idle = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.idle:
            self.count += 1
        try:
            return ClosingIterator(self.app(environ, start_response), self._finished)
        except BaseException:
            self._finished()
            raise

    def _finished(self) -> None:
        with self.idle:
            self.count -= 1
            self.idle.notify_all()

    def wait_idle(self) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.count == 0, timeout=DRAIN_SECONDS)


@dataclass
class LiveServer:
    """A running server: its base URL, and a way to wait until it is idle."""

    url: str
    _requests: _InFlight

    def wait_idle(self) -> None:
        """Wait until every request it accepted has finished: after a tab closes, its widget stream
        ends at its next heartbeat (a test that then moves time sees the visitor gone)."""
        self._requests.wait_idle()


@contextmanager
def live_server(app: Flask, **config: Any) -> Iterator[LiveServer]:
    """Serve `app` (with `config` set for the while) on a free port."""
    saved = {key: app.config.get(key) for key in config}
    app.config.update(config)
    counted = _InFlight(app)
    server = make_server("127.0.0.1", 0, counted, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", counted)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        counted.wait_idle()  # bounded: a stream the closed browser left open ends at its next heartbeat
        app.config.update(saved)
