"""Ingested events waiting for a `process_pending_events` job: a Redis list, and a flag while a job is queued.

Under load the events of many requests are applied in full batches, not a small job per
request (each job costs RQ a dozen Redis commands and the batch its fixed look-ups). A job
lost with its worker leaves its events unapplied in the database, where the reconciler finds them.
"""
from __future__ import annotations

from collections.abc import Sequence

from redis import Redis

PENDING_EVENTS_KEY = "automap:pending-events"
PENDING_EVENTS_QUEUED_KEY = "automap:pending-events-queued"
PENDING_EVENTS_QUEUED_TTL = 300  # a lost job's flag lapses; the reconciler re-queues its events meanwhile


class PendingEvents:
    """The list of event ids to apply, drained `batch_size` at a time."""

    def __init__(self, connection: Redis, batch_size: int) -> None:
        self.connection = connection
        self.batch_size = batch_size

    def add(self, event_ids: Sequence[int]) -> None:
        """Put ingested event ids at the end of the list."""
        if event_ids:
            self.connection.rpush(PENDING_EVENTS_KEY, *event_ids)

    def claim_job(self, *, only_if_waiting: bool = False) -> bool:
        """True if the caller should queue a job: none is queued yet (and, with `only_if_waiting`, ids wait)."""
        if only_if_waiting and not self.connection.llen(PENDING_EVENTS_KEY):
            return False
        return bool(self.connection.set(PENDING_EVENTS_QUEUED_KEY, 1, nx=True, ex=PENDING_EVENTS_QUEUED_TTL))

    def take(self) -> list[int]:
        """For a starting job: up to `batch_size` queued ids, oldest first.

        The queued flag goes in the same step, so events queued from now on get a job of their own.
        """
        pipeline = self.connection.pipeline()  # MULTI: nothing comes between the two
        pipeline.delete(PENDING_EVENTS_QUEUED_KEY)
        pipeline.lpop(PENDING_EVENTS_KEY, self.batch_size)
        _, ids = pipeline.execute()
        return [int(event_id) for event_id in ids or []]
