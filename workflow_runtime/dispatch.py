"""The Redis side: wake-ups in a sorted set, batch jobs on an RQ queue, and the reconciler.

Redis holds nothing the database does not: a sorted-set member (~120 bytes) mirrors
each run's `wake_at`, and `reconcile` rebuilds the set from the database after a
flush, a restart or a lost job; `requeue_events` does the same for events whose job
was lost.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from redis import Redis
from rq import Queue, Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime import unapplied_events
from workflow_runtime.models import Contact, Run

WAKEUPS_KEY = "automap:wakeups"
QUEUE_NAME = "automap"
# Set while a delivery job of the channel is queued and not started, so a burst of batches queues one job.
DELIVERY_QUEUED_KEY = "automap:delivery-queued:{channel}"
DELIVERY_QUEUED_TTL = 300  # a lost job's flag lapses; the scheduler's sweep queues a new one
# Ingested events waiting for a `process_pending_events` job, and the flag set while one is queued and not started.
PENDING_EVENTS_KEY = "automap:pending-events"
PENDING_EVENTS_QUEUED_KEY = "automap:pending-events-queued"
PENDING_EVENTS_QUEUED_TTL = 300  # a lost job's flag lapses; the reconciler re-queues its events meanwhile

# Take the due members and remove them in one step, so two schedulers never both enqueue a run.
_CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return ids
"""
_CLAIM_LIMIT = 5000  # members per script call: Lua's unpack() takes a few thousand arguments


