"""Embedded mode: API, worker and scheduler in one process over an in-process Redis stand-in.

The same RQ jobs, queues and scheduler run as in production; only the Redis is
fakeredis, so a laptop needs nothing but Python. HTTP is served by uvicorn on a thread of
its own (the ASGI app: the widget's streams on its event loop, the Flask app on a thread pool).
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import fakeredis
import uvicorn
from redis import Redis
from redis.asyncio import BlockingConnectionPool
from redis.asyncio import Redis as AsyncRedis

from workflow_runtime.dispatch.runtime import Runtime
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.dispatch.worker import freeze_startup_objects, make_worker


def embedded_redis() -> Redis:
    """A private in-process Redis for this process's queue and wake-ups."""
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


# Seconds a stopping server gives open widget streams before closing them (browsers reconnect elsewhere).
GRACEFUL_SHUTDOWN_SECONDS = 3
STARTUP_SECONDS = 30
ASGIApp = Callable[[dict[str, Any], Callable[..., Any], Callable[..., Any]], Awaitable[None]]


class HttpServer:
    """uvicorn serving an ASGI app on a thread of its own, accepting once the constructor returns (port 0 picks one)."""

    def __init__(self, asgi_app: ASGIApp, host: str, port: int) -> None:
        config = uvicorn.Config(asgi_app, host=host, port=port, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
        self._socket: socket.socket = config.bind_socket()  # an address in use fails here, not in the thread
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="automap-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the HTTP server on {host}:{self.port} did not start")
            time.sleep(0.01)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    def stop(self) -> None:
        """Stop accepting, give open requests and streams a moment to end, and close."""
        self._server.should_exit = True
        self._thread.join(timeout=GRACEFUL_SHUTDOWN_SECONDS + 5)


def serve_embedded(asgi_app: ASGIApp, runtime: Runtime, host: str, port: int) -> None:
    """Serve HTTP and tick the scheduler in threads; work jobs in the main thread until Ctrl-C."""
    http = HttpServer(asgi_app, host, port)
    _thread, stop = Scheduler(runtime).start_thread()
    freeze_startup_objects()
    try:
        make_worker(runtime).work(logging_level="WARNING")
    finally:
        stop.set()
        http.stop()


def asyncio_twin(connection: Redis) -> AsyncRedis:
    """An asyncio client of the same server as `connection`: the in-process one of an `embedded_redis()`, or a real
    one when a test or simulation gives the embedded app's runtime a real Redis."""
    # Blocking pool: a burst of streams opening waits for a connection rather than fails.
    settings = connection.connection_pool.connection_kwargs
    if "server" not in settings:
        return AsyncRedis(connection_pool=BlockingConnectionPool(
            host=settings.get("host", "localhost"), port=settings.get("port", 6379), db=settings.get("db", 0),
            username=settings.get("username"), password=settings.get("password"), max_connections=32))
    return fakeredis.FakeAsyncRedis(server=settings["server"], connection_pool_class=BlockingConnectionPool,
                                    max_connections=32)
