"""Server-sent events: a visitor's new chat messages and popups, pushed as the runtime records them.

Why SSE: one long response per open page carries every message with no request per
message, the browser's EventSource reconnects by itself, and a page needs nothing else.
Each stream lives at most `AUTOMAP_WIDGET_STREAM_LIFETIME` seconds, so a proxy never
holds it forever and a worker thread is freed regularly; the browser reconnects and the
ledger, not the stream, says what is still to show. A stream holds a thread (run gunicorn
with gthread or gevent workers, not sync ones) and one Redis pub/sub connection.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from workflow_runtime.channels import onsite, presence
from workflow_runtime.channels.onsite_push import ContactNotices
from workflow_runtime.dispatch import runtime

DEFAULTS = {
    "AUTOMAP_WIDGET_HEARTBEAT": 15.0,  # seconds between keep-alives, each also a re-read of the ledger
    "AUTOMAP_WIDGET_STREAM_LIFETIME": 60.0,  # seconds before the server ends a stream and the browser reconnects
    "AUTOMAP_WIDGET_UNKNOWN_POLL": 1.0,  # seconds between look-ups while the visitor's first page view is on its way
}
RECONNECT_MS = 1000
# A visitor counts as on the site until this many heartbeats pass without a stream refreshing it
# (covers the reconnect between two streams, and a heartbeat late under load).
PRESENCE_HEARTBEATS = 3


def init_app(app: Flask) -> None:
    """Default the stream timings (tests shorten them)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


def notices_connection() -> Redis:
    """The Redis the runtime announces on: the configured server, or the embedded stand-in of this process."""
    settings = current_app.config["AUTOMAP"]
    if settings.redis_url is None:
        return runtime.current().redis
    if "automap_widget_redis" not in current_app.extensions:
        current_app.extensions["automap_widget_redis"] = Redis.from_url(settings.redis_url)
    return current_app.extensions["automap_widget_redis"]


def events(engine: Engine, connection: Redis, anonymous_id: str, config: dict[str, Any], now: Callable[[], datetime],
           replies_after: int = 0) -> Iterator[str]:
    """The SSE body: every message still to show, then each new one as the runtime pushes it; and, as `reply`
    events, the contact's replies above `replies_after` (answers by email, or typed in another tab).

    The ledger is read when the stream opens and on every heartbeat (which also looks the contact up
    again: identify may have merged it into another, and catches up on anything a lost notice missed);
    in between, new messages and replies come in the runtime's notices (workflow_runtime.channels.onsite_push),
    read from no database. On each heartbeat the stream also marks its contact as on the site
    (workflow_runtime.channels.presence, on the runtime's clock, `now`), so an email fallback waits while the
    visitor is here.
    """
    yield f"retry: {RECONNECT_MS}\n\n"
    sent: set[int] = set()
    presence_ttl = PRESENCE_HEARTBEATS * config["AUTOMAP_WIDGET_HEARTBEAT"]
    deadline = time.monotonic() + config["AUTOMAP_WIDGET_STREAM_LIFETIME"]
    next_read = opened = time.monotonic()
    contact_id: int | None = None
    pushed: list[dict[str, Any]] = []
    with ContactNotices(connection) as notices:
        while True:
            news: list[dict[str, Any]] = []
            answers: list[dict[str, Any]] = []
            if time.monotonic() >= next_read:
                if next_read > opened:  # a heartbeat: the comment line keeps proxies from closing a quiet stream
                    yield ": keep-alive\n\n"
                with Session(engine) as session:
                    contact_id = onsite.visitor_contact(session, anonymous_id)
                    notices.follow(contact_id)
                    if contact_id is not None:
                        # Subscribed and on the site before reading: a message recorded in between is read
                        # now or pushed later.
                        presence.mark_on_site(connection, contact_id, presence_ttl, now())
                        news = onsite.pending(session, contact_id, exclude=sent)
                        answers = onsite.replies_after(session, contact_id, replies_after)
                pause = config["AUTOMAP_WIDGET_HEARTBEAT" if contact_id is not None else "AUTOMAP_WIDGET_UNKNOWN_POLL"]
                next_read = time.monotonic() + pause
            for message in [*(item for item in pushed if item["kind"] == "message"), *news]:
                if message["id"] not in sent:
                    sent.add(message["id"])
                    yield f"id: {message['id']}\nevent: message\ndata: {json.dumps(message)}\n\n"
            for answer in sorted([*answers, *(item for item in pushed if item["kind"] == "reply")],
                                 key=lambda answer: answer["id"]):
                if answer["id"] > replies_after:
                    replies_after = answer["id"]
                    yield f"event: reply\ndata: {json.dumps(answer)}\n\n"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            pushed = notices.wait(min(next_read - time.monotonic(), remaining)) or []
