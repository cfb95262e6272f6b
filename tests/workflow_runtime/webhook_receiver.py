"""A local integration for tests that counts the webhook calls it receives, by Idempotency-Key.

Served on 127.0.0.1 (a free port, tests.http_servers), it answers each call with the next of its
`answers` (the last one again and again; 200 by default) after `delay` seconds, and records its
Idempotency-Key header (thread-safe: it is called from many handler threads at once, by several worker
processes). The key is recorded before the answer, so a call whose caller dies waiting for the answer
(a SIGKILLed worker, a time-out) counts as made, as it does for a real receiver.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.http_servers import serving

# What the receiver records for a call that came without an Idempotency-Key.
NO_KEY = "<no Idempotency-Key>"


@dataclass
class Receiver:
    """The calls received so far: their Idempotency-Keys, in order of arrival."""

    delay: float = 0.0
    answers: list[int] = field(default_factory=lambda: [200])
    url: str = ""
    called: threading.Event = field(default_factory=threading.Event)
    _keys: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str) -> int:
        """Note a call's key; the status to answer it with."""
        with self._lock:
            self._keys.append(key)
            self.called.set()
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def keys(self) -> list[str]:
        """Every call's key, a repeated call's again."""
        with self._lock:
            return list(self._keys)

    def counts(self) -> Counter[str]:
        """How many calls each key came with."""
        return Counter(self.keys())


@contextmanager
def webhook_receiver(*answers: int, path: str = "/hooks/lead", delay: float = 0.0) -> Iterator[Receiver]:
    """Serve a Receiver on 127.0.0.1 for the block's duration; its `url` is `path` on that server."""
    receiver = Receiver(delay, list(answers or [200]))

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.record(self.headers.get("Idempotency-Key") or NO_KEY)
            if receiver.delay:
                time.sleep(receiver.delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:  # the caller is gone (killed, or gave up waiting)
                pass

        do_POST = do_PUT = do_PATCH = do_GET = do_DELETE = _answer  # noqa: N815 - http.server's naming

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as server:
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        yield receiver
