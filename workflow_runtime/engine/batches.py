"""Batches: advance many runs, or apply many events, in one transaction.

One RQ job handles a batch (RQ costs milliseconds per job; a step costs far less), and
everything a batch changes — runs, messages, counters — commits together.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.engine import failures, segments
from workflow_runtime.engine.chunk_events import ChunkEvents
from workflow_runtime.engine.chunk_statuses import ChunkStatuses
from workflow_runtime.engine.definition import load_definition
from workflow_runtime.engine.events import EVENT_COLUMNS, EventBatch, EventLike
from workflow_runtime.engine.interpreter import BatchEffects, OnSite, advance
from workflow_runtime.engine.live_flows import LiveFlows
from workflow_runtime.storage.bulk import Prepared
from workflow_runtime.storage.contact_rows import AnyContact
from workflow_runtime.storage.models import (
    UNFINISHED,
    Event,
    FailureKind,
    Flow,
    FlowStatus,
    Run,
    RunStatus,
    UnappliedEvent,
)
from workflow_runtime.storage.run_rows import RunRow, select_runs

# Runs are advanced in chunks of this many, and each chunk's writes are sent without waiting
# (write_behind): PostgreSQL stores one chunk while the worker advances the next.
WRITE_AHEAD_CHUNK = 100

_UNFINISHED_RUNS = Prepared(lambda in_list: select_runs().where(in_list(Run.id, "ids"), Run.status.in_(UNFINISHED))
                            .order_by(Run.id).with_for_update(skip_locked=True))
_UNAPPLIED_EVENTS = Prepared(lambda in_list: select(*EVENT_COLUMNS)
                             .join(UnappliedEvent, UnappliedEvent.event_id == Event.id)
                             .where(in_list(UnappliedEvent.event_id, "ids"))
                             .order_by(Event.timestamp, Event.id))


def advance_runs(session: Session, run_ids: Sequence[int], now: datetime, on_site: OnSite,
                 isolate: bool = False, live: LiveFlows | None = None) -> BatchEffects:
    """Advance those of `run_ids` that are due; rows another worker holds are skipped, not waited for.

    With `isolate`, a run whose step fails is parked `errored` where it failed, with its failure's
    record, and the rest commits (interpreter.advance; dispatch.jobs runs a failing batch so).
    `live`: which flows are live, if read already (see live_flows)."""
    effects = BatchEffects()
    due = [run for run in effects.runs.load(session, *_UNFINISHED_RUNS.bound(session, ids=run_ids)) if _is_due(run, now)]
    advance_all(session, due, now, effects, on_site, live_flows=None if live is None else live.flows, isolate=isolate)
    effects.flush(session)
    for run, error, where in effects.parked:
        failures.record(session, FailureKind.RUN, run.id, error, now, where)
    return effects


def _is_due(run: RunRow, now: datetime) -> bool:
    return run.status is RunStatus.ACTIVE or run.resume is not None or (run.wake_at is not None and run.wake_at <= now)


def process_events(session: Session, event_ids: Sequence[int], now: datetime, on_site: OnSite,
                   advance_runs: bool = True) -> BatchEffects:
    """Apply the events not applied yet, in time order, and advance the runs they wake or start.

    Set-based: the contacts are locked together, their runs read together, and each round
    of events (at most one per contact) is applied and advanced together; the runs are
    written once, at the end, as they ended up. Without `advance_runs`, the runs the events
    woke or started are left due (and their wake-ups due now) for advance_runs jobs: how an
    event whose batch failed is told apart from a run it woke that fails (dispatch.jobs).
    """
    effects = BatchEffects()
    events = session.connection().execute(*_UNAPPLIED_EVENTS.bound(session, ids=event_ids)).all()
    batch = EventBatch.open(session, events, now, effects)
    return _applied(session, batch, effects, now, on_site, advance_runs)


def apply_events(session: Session, events: Sequence[EventLike], now: datetime, on_site: OnSite,
                 advance_runs: bool = True, live: LiveFlows | None = None) -> BatchEffects:
    """process_events for stored events given as rows, in time order, that were never marked unapplied because no
    other worker can apply them (a forecast's replay, which keeps the events it has yet to apply itself).
    `live`: which flows are live, if read already (see live_flows)."""
    effects = BatchEffects()
    batch = EventBatch.open(session, events, now, effects, live, claim=False)
    return _applied(session, batch, effects, now, on_site, advance_runs)


def _applied(session: Session, batch: EventBatch | None, effects: BatchEffects, now: datetime, on_site: OnSite,
             advance_runs: bool) -> BatchEffects:
    """Apply an opened batch's events round by round (see process_events) and write what they did."""
    if batch is not None:
        for round_ in batch.rounds():
            runs = [run for event in round_ for run in batch.apply(event)]
            effects.runs.give_ids(session)  # the runs it started are INSERTed later, as they end up
            if advance_runs:
                advance_all(session, runs, now, effects, on_site, batch.contacts, batch.live_flows)
            else:
                effects.wakeups.update((run.id, now) for run in runs)
            batch.settle()  # goals of the runs the round woke, on the branch the event took them to
    effects.flush(session)
    return effects


def refresh_segments(session: Session, contact_ids: Sequence[int], now: datetime, on_site: OnSite) -> BatchEffects:
    """Re-check the tracked segments of these contacts and advance the runs that entering them started."""
    effects = BatchEffects()
    advance_all(session, segments.refresh_contacts(session, list(contact_ids), now, effects), now, effects, on_site)
    effects.flush(session)
    return effects


def advance_all(session: Session, runs: Iterable[RunRow], now: datetime, effects: BatchEffects, on_site: OnSite,
                contacts: dict[int, AnyContact] | None = None, live_flows: dict[int, bool] | None = None,
                isolate: bool = False) -> None:
    """Advance runs of live flows; runs of paused flows stay where they are until resumed.

    `contacts` and `live_flows` (flow id → live), when given, are used and filled in, so a
    batch that advances in rounds reads each contact and flow once. `isolate`: see advance_runs.
    The runs' conditions read the events of all their contacts together (ChunkEvents), once per
    event name and window, and their sends the statuses of all their messages (ChunkStatuses), once
    per channel, when the first of them asks.
    """
    runs = list(runs)
    if not runs:
        return
    live_flows = {} if live_flows is None else live_flows
    unknown = {run.flow_id for run in runs} - live_flows.keys()
    if unknown:
        query = select(Flow.id).where(Flow.id.in_(unknown), Flow.status == FlowStatus.LIVE)
        live = set(session.connection().scalars(query))
        live_flows.update((flow_id, flow_id in live) for flow_id in unknown)
    contacts = {} if contacts is None else contacts
    missing = {run.contact_id for run in runs} - contacts.keys()
    if missing:
        contacts.update(effects.contacts.load(session, missing))
    events = ChunkEvents(session, {run.contact_id for run in runs})
    statuses = ChunkStatuses(session, runs)
    for start in range(0, len(runs), WRITE_AHEAD_CHUNK):
        chunk = runs[start:start + WRITE_AHEAD_CHUNK]
        for run in chunk:
            if live_flows[run.flow_id] and run.status in UNFINISHED:
                advance(session, run, contacts[run.contact_id], load_definition(session, run.flow_version_id), now,
                        effects, on_site, isolate, events, statuses)
        effects.write_ahead(session, chunk)
