"""Rebuilding Redis from the database: the wake-up set from `runs.wake_at`, the queue from unapplied events,
unfinished broadcasts and unfinished migrations.

Redis holds nothing the database does not, so flushing it, restarting it or losing a job loses
nothing: the scheduler reconciles everything at start and what is overdue every minute.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.dispatch.job_queue import JobQueue
from workflow_runtime.dispatch.wakeups import WakeupSet
from workflow_runtime.engine.broadcasts import idle_broadcasts
from workflow_runtime.engine.version_migration import idle_migrations
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import Run

_READ_CHUNK = 10_000


def reconcile_wakeups(session: Session, wakeups: WakeupSet, due_by: datetime | None = None) -> int:
    """Re-add unfinished runs' wake-ups from the database (all, or those due by `due_by`); returns how many.

    Runs already in the set just keep their score; runs a lost job dropped come back.
    """
    query = select(Run.id, Run.wake_at).where(Run.wake_at.is_not(None))  # only unfinished runs have one
    if due_by is not None:
        query = query.where(Run.wake_at <= due_by)
    added = 0
    pending: dict[int, datetime] = {}
    for run_id, wake_at in session.execute(query.execution_options(yield_per=_READ_CHUNK)):
        pending[run_id] = wake_at
        if len(pending) >= _READ_CHUNK:
            wakeups.mirror(pending)
            added += len(pending)
            pending = {}
    wakeups.mirror(pending)
    return added + len(pending)


def requeue_events(session: Session, jobs: JobQueue, received_before: datetime | None = None) -> int:
    """Queue again the events no job has applied yet (all, or those received before a time); returns how many.

    A `process_events` job lost with a killed worker or a flushed Redis leaves its events
    unapplied; queuing an event twice is harmless (the first job claims it).
    """
    event_ids = unapplied_events.event_ids(session, received_before=received_before)
    jobs.apply_events(event_ids)
    return len(event_ids)


def requeue_broadcasts(session: Session, jobs: JobQueue, idle_since: datetime | None = None) -> int:
    """Queue again the unfinished broadcasts untouched since `idle_since` (or all); returns how many.

    Their job was lost, or their flow was paused and is live again. A broadcast queued twice
    enrols each chunk once (engine.broadcasts moves its cursor only from the value it read).
    """
    return jobs.enrol_broadcasts(idle_broadcasts(session, idle_since))


def requeue_migrations(session: Session, jobs: JobQueue, idle_since: datetime | None = None) -> int:
    """Queue again the unfinished migrations untouched since `idle_since` (or all); returns how many.

    Their job was lost. A migration queued twice moves each chunk once (engine.version_migration moves its
    cursor only from the value it read, and moves only runs still waiting, under lock).
    """
    return jobs.migrate(idle_migrations(session, idle_since))
