"""Telling connected widgets that their contact has new on-site messages: Redis pub/sub after commit.

The database stays the source of truth. A notice carries no content, only "contact N has
news"; the widget's stream then reads the ledger. A notice lost with Redis costs latency,
not messages: every stream re-reads the ledger on its heartbeat as well.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from types import TracebackType

from redis import Redis

# The channels the on-site widget shows; email goes through SMTP instead.
ONSITE_CHANNELS = frozenset({"chat", "popup"})
_PREFIX = "automap:widget:contact:"


def notice_channel(contact_id: int) -> str:
    """The pub/sub channel of one contact's notices."""
    return f"{_PREFIX}{contact_id}"


def announce(connection: Redis, contact_ids: Iterable[int]) -> None:
    """Publish one notice per contact (after the transaction that recorded their messages committed)."""
    ids = sorted(set(contact_ids))
    if not ids:
        return
    pipe = connection.pipeline(transaction=False)
    for contact_id in ids:
        pipe.publish(notice_channel(contact_id), "news")
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

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for a notice; True if one came. Notices already queued are
        drained, so a burst costs the stream one read of the ledger."""
        deadline = time.monotonic() + timeout
        if self.contact_id is None:
            time.sleep(timeout)
            return False
        while (remaining := deadline - time.monotonic()) > 0:
            # get_message returns None early when it swallowed a subscribe confirmation: loop on.
            if self._pubsub.get_message(timeout=remaining) is not None:
                while self._pubsub.get_message(timeout=0) is not None:
                    pass
                return True
        return False

    def __enter__(self) -> ContactNotices:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._pubsub.close()