def _chunks(items: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


class Dispatcher:
    """Mirrors wake-ups into Redis and turns due ones into batch jobs of `batch_size` runs."""

    def __init__(self, connection: Redis, batch_size: int = 500, queue_name: str = QUEUE_NAME) -> None:
        self.connection = connection
        self.batch_size = batch_size
        self.queue = Queue(queue_name, connection=connection)
        self._claim_due = connection.register_script(_CLAIM_DUE)

    def mirror(self, wakeups: Mapping[int, datetime]) -> None:
        """Record when each run is next due (after the transaction that decided it committed)."""
        items = list(wakeups.items())
        for start in range(0, len(items), 10_000):
            chunk = dict((str(run_id), at.timestamp()) for run_id, at in items[start:start + 10_000])
            self.connection.zadd(WAKEUPS_KEY, chunk)

    def enqueue_advance(self, run_ids: Sequence[int]) -> int:
        """Queue batch jobs advancing these runs; returns how many jobs."""
        return self._enqueue_batches("advance_runs", sorted(run_ids))

    def enqueue_events(self, event_ids: Sequence[int]) -> int:
        """Queue batch jobs applying these events; returns how many jobs."""
        return self._enqueue_batches("process_events", list(event_ids))

    def enqueue_ingested_events(self, event_ids: Sequence[int]) -> int:
        """Queue events from ingestion; returns how many jobs (0 or 1).

        The ids join one Redis list that `process_pending_events` jobs drain `batch_size`
        at a time, and a job is queued only if none is waiting: under load, the events of
        many requests are applied in full batches, not a small job per request (each job
        costs RQ a dozen Redis commands and the batch its fixed look-ups). A job lost with
        its worker leaves its events unapplied in the database, where the reconciler's
        `requeue_events` finds them.
        """
        if not event_ids:
            return 0
        self.connection.rpush(PENDING_EVENTS_KEY, *event_ids)
        return self._queue_pending_job()

    def take_pending_events(self) -> list[int]:
        """For a starting `process_pending_events` job: up to `batch_size` queued ids, oldest first.

        The queued flag goes in the same step, so events queued from now on get a job of their own.
        """
        pipeline = self.connection.pipeline()  # MULTI: nothing comes between the two
        pipeline.delete(PENDING_EVENTS_QUEUED_KEY)
        pipeline.lpop(PENDING_EVENTS_KEY, self.batch_size)
        _, ids = pipeline.execute()
        return [int(event_id) for event_id in ids or []]

    def more_pending_events(self) -> int:
        """After a job's batch: queue the next job if ids are still waiting; returns jobs queued (0 or 1)."""
        return self._queue_pending_job() if self.connection.llen(PENDING_EVENTS_KEY) else 0

    def _queue_pending_job(self) -> int:
        from workflow_runtime import jobs

        if not self.connection.set(PENDING_EVENTS_QUEUED_KEY, 1, nx=True, ex=PENDING_EVENTS_QUEUED_TTL):
            return 0
        self.queue.enqueue(jobs.process_pending_events, retry=Retry(max=3), result_ttl=0)
        return 1

    def enqueue_segment_refresh(self, contact_ids: Sequence[int]) -> int:
        """Queue jobs re-checking these contacts' tracked segments (their traits changed); returns jobs."""
        return self._enqueue_batches("refresh_segments", sorted(contact_ids))

    def enqueue_segment_sweep(self, session: Session) -> int:
        """Queue jobs re-checking every contact's tracked segments, if any live flow starts on one."""
        from workflow_runtime.segments import live_segment_triggers

        if not live_segment_triggers(session):
            return 0
        contact_ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
        return self._enqueue_batches("refresh_segments", contact_ids)

    def enqueue_delivery(self, channels: Iterable[str]) -> int:
        """Queue a `deliver_messages` job per channel unless one is already waiting; returns how many."""
        from workflow_runtime import jobs

        queued = 0
        for channel in sorted(set(channels)):
            if self.connection.set(DELIVERY_QUEUED_KEY.format(channel=channel), 1, nx=True, ex=DELIVERY_QUEUED_TTL):
                self.queue.enqueue(jobs.deliver_messages, channel, result_ttl=0)
                queued += 1
        return queued

    def delivery_started(self, channel: str) -> None:
        """A delivery job has started: messages recorded from now on need another job."""
        self.connection.delete(DELIVERY_QUEUED_KEY.format(channel=channel))

    def _enqueue_batches(self, job_name: str, ids: Sequence[int]) -> int:
        """One job of `batch_size` ids at a time; retried at once on failure, result not kept.

        Retries carry no interval: RQ would need its own scheduler, a forked process that
        inherits the worker's database connections. A job that keeps failing is left to
        the reconciler, which re-queues its runs and events after the grace period.
        """
        from workflow_runtime import jobs

        function = getattr(jobs, job_name)
        batches = list(_chunks(ids, self.batch_size))
        for batch in batches:
            self.queue.enqueue(function, batch, retry=Retry(max=3), result_ttl=0)
        return len(batches)

    def tick(self, now: datetime) -> int:
        """Claim every run due by `now` and queue it in batches; returns how many runs."""
        claimed = 0
        while True:
            ids = [int(member) for member in self._claim_due(keys=[WAKEUPS_KEY], args=[now.timestamp(), _CLAIM_LIMIT])]
            if not ids:
                return claimed
            self.enqueue_advance(ids)
            claimed += len(ids)

    def reconcile(self, session: Session, due_by: datetime | None = None) -> int:
        """Re-add unfinished runs' wake-ups from the database (all, or those due by `due_by`).

        Runs already in the set just keep their score; runs a lost job dropped come back.
        """
        query = select(Run.id, Run.wake_at).where(Run.wake_at.is_not(None))  # only unfinished runs have one
        if due_by is not None:
            query = query.where(Run.wake_at <= due_by)
        added = 0
        pending: dict[int, datetime] = {}
        for run_id, wake_at in session.execute(query.execution_options(yield_per=10_000)):
            pending[run_id] = wake_at
            if len(pending) >= 10_000:
                self.mirror(pending)
                added += len(pending)
                pending = {}
        self.mirror(pending)
        return added + len(pending)

    def requeue_events(self, session: Session, received_before: datetime | None = None) -> int:
        """Queue again the events no job has applied yet (all, or those received before a time).

        A `process_events` job lost with a killed worker or a flushed Redis leaves its
        events unapplied; queuing an event twice is harmless (the first job claims it).
        """
        event_ids = unapplied_events.event_ids(session, received_before=received_before)
        self.enqueue_events(event_ids)
        return len(event_ids)

    def waiting_count(self) -> int:
        """How many wake-ups the sorted set holds."""
        return int(self.connection.zcard(WAKEUPS_KEY))
