"""A handler served over real HTTP on a free port, in a daemon thread, for the block's duration.

What the tests' local integrations, receivers and customer sites share; each brings its own handler.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0,
            server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
            lifetime: float | None = None) -> Iterator[ThreadingHTTPServer]:
    """Serve `handler` on `host`, on `port` or an ephemeral one (`server.server_address[1]`); shut down on
    leaving, or after `lifetime` seconds should a failing test forget it. Binding errors (OSError) are raised
    on entering."""
    server = server_class((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    watchdog = threading.Timer(lifetime, server.shutdown) if lifetime else None
    thread.start()
    if watchdog is not None:
        watchdog.daemon = True
        watchdog.start()
    try:
        yield server
    finally:
        if watchdog is not None:
            watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
