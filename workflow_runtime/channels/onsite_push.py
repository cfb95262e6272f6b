"""Pushing new on-site messages and replies to the contacts' open widgets: Redis pub/sub after commit.

A job that recorded chat messages or popups publishes them, rendered as the widget shows
them (`onsite.recorded`), on the channel of each contact that has a widget open
(`presence`) once it committed; an email answer to a chat is published the same way
(`inbound_email`). The widget's streams (asyncio, one `notice_hub.NoticeHub` subscription per process) pass them straight
on, without reading the database. Contacts with no widget open cost one Redis round trip a batch. The database
stays the source of truth: a stream reads the ledger when it opens and on every heartbeat,
so a notice lost with Redis costs latency, not messages, and an item both read and pushed
is sent once.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from workflow_runtime.channels import onsite, presence, team_push
from workflow_runtime.channels.notice_hub import NoticeHub
from workflow_runtime.channels.process import Process

_PREFIX = "automap:widget:contact:"
logger = logging.getLogger(__name__)


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


def contact_wrote(current: Process, written: onsite.ContactMessage) -> None:
    """After the commit of what a contact wrote (in the widget, or by email): show it in the contact's other open
    widgets, tell the team's inboxes, and hand the events it recorded (`conversation_started`) to the runtime."""
    try:
        current.jobs.apply_ingested_events(written.event_ids)
        announce(current.redis, {written.reply.contact_id: [written.view]})
        team_push.announce(current.redis, [written.notice])
    except RedisError:  # stored all the same: streams re-read the database, the reconciler finds the events
        logger.warning("contact %s wrote; the pushes are lost (Redis)", written.reply.contact_id, exc_info=True)


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
    """One stream's view of the hub: the notices of the contact it follows (an async context manager)."""

    def __init__(self, hub: NoticeHub) -> None:
        self._hub = hub
        self._inbox: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        self.contact_id: int | None = None

    async def follow(self, contact_id: int | None) -> None:
        """Listen to `contact_id` from now on (the visitor's contact can change when identify merges it)."""
        if contact_id == self.contact_id:
            return
        self._leave()
        if contact_id is not None:
            await self._hub.follow(self._inbox, notice_channel(contact_id))
        self.contact_id = contact_id

    def _leave(self) -> None:
        if self.contact_id is not None:
            self._hub.unfollow(self._inbox, notice_channel(self.contact_id))
            self.contact_id = None

    async def wait(self, timeout: float) -> list[dict[str, Any]] | None:
        """Wait up to `timeout` seconds for a notice; the messages and replies it carried (with those of the
        notices queued behind it), or None if none came."""
        try:
            messages = await asyncio.wait_for(self._inbox.get(), timeout=max(timeout, 0.0))
        except TimeoutError:
            return None
        while not self._inbox.empty():
            messages += self._inbox.get_nowait()
        return messages

    async def __aenter__(self) -> ContactNotices:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        self._leave()
