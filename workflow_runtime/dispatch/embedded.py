"""Embedded mode: API, worker and scheduler in one process over an in-process Redis stand-in.

The same RQ jobs, queues and scheduler run as in production; only the Redis is
fakeredis, so a laptop needs nothing but Python.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import fakeredis
from redis import Redis
from werkzeug.serving import make_server

from workflow_runtime.dispatch.runtime import Runtime
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.dispatch.worker import freeze_startup_objects, make_worker


def embedded_redis() -> Redis:
    """A private in-process Redis for this process's queue and wake-ups."""
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


def serve_embedded(wsgi_app: Callable[..., Any], runtime: Runtime, host: str, port: int) -> None:
    """Serve HTTP and tick the scheduler in threads; work jobs in the main thread until Ctrl-C."""
    server = make_server(host, port, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, name="automap-http", daemon=True).start()
    _thread, stop = Scheduler(runtime).start_thread()
    freeze_startup_objects()
    try:
        make_worker(runtime).work(logging_level="WARNING")
    finally:
        stop.set()
        server.shutdown()
