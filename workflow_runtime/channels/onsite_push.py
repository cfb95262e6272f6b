"""Pushing new on-site messages and replies to the contacts' open widgets: Redis pub/sub after commit.

A job that recorded chat messages or popups publishes them, rendered as the widget shows
them (`onsite.recorded`), on the channel of each contact that has a widget open
(`presence`) once it committed; an email answer to a chat is published the same way
(`inbound_email`). The widget's stream passes them straight on, without reading the
database. Contacts with no widget open cost one Redis round trip a batch. The database
stays the source of truth: a stream reads the ledger when it opens and on every heartbeat,
so a notice lost with Redis costs latency, not messages, and an item both read and pushed
is sent once.
"""
from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from redis import Redis

from workflow_runtime.channels import onsite, presence
from workflow_runtime.channels.process import Process

_PREFIX = "automap:widget:contact:"


def notice_channel(contact_id: int) -> str:
    """The pub/sub channel of one contact's notices."""
    return f"{_PREFIX}{contact_id}"


def push(current: Process, messages: Mapping[int, Sequence[str]]) -> None:
    """After a batch committed: render its on-site messages (contact → idempotency keys) for the contacts
    on the site now and announce them."""
    connection = current.redis
    keys = [key for contact_id in presence.on_site(connection, messages, current.clock.now())
            for key in messages[contact_id]]
    if keys:
        with current.sessions() as session:
            news = onsite.recorded(session, keys)
        announce(connection, news)


def announce(connection: Redis, news: Mapping[int, Sequence[dict[str, Any]]]) -> None:
    """Publish each contact's new messages and replies, as its widget shows them (`onsite.pending`,
    `onsite.reply_view`), after the transaction that recorded them committed."""
    if not news:
        return
    pipe = connection.pipeline(transaction=False)
    for contact_id, messages in sorted(news.items()):
        pipe.publish(notice_channel(contact_id), json.dumps(messages))
    pipe.execute()


class ContactNotices:
    """One stream's subscription to the notices of the contact it follows (a context manager)."""

    def __init__(self, connection: Redis) -> None:
        self._pubsub = connection.pubsub(ignore_subscribe_messages=True)
        self.contact_id: int | None = None

    def follow(self, contact_id: int | None) -> None:
        """Listen to `contact_id` from now on (the visitor's contact can change when identify merges it)."""
        if contact_id == self.contact_id:
            return
        if self.contact_id is not None:
            self._pubsub.unsubscribe(notice_channel(self.contact_id))
        if contact_id is not None:
            self._pubsub.subscribe(notice_channel(contact_id))
        self.contact_id = contact_id

    def wait(self, timeout: float) -> list[dict[str, Any]] | None:
        """Block up to `timeout` seconds for a notice; the messages and replies it carried (with those of the
        notices queued behind it), or None if none came."""
        deadline = time.monotonic() + timeout
        if self.contact_id is None:
            time.sleep(max(timeout, 0.0))
            return None
        while (remaining := deadline - time.monotonic()) > 0:
            # get_message returns None early when it swallowed a subscribe confirmation: loop on.
            notice = self._pubsub.get_message(timeout=remaining)
            if notice is not None:
                messages: list[dict[str, Any]] = []
                while notice is not None:
                    messages += json.loads(notice["data"])
                    notice = self._pubsub.get_message(timeout=0)
                return messages
        return None

    def __enter__(self) -> ContactNotices:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._pubsub.close()
