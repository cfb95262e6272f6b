"""Starting runs: which live flows an event enrols a contact into, and whether the re-entry rule allows it."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_runtime.definition import FlowDefinition, NodeSpec, load_definition
from workflow_runtime.filters import matches_properties
from workflow_runtime.interpreter import BatchEffects
from workflow_runtime.models import (
    UNFINISHED,
    Contact,
    Event,
    Flow,
    FlowStatus,
    FlowTrigger,
    Run,
    RunStatus,
)
from workflow_runtime.timing import add_duration


def event_triggers(session: Session, event_name: str) -> list[FlowTrigger]:
    """The triggers of live flows' live versions that start on `event_name` (an index lookup)."""
    query = (
        select(FlowTrigger)
        .join(Flow, Flow.id == FlowTrigger.flow_id)
        .where(
            FlowTrigger.event_name == event_name,
            Flow.status == FlowStatus.LIVE,
            Flow.live_version_id == FlowTrigger.flow_version_id,
        )
    )
    return list(session.scalars(query))


def enrol_for_event(session: Session, event: Event, contact: Contact, now: datetime,
                    effects: BatchEffects) -> list[Run]:
    """Start a run in every live flow whose trigger matches the event and whose re-entry rule allows it."""
    started = []
    for trigger in event_triggers(session, event.name):
        definition = load_definition(session, trigger.flow_version_id)
        spec = definition.nodes[trigger.node_id]
        if not matches_properties(spec.config.get("where", []), event.properties or {}):
            continue
        trigger_context = {"event": event.name, "properties": event.properties or {}, "event_id": event.id}
        run = start_run(session, definition, spec, contact, now, effects, trigger_context)
        if run is not None:
            started.append(run)
    return started


def start_run(session: Session, definition: FlowDefinition, trigger: NodeSpec, contact: Contact, now: datetime,
              effects: BatchEffects, trigger_context: Mapping[str, Any]) -> Run | None:
    """A new run at `trigger`, or None if the flow's re-entry rule keeps the contact out."""
    if not may_enter(session, definition, contact.id, now):
        return None
    goal = definition.goal
    run = Run(
        flow_id=definition.flow_id,
        flow_version_id=definition.version_id,
        contact_id=contact.id,
        status=RunStatus.ACTIVE,
        node_id=trigger.id,
        path=[[trigger.id, None]],
        node_state={},
        context={"trigger": dict(trigger_context)},
        entered_at=now,
        wake_at=now,
        goal_event=goal["event"] if goal else None,
        goal_deadline=add_duration(now, goal["within"]) if goal and goal.get("within") else None,
    )
    session.add(run)
    session.flush()
    effects.counters.add(definition.version_id, trigger.id, "entered", now)
    return run


def may_enter(session: Session, definition: FlowDefinition, contact_id: int, now: datetime) -> bool:
    """The flow's re-entry rule: once, after_exit (the default) or always, each with an optional cooldown."""
    reentry = definition.settings.get("reentry", {})
    mode = reentry.get("mode", "after_exit")
    runs = select(Run).where(Run.flow_id == definition.flow_id, Run.contact_id == contact_id)
    if mode == "once":
        return session.scalar(select(func.count()).select_from(runs.subquery())) == 0
    if mode == "after_exit" and session.scalar(runs.where(Run.status.in_(UNFINISHED)).limit(1)) is not None:
        return False
    cooldown = reentry.get("cooldown")
    if cooldown is None:
        return True
    since = Run.ended_at if mode == "after_exit" else Run.entered_at
    last = session.scalar(select(func.max(since)).where(Run.flow_id == definition.flow_id, Run.contact_id == contact_id))
    return last is None or add_duration(last, cooldown) <= now
