"""Server-sent events: a visitor's new chat messages and popups, pushed as the runtime records them.

Why SSE: one long response per open page carries every message with no request per
message, the browser's EventSource reconnects by itself, and a page needs nothing else.

Why asyncio: every open page holds a stream, so a busy site holds thousands. Served by the
Flask app, each would hold a thread, and 48 of them starved a 2×16-thread gunicorn of its
`/healthz` and `/v1/track`. Here a stream is a coroutine on one event loop (Starlette under
uvicorn): it costs a socket and a channel on the process's one Redis pub/sub connection, and a thread only for
the moments it reads the ledger (a bounded pool, `DATABASE_THREADS`). It runs in its own process
in production (`automap widget-stream`, the `widget-stream` service of docker-compose) and
beside the Flask app on one port in `automap serve` (builder_api.asgi). Each stream lives at
most `AUTOMAP_WIDGET_STREAM_LIFETIME` seconds, so a proxy never holds it forever; the browser
reconnects and the ledger, not the stream, says what is still to show. A visitor may hold
`AUTOMAP_WIDGET_STREAMS_PER_VISITOR` streams (tabs) and an address
`AUTOMAP_WIDGET_STREAMS_PER_ADDRESS`; past that a stream is refused with 429.
"""
from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
from anyio import to_thread
from marshmallow import ValidationError
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from builder_api.errors import ApiError, field_errors
from builder_api.settings import SettingsError
from builder_api.widget.schemas import StreamQuery
from builder_api.widget.tokens import token_from_headers, visitor_from_token
from workflow_runtime.channels import onsite, presence
from workflow_runtime.channels.notice_hub import NoticeHub
from workflow_runtime.channels.onsite_push import ContactNotices

DEFAULTS = {
    "AUTOMAP_WIDGET_HEARTBEAT": 15.0,  # seconds between keep-alives, each also a re-read of the ledger
    "AUTOMAP_WIDGET_STREAM_LIFETIME": 60.0,  # seconds before the server ends a stream and the browser reconnects
    "AUTOMAP_WIDGET_UNKNOWN_POLL": 1.0,  # seconds between look-ups while the visitor's first page view is on its way
    "AUTOMAP_WIDGET_STREAMS_PER_VISITOR": 8,  # open tabs of one browser
    "AUTOMAP_WIDGET_STREAMS_PER_ADDRESS": 200,  # visitors behind one address (an office, a mobile carrier's NAT)
}
RECONNECT_MS = 1000
# A visitor counts as on the site until this many heartbeats pass without a stream refreshing it
# (covers the reconnect between two streams, and a heartbeat late under load).
PRESENCE_HEARTBEATS = 3
# A heartbeat comes after the heartbeat time give or take this fraction of it; a stream ends up to this
# fraction before its lifetime.
HEARTBEAT_JITTER = 0.2
# Threads reading the ledger for all of a process's streams at once (each read is a few milliseconds).
DATABASE_THREADS = 8
_SLOTS_PREFIX = "automap:widget:streams:"
# Pages on any site open streams (EventSource sends no credentials: the visitor token is in the query).
_ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}


@dataclass(frozen=True)
class StreamSources:
    """What the streams of one process read: the database, Redis (a blocking client for presence, an asyncio
    one for the stream slots, and the process's one subscription to the runtime's notices), the visitor
    tokens' secret, the stream settings and the runtime's clock."""

    engine: Engine
    redis: Redis
    asyncio_redis: AsyncRedis
    notices: NoticeHub
    secret_key: str
    config: Mapping[str, Any]
    now: Callable[[], datetime]
    database_threads: anyio.CapacityLimiter

    def setting(self, key: str) -> Any:
        """The app's config (tests set it), else the environment variable of that name, else the default."""
        if key in self.config:
            return self.config[key]
        return environment_setting(os.environ, key)


