"""The runtime harness (real RQ jobs, virtual time) for API tests whose requests queue work, and the app
served over real HTTP for clients that need a socket (the Segment library, a browser)."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server_url(app: Flask, harness) -> Iterator[str]:  # noqa: F811 - the harness configures the runtime
    """The app on a free port of a real threaded HTTP server, for as long as the test runs."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)
