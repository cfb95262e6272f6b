"""RQ entry points: thin, id-only, idempotent. A retried or duplicated job changes nothing twice."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session

from workflow_runtime.channels import delivered_channels, deliverer_for, onsite_push, presence, team_push
from workflow_runtime.dispatch import runtime
from workflow_runtime.engine import batches, broadcasts, failures, version_migration
from workflow_runtime.engine.interpreter import BatchEffects, OnSite
from workflow_runtime.storage.models import Channel, FailureKind

Batch = Callable[[Session, Sequence[int], datetime, OnSite], BatchEffects]
Chunk = TypeVar("Chunk")
log = logging.getLogger(__name__)


def advance_runs(run_ids: Sequence[int]) -> int:
    """Advance the due runs among `run_ids`; returns the steps taken."""
    return _isolating(batches.advance_runs, run_ids, FailureKind.RUN)


def process_events(event_ids: Sequence[int]) -> int:
    """Apply the events (goals, exit rules, wake-ups, enrolment) and advance what they touched; returns steps."""
    return _isolating(batches.process_events, event_ids, FailureKind.EVENT)


def process_pending_events() -> int:
    """Apply the next `batch_size` events ingestion queued (`JobQueue.apply_ingested_events`); returns steps.

    What fails alone is quarantined by process_events; a batch that fails whole (a server is down)
    becomes an ordinary `process_events` job, retried as any other (and then left to the reconciler),
    so it cannot hold up the list.
    """
    jobs = runtime.current().jobs
    event_ids = jobs.pending_events.take()
    steps = 0
    try:
        steps = process_events(event_ids) if event_ids else 0
    except Exception:  # noqa: BLE001 - a server is down (process_events isolates the rest): its job retries them
        jobs.apply_events(event_ids)
    jobs.more_pending_events()
    return steps


def refresh_segments(contact_ids: Sequence[int]) -> int:
    """Re-check tracked segment memberships for these contacts (the periodic sweep); returns steps."""
    return _isolating(batches.refresh_segments, contact_ids, FailureKind.SEGMENT_CHECK)


def deliver_messages(channel: str) -> int:
    """Deliver the channel's due messages; each is claimed under a lease, so parallel jobs share the work."""
    current = runtime.current()
    current.jobs.delivery_flags.release(channel)
    deliverer = deliverer_for(Channel(channel), current.email, current.sessions, current.clock,
                              wake=current.wakeups.mirror)
    return deliverer.deliver_due() if deliverer is not None else 0


def enrol_broadcast(broadcast_id: int) -> int:
    """Enrol the broadcast's next chunk, queue the runs it started and then the next chunk; returns runs started.

    A chunk that fails for a reason of its own fails the broadcast with the reason (the runs already started
    go on); a server that is down fails the job, for RQ and then the reconciler to retry.
    """
    chunk = _next_chunk("broadcast", broadcast_id, broadcasts.enrol_next_chunk, broadcasts.fail)
    if chunk is None:
        return 0
    current = runtime.current()
    current.jobs.advance(chunk.run_ids)
    if chunk.more:
        current.jobs.enrol_broadcasts([broadcast_id])
    return len(chunk.run_ids)


def migrate_runs(migration_id: int) -> int:
    """Move the migration's next chunk of waiting runs to its version, mirror their wake-ups and queue the next
    chunk; returns the runs moved or exited.

    As for a broadcast, a chunk that fails for a reason of its own fails the migration with the reason (the runs
    already moved stay moved); a server that is down fails the job, for RQ and then the reconciler to retry.
    """
    chunk = _next_chunk("migration", migration_id, version_migration.migrate_next_chunk, version_migration.fail)
    if chunk is None:
        return 0
    current = runtime.current()
    current.wakeups.mirror(chunk.wakeups)
    if chunk.more:
        current.jobs.migrate([migration_id])
    return chunk.ended


def _next_chunk(what: str, item_id: int, take: Callable[[Session, int, datetime, datetime, int], Chunk],
                fail: Callable[[Session, int, str, datetime, datetime], None]) -> Chunk | None:
    """The next chunk of a job done a chunk at a time (a broadcast's, a migration's), taken in its own transaction;
    None when it failed for a reason of its own, which `fail` records on the item. A server that is down raises."""
    current = runtime.current()
    try:
        with current.sessions.begin() as session:
            return take(session, item_id, current.clock.now(), datetime.now(UTC), current.jobs.batch_size)
    except Exception as error:
        if failures.find_outage(error):
            raise
        log.exception("%s %s failed", what, item_id)
        with current.sessions.begin() as session:
            fail(session, item_id, failures.describe(error), current.clock.now(), datetime.now(UTC))
        return None


def _isolating(work: Batch, ids: Sequence[int], kind: FailureKind) -> int:
    """Run the batch; if it fails for a reason of its own, find what fails alone and park it, so the rest goes on.

    A server that is down (engine.failures.find_outage) fails the job, for RQ and then the reconciler to retry
    it whole. Any other error is the batch's: it is rolled back and split in halves, each run
    the same way, until one item fails alone. That item is parked with its traceback and never
    queued again by itself (engine.failures); every other item commits. The split costs nothing
    until a batch fails, and about two batches' work per bad item when one does.

    Alone, a run is advanced again with its steps isolated, so it is parked `errored` at the node
    whose step failed; an event is applied again without advancing the runs it wakes or starts
    (if that commits, the fault was in a run, which its own advance_runs job isolates). What
    still fails is parked as the database has it: the run where it was, the event quarantined.
    """
    try:
        return _run_batch(work, ids)
    except Exception as error:
        if failures.find_outage(error):
            raise  # for RQ, then the reconciler, to retry whole
        if len(ids) > 1:
            middle = len(ids) // 2
            return _isolating(work, ids[:middle], kind) + _isolating(work, ids[middle:], kind)
        culprit = error
    alone = {FailureKind.RUN: partial(batches.advance_runs, isolate=True),
             FailureKind.EVENT: partial(batches.process_events, advance_runs=False)}.get(kind)
    if alone is not None:
        try:
            return _run_batch(alone, ids)
        except Exception as error:
            if failures.find_outage(error):
                raise
            culprit = error  # its own fault, outside any one step
    _park(kind, ids[0], culprit)
    return 0


def _park(kind: FailureKind, item_id: int, error: Exception) -> None:
    current = runtime.current()
    log.warning("%s %s failed alone and is quarantined: %s", kind.value, item_id, failures.describe(error))
    with current.sessions.begin() as session:
        failures.park(session, kind, item_id, error, current.clock.now())


def _run_batch(work: Batch, ids: Sequence[int]) -> int:
    """One transaction for the batch; only once it committed are wake-ups mirrored into Redis, the
    messages it recorded queued for delivery, its chat messages and popups pushed to their contacts'
    open widgets, the conversations it changed announced to the team's inboxes and the events they recorded
    queued."""
    current = runtime.current()
    with current.sessions.begin() as session:
        effects = work(session, ids, current.clock.now(), partial(presence.is_on_site, current.redis))
    current.wakeups.mirror(effects.wakeups)
    if effects.sent_channels:
        current.jobs.deliver(effects.sent_channels & delivered_channels(current.email))
    current.jobs.apply_ingested_events(effects.conversation_events)
    onsite_push.push(current, effects.onsite_messages)
    team_push.push_changed(current, effects.conversations)
    return effects.steps