def environment_setting(environ: Mapping[str, str], key: str) -> Any:
    """One of DEFAULTS, from `environ` when set there; SettingsError if it is not a positive number."""
    raw = environ.get(key, "").strip()
    if not raw:
        return DEFAULTS[key]
    kind = type(DEFAULTS[key])
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingsError(f"{key} must be a positive {'whole ' if kind is int else ''}number, not {raw!r}")
    return value


@dataclass(frozen=True)
class _Ledger:
    """One read of the ledger for a stream: its visitor's contact, the messages and the replies still to send."""

    contact_id: int | None
    news: list[dict[str, Any]]
    answers: list[dict[str, Any]]


class StreamSlots:
    """How many streams a visitor and an address hold, across every stream process (Redis sorted sets).

    Each open stream is a member scored by when it lapses, so the slots of a process that died
    free themselves after one stream lifetime."""

    def __init__(self, sources: StreamSources) -> None:
        self.sources = sources

    def _limits(self, visitor: str, address: str) -> dict[str, int]:
        return {f"{_SLOTS_PREFIX}visitor:{visitor}": self.sources.setting("AUTOMAP_WIDGET_STREAMS_PER_VISITOR"),
                f"{_SLOTS_PREFIX}address:{address}": self.sources.setting("AUTOMAP_WIDGET_STREAMS_PER_ADDRESS")}

    async def take(self, visitor: str, address: str) -> str | None:
        """A slot's id, or None when the visitor or the address already holds as many streams as allowed."""
        lifetime = self.sources.setting("AUTOMAP_WIDGET_STREAM_LIFETIME")
        slot, now = uuid.uuid4().hex, time.time()
        limits = self._limits(visitor, address)
        pipe = self.sources.asyncio_redis.pipeline(transaction=True)
        for key in limits:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zadd(key, {slot: now + lifetime + RECONNECT_MS / 1000 + 5})
            pipe.zcard(key)
            pipe.expire(key, int(lifetime) + 10)
        counts = (await pipe.execute())[2::4]
        if any(count > limit for count, limit in zip(counts, limits.values())):
            await self.give_back(slot, visitor, address)
            return None
        return slot

    async def give_back(self, slot: str, visitor: str, address: str) -> None:
        pipe = self.sources.asyncio_redis.pipeline(transaction=False)
        for key in self._limits(visitor, address):
            pipe.zrem(key, slot)
        await pipe.execute()


def error_response(error: ApiError) -> JSONResponse:
    """An API error as a stream answers it (any origin may read it: pages on any site open streams)."""
    body: dict[str, Any] = {"status": error.status, "message": error.message}
    if error.errors:
        body["errors"] = error.errors
    return JSONResponse(body, status_code=error.status, headers={**error.headers, **_ANY_ORIGIN})


async def message_stream(request: Request) -> Response:
    """`GET /widget/stream`: the visitor's chat messages and popups to show, as they are recorded (`message`
    events), and its replies with an id above `?after_reply=` (`reply` events: answers by email)."""
    sources: StreamSources = request.app.state.stream_sources()
    try:
        query = StreamQuery().load(dict(request.query_params))
    except ValidationError as error:
        return error_response(ApiError(400, "The request is not valid.", field_errors(error.messages)))
    try:
        visitor = visitor_from_token(query.get("token") or token_from_headers(request.headers), sources.secret_key)
    except ApiError as error:
        return error_response(error)
    address = request.client.host if request.client else "unknown"
    slots = StreamSlots(sources)
    slot = await slots.take(visitor, address)
    if slot is None:
        retry_after = str(int(sources.setting("AUTOMAP_WIDGET_STREAM_LIFETIME")))
        return error_response(ApiError(429, "Too many open widget streams for this visitor or address.",
                               headers={"Retry-After": retry_after}))

    async def body() -> AsyncIterator[str]:
        try:
            async for chunk in events(sources, visitor, query["after_reply"]):
                yield chunk
        finally:
            with anyio.CancelScope(shield=True):  # a closed tab cancels the stream: still give its slot back
                await slots.give_back(slot, visitor, address)

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **_ANY_ORIGIN})


