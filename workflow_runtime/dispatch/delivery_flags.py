"""One flag per channel, set while a delivery job of that channel is queued and not started.

A burst of batches that all recorded emails then queues one `deliver_messages` job, not one each.
"""
from __future__ import annotations

from redis import Redis

DELIVERY_QUEUED_KEY = "automap:delivery-queued:{channel}"
DELIVERY_QUEUED_TTL = 300  # a lost job's flag lapses; the scheduler's sweep queues a new one


class DeliveryFlags:
    """Which channels have a delivery job waiting."""

    def __init__(self, connection: Redis) -> None:
        self.connection = connection

    def claim(self, channel: str) -> bool:
        """True if no job of the channel was waiting: the caller queues one."""
        return bool(self.connection.set(DELIVERY_QUEUED_KEY.format(channel=channel), 1, nx=True,
                                        ex=DELIVERY_QUEUED_TTL))

    def release(self, channel: str) -> None:
        """A delivery job has started: messages recorded from now on need another job."""
        self.connection.delete(DELIVERY_QUEUED_KEY.format(channel=channel))
