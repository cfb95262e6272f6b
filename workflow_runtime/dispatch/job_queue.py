"""The RQ queue of batch jobs: what to advance, apply, re-check, deliver or enrol, `batch_size` ids a job.

Jobs are named by import path: RQ imports them in the worker, so a process that only queues
work (the API) never loads the engine or the channels. `tests/workflow_runtime/test_job_queue.py`
checks that every name resolves to a function of `jobs`.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from redis import Redis
from rq import Queue, Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.dispatch.delivery_flags import DeliveryFlags
from workflow_runtime.dispatch.pending_events import PendingEvents
from workflow_runtime.engine.segments import live_segment_triggers, membership_changes
from workflow_runtime.storage.models import Contact

QUEUE_NAME = "automap"
ADVANCE_RUNS = "workflow_runtime.dispatch.jobs.advance_runs"
PROCESS_EVENTS = "workflow_runtime.dispatch.jobs.process_events"
PROCESS_PENDING_EVENTS = "workflow_runtime.dispatch.jobs.process_pending_events"
REFRESH_SEGMENTS = "workflow_runtime.dispatch.jobs.refresh_segments"
DELIVER_MESSAGES = "workflow_runtime.dispatch.jobs.deliver_messages"
ENROL_BROADCAST = "workflow_runtime.dispatch.jobs.enrol_broadcast"
MIGRATE_RUNS = "workflow_runtime.dispatch.jobs.migrate_runs"
JOB_NAMES = (ADVANCE_RUNS, PROCESS_EVENTS, PROCESS_PENDING_EVENTS, REFRESH_SEGMENTS, DELIVER_MESSAGES, ENROL_BROADCAST,
             MIGRATE_RUNS)


class JobQueue:
    """Queues batch jobs of `batch_size` ids; a failed job is retried at once, its result not kept.

    Retries carry no interval: RQ would need its own scheduler, a forked process that inherits
    the worker's database connections. A job that keeps failing is left to the reconciler, which
    re-queues its runs and events after the grace period.
    """

    def __init__(self, connection: Redis, batch_size: int = 500, name: str = QUEUE_NAME) -> None:
        self.connection = connection
        self.batch_size = batch_size
        self.queue = Queue(name, connection=connection)
        self.pending_events = PendingEvents(connection, batch_size)
        self.delivery_flags = DeliveryFlags(connection)

    def advance(self, run_ids: Sequence[int]) -> int:
        """Queue jobs advancing these runs; returns how many jobs."""
        return self._enqueue_batches(ADVANCE_RUNS, sorted(run_ids))

    def apply_events(self, event_ids: Sequence[int]) -> int:
        """Queue jobs applying these events; returns how many jobs."""
        return self._enqueue_batches(PROCESS_EVENTS, list(event_ids))

    def apply_ingested_events(self, event_ids: Sequence[int]) -> int:
        """Queue events from ingestion on the pending list; returns how many jobs that took (0 or 1)."""
        if not event_ids:
            return 0
        self.pending_events.add(event_ids)
        return self._queue_pending_job(only_if_waiting=False)

    def more_pending_events(self) -> int:
        """After a pending-events job's batch: queue the next job if ids still wait; returns jobs (0 or 1)."""
        return self._queue_pending_job(only_if_waiting=True)

    def _queue_pending_job(self, *, only_if_waiting: bool) -> int:
        if not self.pending_events.claim_job(only_if_waiting=only_if_waiting):
            return 0
        self.queue.enqueue(PROCESS_PENDING_EVENTS, retry=Retry(max=3), result_ttl=0)
        return 1

    def refresh_segments(self, contact_ids: Sequence[int]) -> int:
        """Queue jobs re-checking these contacts' tracked segments (their traits changed); returns jobs."""
        return self._enqueue_batches(REFRESH_SEGMENTS, sorted(contact_ids))

    def refresh_all_segments(self, session: Session, now: datetime) -> int:
        """Queue jobs re-checking the tracked segments of the contacts whose memberships would change at `now` (all
        contacts when SQL cannot tell), if any live flow starts on a segment."""
        triggers = live_segment_triggers(session)
        if not triggers:
            return 0
        contact_ids = membership_changes(session, now, triggers)
        if contact_ids is None:
            contact_ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
        return self._enqueue_batches(REFRESH_SEGMENTS, contact_ids)

    def deliver(self, channels: Iterable[str]) -> int:
        """Queue a `deliver_messages` job per channel unless one is already waiting; returns how many."""
        queued = 0
        for channel in sorted(set(channels)):
            if self.delivery_flags.claim(channel):
                self.queue.enqueue(DELIVER_MESSAGES, channel, result_ttl=0)
                queued += 1
        return queued

    def enrol_broadcasts(self, broadcast_ids: Iterable[int]) -> int:
        """Queue a job enrolling the next chunk of each broadcast (each chunk queues the next); returns how many."""
        queued = 0
        for broadcast_id in broadcast_ids:
            self.queue.enqueue(ENROL_BROADCAST, broadcast_id, retry=Retry(max=3), result_ttl=0)
            queued += 1
        return queued

    def migrate(self, migration_ids: Iterable[int]) -> int:
        """Queue a job moving the next chunk of each migration's waiting runs (each chunk queues the next); returns
        how many."""
        queued = 0
        for migration_id in migration_ids:
            self.queue.enqueue(MIGRATE_RUNS, migration_id, retry=Retry(max=3), result_ttl=0)
            queued += 1
        return queued

    def _enqueue_batches(self, job: str, ids: Sequence[int]) -> int:
        batches = [list(ids[start:start + self.batch_size]) for start in range(0, len(ids), self.batch_size)]
        for batch in batches:
            self.queue.enqueue(job, batch, retry=Retry(max=3), result_ttl=0)
        return len(batches)
