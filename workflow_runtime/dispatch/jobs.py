"""RQ entry points: thin, id-only, idempotent. A retried or duplicated job changes nothing twice."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from workflow_runtime.channels import delivered_channels, deliverer_for, onsite_push, presence
from workflow_runtime.dispatch import runtime
from workflow_runtime.engine import batches
from workflow_runtime.engine.interpreter import BatchEffects, OnSite
from workflow_runtime.storage.models import Channel


def advance_runs(run_ids: Sequence[int]) -> int:
    """Advance the due runs among `run_ids`; returns the steps taken."""
    return _run_batch(batches.advance_runs, run_ids)


def process_events(event_ids: Sequence[int]) -> int:
    """Apply the events (goals, exit rules, wake-ups, enrolment) and advance what they touched; returns steps."""
    return _run_batch(batches.process_events, event_ids)


def process_pending_events() -> int:
    """Apply the next `batch_size` events ingestion queued (`JobQueue.apply_ingested_events`); returns steps.

    A batch that fails becomes an ordinary `process_events` job, retried as any other
    (and then left to the reconciler), so one bad batch cannot hold up the list.
    """
    jobs = runtime.current().jobs
    event_ids = jobs.pending_events.take()
    steps = 0
    try:
        steps = _run_batch(batches.process_events, event_ids) if event_ids else 0
    except Exception:  # noqa: BLE001 - the failure is the process_events job's to retry and to report
        jobs.apply_events(event_ids)
    jobs.more_pending_events()
    return steps


def refresh_segments(contact_ids: Sequence[int]) -> int:
    """Re-check tracked segment memberships for these contacts (the periodic sweep); returns steps."""
    return _run_batch(batches.refresh_segments, contact_ids)


def deliver_messages(channel: str) -> int:
    """Deliver the channel's due messages; each is claimed under a lease, so parallel jobs share the work."""
    current = runtime.current()
    current.jobs.delivery_flags.release(channel)
    deliverer = deliverer_for(Channel(channel), current.email, current.sessions, current.clock)
    return deliverer.deliver_due() if deliverer is not None else 0


def _run_batch(work: Callable[[Session, Sequence[int], datetime, OnSite], BatchEffects], ids: Sequence[int]) -> int:
    """One transaction for the batch; only once it committed are wake-ups mirrored into Redis, the
    messages it recorded queued for delivery, and its chat messages and popups pushed to their contacts'
    open widgets."""
    current = runtime.current()
    with current.sessions.begin() as session:
        effects = work(session, ids, current.clock.now(), partial(presence.is_on_site, current.redis))
    current.wakeups.mirror(effects.wakeups)
    if effects.sent_channels:
        current.jobs.deliver(effects.sent_channels & delivered_channels(current.email))
    onsite_push.push(current, effects.onsite_messages)
    return effects.steps
