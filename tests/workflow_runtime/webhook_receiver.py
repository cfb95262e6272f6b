"""A local integration for tests that counts the webhook calls it receives, by Idempotency-Key.

A ThreadingHTTPServer on 127.0.0.1 (a free port) in a daemon thread answers every call 200, after
`delay` seconds, and records its Idempotency-Key header (thread-safe: it is called from many handler
threads at once, by several worker processes). The key is recorded before the answer, so a call whose
caller dies waiting for the answer (a SIGKILLed worker) counts as made, as it does for a real receiver.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What the receiver records for a call that came without an Idempotency-Key.
NO_KEY = "<no Idempotency-Key>"


@dataclass
class Receiver:
    """The calls received so far: their Idempotency-Keys, in order of arrival."""

    delay: float = 0.0
    url: str = ""
    _keys: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str) -> None:
        with self._lock:
            self._keys.append(key)

    def keys(self) -> list[str]:
        """Every call's key, a repeated call's again."""
        with self._lock:
            return list(self._keys)

    def counts(self) -> Counter[str]:
        """How many calls each key came with."""
        return Counter(self.keys())


@contextmanager
def webhook_receiver(path: str = "/hooks/lead", delay: float = 0.0) -> Iterator[Receiver]:
    """Serve a Receiver on 127.0.0.1 for the block's duration; its `url` is `path` on that server."""
    receiver = Receiver(delay)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.record(self.headers.get("Idempotency-Key") or NO_KEY)
            if receiver.delay:
                time.sleep(receiver.delay)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the caller is gone (killed, or gave up waiting)
                pass

        do_POST = do_PUT = do_PATCH = do_GET = do_DELETE = _answer  # noqa: N815 - http.server's naming

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
