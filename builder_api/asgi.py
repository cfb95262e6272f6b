"""The ASGI apps: the widgets' and the inboxes' event streams on asyncio, alone or in front of the Flask app.

- `stream_app`: `GET /widget/stream` and `GET /inbox/stream` only. `automap widget-stream` serves it in a process of its
  own in production (docker-compose's `widget-stream` service), where thousands of open pages
  cost sockets, not threads, and can never starve the API's workers.
- `site_app`: the same route, and everything else handed to the Flask app on a pool of threads
  (a2wsgi). `automap serve` and the tests' live servers run it, so one port serves the product.

Widgets learn where to open their stream from `POST /widget/session` (`stream_url`).
"""
from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from a2wsgi import WSGIMiddleware
from flask import Flask
from redis import Redis
from redis.asyncio import BlockingConnectionPool
from redis.asyncio import Redis as AsyncRedis
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from builder_api.conversations.stream import team_stream
from builder_api.extensions import db
from builder_api.runtime_access import now
from builder_api.widget.stream import DATABASE_THREADS, DEFAULTS, StreamSources, environment_setting, message_stream
from workflow_runtime.channels.notice_hub import NoticeHub
from workflow_runtime.dispatch import runtime
from workflow_runtime.dispatch.embedded import asyncio_twin, embedded_redis

# Threads running Flask's views in `site_app` (each request holds one while its view runs).
FLASK_THREADS = 32
# The stream process's asyncio Redis connections (stream slots; the notices share one), and how long a stream
# opening waits for one when all are busy.
REDIS_CONNECTIONS = 32
REDIS_POOL_WAIT_SECONDS = 10


class _SourcesOfApp:
    """The streams' database, Redis, secret and settings: those of the Flask app, and of the runtime of this
    process, whose in-process Redis stand-in the embedded mode's streams share (looked up per stream, since
    tests configure a new runtime per test)."""

    def __init__(self, flask_app: Flask) -> None:
        self.settings = flask_app.config["AUTOMAP"]
        self.config = flask_app.config
        for key in DEFAULTS:  # a malformed setting stops the server at start, not each stream
            environment_setting(os.environ, key)
        with flask_app.app_context():
            self.engine = db.engine
        self.database_threads = anyio.CapacityLimiter(DATABASE_THREADS)
        self._sources: StreamSources | None = None
        self._own_redis: Redis | None = None
        if self.settings.redis_url is not None:
            current = runtime.configured()
            redis = current.redis if current is not None else Redis.from_url(self.settings.redis_url)
            # Streams opening in a burst wait for a connection rather than fail (the notices take one for all).
            pool = BlockingConnectionPool.from_url(self.settings.redis_url, max_connections=REDIS_CONNECTIONS,
                                                   timeout=REDIS_POOL_WAIT_SECONDS)
            self._sources = self._with(redis, AsyncRedis(connection_pool=pool))

    def _with(self, redis: Redis, asyncio_redis: AsyncRedis) -> StreamSources:
        return StreamSources(self.engine, redis, asyncio_redis, NoticeHub(asyncio_redis), self.settings.secret_key,
                             self.config, now, self.database_threads)

    def __call__(self) -> StreamSources:
        if self.settings.redis_url is None:
            configured = runtime.configured()
            # With no runtime in this process (an app served for its pages alone) the streams get a Redis stand-in of
            # their own: nothing publishes to it, so they only ever read the database.
            embedded = configured.redis if configured is not None else self._stand_in()
            if self._sources is None or self._sources.redis is not embedded:
                self._sources = self._with(embedded, asyncio_twin(embedded))
        assert self._sources is not None
        return self._sources

    def _stand_in(self) -> Redis:
        if self._own_redis is None:
            self._own_redis = embedded_redis()
        return self._own_redis

    async def close(self) -> None:
        if self._sources is not None:
            await self._sources.notices.close()
            await self._sources.asyncio_redis.aclose()


def _app(flask_app: Flask, routes: list[BaseRoute]) -> Starlette:
    sources = _SourcesOfApp(flask_app)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await sources.close()

    app = Starlette(routes=[Route("/widget/stream", message_stream), Route("/inbox/stream", team_stream), *routes],
                    lifespan=lifespan)
    app.state.stream_sources = sources
    return app


def stream_app(flask_app: Flask) -> Starlette:
    """The widgets' and the inboxes' event streams, and nothing else."""
    return _app(flask_app, [])


def site_app(flask_app: Flask) -> Starlette:
    """The event streams on the event loop; every other path served by `flask_app`."""
    return _app(flask_app, [Mount("/", app=WSGIMiddleware(flask_app, workers=FLASK_THREADS))])
