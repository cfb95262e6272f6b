"""Broadcasts: entering a segment's members, or contacts chosen by id, at a flow's manual trigger.

Asking for one (`start_broadcast`) records it and checks only what can be refused at once;
jobs then call `enrol_next_chunk` until it is done. A chunk is the next `size` contacts
(500 unless the job queue's batch size says otherwise) after the broadcast's cursor, in id
order, up to the highest id that existed when it was asked for. A segment's members are
decided as their chunk is reached, so the audience is the segment as it stands while it is
sent, not a list copied into the database: a chunk is the next `size` members, selected in
SQL by the compiled condition (engine.filter_sql), so a small segment of a large base costs
a query per chunk of members, not a Python check of every contact; a condition SQL cannot
decide exactly is checked by the evaluator a chunk of contacts at a time (engine.chunk_subject).
The chunk's contacts are locked, its runs started and the cursor moved on in one transaction,
and the cursor only moves from the value the chunk read, so a job repeated or lost with its
worker enrols no one twice.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from workflow_runtime.engine.chunk_subject import matching
from workflow_runtime.engine.definition import FlowDefinition, NodeSpec, load_definition
from workflow_runtime.engine.enrolment import start_run
from workflow_runtime.engine.events import RunHistory
from workflow_runtime.engine.filter_sql import NotCompilable, compile_where
from workflow_runtime.engine.filters import compile_condition
from workflow_runtime.engine.interpreter import BatchEffects
from workflow_runtime.engine.lifecycle import LifecycleError
from workflow_runtime.storage.bulk import any_of
from workflow_runtime.storage.models import (
    UNFINISHED,
    UNFINISHED_BROADCASTS,
    Broadcast,
    BroadcastStatus,
    Contact,
    Flow,
    FlowStatus,
    Run,
    Segment,
)
from workflow_runtime.storage.run_rows import RunRow, select_runs

CHUNK = 500


@dataclass(frozen=True)
class Chunk:
    """What one call did: the runs it started (to queue) and whether the broadcast needs another call."""

    run_ids: list[int]
    more: bool


def manual_trigger(session: Session, flow: Flow) -> tuple[FlowDefinition, NodeSpec]:
    """The flow's live version and its manual trigger, where contacts are enrolled by hand.

    Raises:
        LifecycleError: the flow is not live, or its live version has no manual trigger.
    """
    if flow.status is not FlowStatus.LIVE or flow.live_version_id is None:
        raise LifecycleError(f"flow {flow.id} is {flow.status.value}: publish it before enrolling contacts")
    definition = load_definition(session, flow.live_version_id)
    manual = [node for node in definition.triggers() if node.config.get("on") == "manual"]
    if not manual:
        raise LifecycleError(f"flow {flow.id} has no manual trigger: add a Trigger with 'Start when: manual'")
    return definition, manual[0]


def start_broadcast(session: Session, flow: Flow, now: datetime, wall_now: datetime, *,
                    segment: Segment | None = None, contact_ids: Iterable[int] = ()) -> Broadcast:
    """Record a broadcast of the segment (or of `contact_ids`) into the flow, for jobs to enrol; flushed, so it has
    its id.

    Raises:
        LifecycleError: the flow cannot take contacts now (manual_trigger).
        ValueError: the segment's filter is not valid.
    """
    manual_trigger(session, flow)
    if segment is not None:
        compile_condition(segment.filter)
        through = session.scalar(select(func.max(Contact.id))) or 0
        to_scan = session.scalar(select(func.count()).where(Contact.id <= through)) or 0
        ids = None
    else:
        ids = sorted(set(contact_ids))
        through, to_scan = (ids[-1] if ids else 0), len(ids)
    broadcast = Broadcast(flow_id=flow.id, segment_id=segment.id if segment else None,
                          segment_name=segment.name if segment else None, contact_ids=ids,
                          status=BroadcastStatus.QUEUED, scan_through=through, cursor=0, to_scan=to_scan,
                          scanned=0, audience=0, enrolled=0, created_at=now, touched_at=wall_now)
    session.add(broadcast)
    session.flush()
    return broadcast


def enrol_next_chunk(session: Session, broadcast_id: int, now: datetime, wall_now: datetime,
                     size: int = CHUNK) -> Chunk:
    """Enrol the broadcast's next `size` contacts; commit the session after it.

    A broadcast whose flow is paused waits (nothing is done; the reconciler asks again); one whose
    flow was archived or lost its manual trigger, or whose segment was deleted, fails with the reason.
    """
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status not in UNFINISHED_BROADCASTS:
        return Chunk([], more=False)
    flow = session.get(Flow, broadcast.flow_id)
    if flow.status is FlowStatus.PAUSED:
        return Chunk([], more=False)
    try:
        definition, trigger = manual_trigger(session, flow)
        audience, cursor, examined = _next_chunk(session, broadcast, size, now)
    except (LifecycleError, ValueError) as error:
        _finish(broadcast, BroadcastStatus.FAILED, now, wall_now, str(error))
        return Chunk([], more=False)
    moved = session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.cursor == broadcast.cursor)
        .values(cursor=cursor)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        return Chunk([], more=False)  # another job took this chunk: it commits it and queues the next
    run_ids = enrol_contacts(session, definition, trigger, audience, now, {"manual": True, "broadcast": broadcast.id})
    broadcast.cursor = cursor
    broadcast.scanned += examined
    broadcast.audience += len(audience)
    broadcast.enrolled += len(run_ids)
    broadcast.started_at = broadcast.started_at or now
    broadcast.status = BroadcastStatus.RUNNING
    broadcast.touched_at = wall_now
    if cursor >= broadcast.scan_through:
        _finish(broadcast, BroadcastStatus.DONE, now, wall_now)
    return Chunk(run_ids, more=broadcast.status is BroadcastStatus.RUNNING)


def enrol_contacts(session: Session, definition: FlowDefinition, trigger: NodeSpec, contact_ids: Sequence[int],
                   now: datetime, trigger_context: dict[str, object]) -> list[int]:
    """Start runs at `trigger` for these contacts (a chunk: their rows are locked), as the flow's re-entry rule
    allows; returns the new runs' ids, to queue. Their unfinished runs in the flow are read in one query."""
    if not contact_ids:
        return []
    effects = BatchEffects()
    contacts = effects.contacts.load(session, contact_ids, lock=True)
    runs: defaultdict[int, list[RunRow]] = defaultdict(list)
    query = select_runs().where(any_of(session, Run.contact_id, contacts), Run.flow_id == definition.flow_id,
                                Run.status.in_(UNFINISHED))
    for run in effects.runs.load(session, query):
        runs[run.contact_id].append(run)
    history = RunHistory(session, contacts, runs)
    started = [run for contact_id in sorted(contacts)
               if (run := start_run(session, definition, trigger, contacts[contact_id], now, effects,
                                    trigger_context, history)) is not None]
    effects.runs.write(session)
    effects.counters.flush(session)
    return [run.id for run in started]