def _read_ledger(sources: StreamSources, anonymous_id: str, followed: int | None, sent: set[int],
                 replies_after: int) -> _Ledger:
    """Look the visitor's contact up; if it is the one the stream follows, mark it on the site and read what is
    still to send. (Run in a thread: the database and the presence key are blocking calls.)"""
    with Session(sources.engine) as session:
        contact_id = onsite.visitor_contact(session, anonymous_id)
        if contact_id is None or contact_id != followed:
            return _Ledger(contact_id, [], [])
        presence_ttl = PRESENCE_HEARTBEATS * sources.setting("AUTOMAP_WIDGET_HEARTBEAT")
        presence.mark_on_site(sources.redis, contact_id, presence_ttl, sources.now())
        return _Ledger(contact_id, onsite.pending(session, contact_id, exclude=sent),
                       onsite.replies_after(session, contact_id, replies_after))


async def events(sources: StreamSources, anonymous_id: str, replies_after: int = 0) -> AsyncIterator[str]:
    """The SSE body: every message still to show, then each new one as the runtime pushes it; and, as `reply`
    events, the contact's replies above `replies_after` (answers by email, or typed in another tab).

    The ledger is read when the stream opens and on every heartbeat (which also looks the contact up
    again: identify may have merged it into another, and catches up on anything a lost notice missed);
    in between, new messages and replies come in the runtime's notices (workflow_runtime.channels.onsite_push),
    read from no database. On each heartbeat the stream also marks its contact as on the site
    (workflow_runtime.channels.presence, on the runtime's clock), so an email fallback waits while the
    visitor is here.
    """
    yield f"retry: {RECONNECT_MS}\n\n"
    sent: set[int] = set()
    # Jittered like the heartbeats: streams opened together do not all reconnect together a lifetime later.
    deadline = time.monotonic() + sources.setting("AUTOMAP_WIDGET_STREAM_LIFETIME") * random.uniform(
        1 - HEARTBEAT_JITTER, 1)
    next_read = opened = time.monotonic()
    pushed: list[dict[str, Any]] = []
    async with ContactNotices(sources.notices) as notices:
        while True:
            ledger = _Ledger(notices.contact_id, [], [])
            if time.monotonic() >= next_read:
                if next_read > opened:  # a heartbeat: the comment line keeps proxies from closing a quiet stream
                    yield ": keep-alive\n\n"
                ledger = await _read(sources, anonymous_id, notices.contact_id, sent, replies_after)
                if ledger.contact_id != notices.contact_id:
                    # Subscribed and on the site before reading: a message recorded in between is read now
                    # or pushed later.
                    await notices.follow(ledger.contact_id)
                    ledger = await _read(sources, anonymous_id, notices.contact_id, sent, replies_after)
                pause = sources.setting("AUTOMAP_WIDGET_HEARTBEAT" if ledger.contact_id is not None
                                        else "AUTOMAP_WIDGET_UNKNOWN_POLL")
                # Jittered: streams opened together (a deploy, a burst of visits) spread their reads apart.
                next_read = time.monotonic() + pause * random.uniform(1 - HEARTBEAT_JITTER, 1 + HEARTBEAT_JITTER)
            for message in [*(item for item in pushed if item["kind"] == "message"), *ledger.news]:
                if message["id"] not in sent:
                    sent.add(message["id"])
                    yield f"id: {message['id']}\nevent: message\ndata: {json.dumps(message)}\n\n"
            for answer in sorted([*ledger.answers, *(item for item in pushed if item["kind"] == "reply")],
                                 key=lambda answer: answer["id"]):
                if answer["id"] > replies_after:
                    replies_after = answer["id"]
                    yield f"event: reply\ndata: {json.dumps(answer)}\n\n"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            pushed = await notices.wait(min(next_read - time.monotonic(), remaining)) or []


async def _read(sources: StreamSources, anonymous_id: str, followed: int | None, sent: set[int],
                replies_after: int) -> _Ledger:
    return await to_thread.run_sync(_read_ledger, sources, anonymous_id, followed, set(sent), replies_after,
                                    limiter=sources.database_threads)
