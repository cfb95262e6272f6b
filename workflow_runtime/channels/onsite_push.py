"""Pushing new on-site messages and replies to the contacts' open widgets: Redis pub/sub after commit.

A job that recorded chat messages or popups publishes them, rendered as the widget shows
them (`onsite.recorded`), on the channel of each contact that has a widget open
(`presence`) once it committed; an email answer to a chat is published the same way
(`inbound_email`). The widget's streams (asyncio, one `NoticeHub` subscription per process) pass them straight
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
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from workflow_runtime.channels import onsite, presence
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


def announce(connection: Redis, news: Mapping[int, Sequence[dict[str, Any]]]) -> None:
    """Publish each contact's new messages and replies, as its widget shows them (`onsite.pending`,
    `onsite.reply_view`), after the transaction that recorded them committed."""
    if not news:
        return
    pipe = connection.pipeline(transaction=False)
    for contact_id, messages in sorted(news.items()):
        pipe.publish(notice_channel(contact_id), json.dumps(messages))
    pipe.execute()


class NoticeHub:
    """One process's subscription to the notices of every contact its widget streams follow: one Redis
    connection for them all (asyncio), each notice handed to the streams that follow its contact.

    A connection per stream would cap a process at the Redis client's pool (and the server's
    `maxclients`) long before its sockets run out; here a thousand streams cost one. Leaving is
    synchronous, so a stream cancelled by its closed tab still leaves; the reader unsubscribes
    from the channels nobody follows any more."""

    def __init__(self, connection: AsyncRedis) -> None:
        self._pubsub = connection.pubsub(ignore_subscribe_messages=True)
        self._followers: dict[str, set[asyncio.Queue[list[dict[str, Any]]]]] = {}
        self._unfollowed: set[str] = set()  # channels still subscribed that nobody follows
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def follow(self, inbox: asyncio.Queue[list[dict[str, Any]]], contact_id: int) -> None:
        """Put the contact's notices in `inbox` from now on."""
        channel = notice_channel(contact_id)
        async with self._lock:
            if channel not in self._followers:
                self._followers[channel] = set()
                if channel in self._unfollowed:
                    self._unfollowed.discard(channel)
                else:
                    await self._pubsub.subscribe(channel)
            self._followers[channel].add(inbox)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read())

    def unfollow(self, inbox: asyncio.Queue[list[dict[str, Any]]], contact_id: int) -> None:
        """Stop putting the contact's notices in `inbox`."""
        channel = notice_channel(contact_id)
        inboxes = self._followers.get(channel)
        if inboxes is None:
            return
        inboxes.discard(inbox)
        if not inboxes:
            del self._followers[channel]
            self._unfollowed.add(channel)

    async def _read(self) -> None:
        """Hand each notice to its contact's followers while any contact is followed; Redis errors cost
        pushes (the streams' heartbeats read the ledger), never the reader."""
        while True:
            try:
                async with self._lock:
                    if self._unfollowed:
                        await self._pubsub.unsubscribe(*self._unfollowed)
                        self._unfollowed.clear()
                    if not self._followers:
                        self._reader = None
                        return
                notice = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError):
                logger.warning("widget notices: Redis failed; retrying in a second", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            if notice is not None:
                channel = notice["channel"]
                messages = json.loads(notice["data"])
                for inbox in self._followers.get(channel.decode() if isinstance(channel, bytes) else channel, ()):
                    inbox.put_nowait(messages)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._pubsub.aclose()


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
            await self._hub.follow(self._inbox, contact_id)
        self.contact_id = contact_id

    def _leave(self) -> None:
        if self.contact_id is not None:
            self._hub.unfollow(self._inbox, self.contact_id)
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