def idle_broadcasts(session: Session, idle_since: datetime | None = None, flow_id: int | None = None) -> list[int]:
    """Unfinished broadcasts (of one flow, with `flow_id`) whose flow is not paused, untouched since `idle_since`
    (or all): their job was lost, or their flow was paused and is live again."""
    query = (
        select(Broadcast.id)
        .join(Flow, Flow.id == Broadcast.flow_id)
        .where(Broadcast.status.in_(UNFINISHED_BROADCASTS), Flow.status != FlowStatus.PAUSED)
        .order_by(Broadcast.id)
    )
    if idle_since is not None:
        query = query.where(Broadcast.touched_at <= idle_since)
    if flow_id is not None:
        query = query.where(Broadcast.flow_id == flow_id)
    return list(session.scalars(query))


def _next_chunk(session: Session, broadcast: Broadcast, size: int, now: datetime) -> tuple[list[int], int, int]:
    """The next chunk's audience (contact ids), the cursor after it, and how many contacts it examined (a contact
    chosen by id and deleted since is examined, and found missing).

    Raises:
        ValueError: the segment was deleted, or its condition is not valid.
    """
    after = Contact.id > broadcast.cursor
    if broadcast.contact_ids is not None:
        chosen = [contact_id for contact_id in broadcast.contact_ids if contact_id > broadcast.cursor][:size]
        found = list(session.scalars(select(Contact.id).where(any_of(session, Contact.id, chosen)).order_by(Contact.id))) \
            if chosen else []
        return found, (chosen[-1] if chosen else broadcast.scan_through), len(chosen)
    segment = session.get(Segment, broadcast.segment_id) if broadcast.segment_id is not None else None
    if segment is None:
        raise ValueError(f"the segment {broadcast.segment_name!r} was deleted while it was being sent")
    in_range = and_(after, Contact.id <= broadcast.scan_through)
    try:
        where = compile_where(session, segment.filter, now)
    except NotCompilable:
        contacts = list(session.scalars(select(Contact).where(in_range).order_by(Contact.id).limit(size)))
        cursor = contacts[-1].id if len(contacts) == size else broadcast.scan_through
        members = matching(session, compile_condition(segment.filter), contacts, now)
        return [contact.id for contact in members], cursor, len(contacts)
    members = list(session.scalars(select(Contact.id).where(in_range, where).order_by(Contact.id).limit(size)))
    cursor = members[-1] if len(members) == size else broadcast.scan_through
    examined = session.scalar(select(func.count()).where(after, Contact.id <= cursor)) or 0
    return members, cursor, examined


def fail(session: Session, broadcast_id: int, error: str, now: datetime, wall_now: datetime) -> None:
    """Fail an unfinished broadcast with the reason (a chunk failed for a reason of its own)."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is not None and broadcast.status in UNFINISHED_BROADCASTS:
        _finish(broadcast, BroadcastStatus.FAILED, now, wall_now, error)


def _finish(broadcast: Broadcast, status: BroadcastStatus, now: datetime, wall_now: datetime,
            error: str | None = None) -> None:
    broadcast.status = status
    broadcast.error = error
    broadcast.finished_at = now
    broadcast.touched_at = wall_now
