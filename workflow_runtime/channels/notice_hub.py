"""One process's Redis pub/sub subscription, shared by all of its streams (widgets' and inboxes').

A connection per stream would cap a process at the Redis client's pool (and the server's
`maxclients`) long before its sockets run out; here a thousand streams cost one.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class NoticeHub:
    """One process's subscription to the channels its streams follow (each widget stream its contact's, each
    inbox stream the team's): one Redis connection for them all (asyncio), each notice handed to the streams
    that follow its channel.

    A connection per stream would cap a process at the Redis client's pool (and the server's
    `maxclients`) long before its sockets run out; here a thousand streams cost one. Leaving is
    synchronous, so a stream cancelled by its closed tab still leaves; the reader unsubscribes
    from the channels nobody follows any more."""

    def __init__(self, connection: AsyncRedis) -> None:
        self._pubsub = connection.pubsub(ignore_subscribe_messages=True)
        self._followers: dict[str, set[asyncio.Queue[Any]]] = {}
        self._unfollowed: set[str] = set()  # channels still subscribed that nobody follows
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def follow(self, inbox: asyncio.Queue[Any], channel: str) -> None:
        """Put the channel's notices (decoded JSON) in `inbox` from now on."""
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

    def unfollow(self, inbox: asyncio.Queue[Any], channel: str) -> None:
        """Stop putting the channel's notices in `inbox`."""
        inboxes = self._followers.get(channel)
        if inboxes is None:
            return
        inboxes.discard(inbox)
        if not inboxes:
            del self._followers[channel]
            self._unfollowed.add(channel)

    async def _read(self) -> None:
        """Hand each notice to its channel's followers while any channel is followed; Redis errors cost
        pushes (the streams' heartbeats read the database), never the reader."""
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
                logger.warning("stream notices: Redis failed; retrying in a second", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            if notice is not None:
                channel = notice["channel"]
                data = json.loads(notice["data"])
                for inbox in self._followers.get(channel.decode() if isinstance(channel, bytes) else channel, ()):
                    inbox.put_nowait(data)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._pubsub.aclose()
