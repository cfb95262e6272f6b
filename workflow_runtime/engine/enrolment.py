"""Starting runs: which live flows an event enrols a contact into, and whether the re-entry rule allows it."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from nodes.timing import add_duration
from workflow_runtime.engine.definition import FlowDefinition, NodeSpec, load_definition
from workflow_runtime.engine.interpreter import BatchEffects
from workflow_runtime.storage.contact_rows import AnyContact
from workflow_runtime.storage.models import (
    UNFINISHED,
    Flow,
    FlowStatus,
    FlowTrigger,
    Run,
    RunStatus,
)
from workflow_runtime.storage.models.run import entered_step
from workflow_runtime.storage.run_rows import RunRow


class Admission(Protocol):
    """Decides the re-entry rule and hears of the runs started (events.RunHistory: from loaded runs)."""

    def may_enter(self, definition: FlowDefinition, contact_id: int, now: datetime) -> bool: ...

    def started(self, run: RunRow) -> None: ...


def event_triggers(session: Session, event_names: Iterable[str] | None = None) -> dict[str, list[Row[Any]]]:
    """The triggers of live flows' live versions that start on each of `event_names` (one index look-up; None:
    every name), as rows of flow_triggers: a batch reads them once, with nothing for the ORM to track."""
    query = (
        select(*FlowTrigger.__table__.columns)
        .join(Flow, Flow.id == FlowTrigger.flow_id)
        .where(Flow.status == FlowStatus.LIVE, Flow.live_version_id == FlowTrigger.flow_version_id)
        .order_by(FlowTrigger.event_name, FlowTrigger.flow_version_id, FlowTrigger.node_id)
    )
    if event_names is not None:
        names = set(event_names)
        if not names:
            return {}
        query = query.where(FlowTrigger.event_name.in_(names))
    triggers: dict[str, list[Row[Any]]] = defaultdict(list)
    for trigger in session.connection().execute(query):
        triggers[trigger.event_name].append(trigger)
    return triggers


def enrol_for_event(session: Session, event: Any, contact: AnyContact, now: datetime, effects: BatchEffects,
                    triggers: Sequence[Row[Any]], admission: Admission | None = None) -> list[RunRow]:
    """Start a run in every live flow whose trigger (among `triggers`, the event name's) matches the
    event and whose re-entry rule allows it. With an `admission`, the runs are left for the caller to flush."""
    started = []
    properties = event.properties or {}
    for trigger in triggers:
        definition = load_definition(session, trigger.flow_version_id)
        spec = definition.nodes[trigger.node_id]
        if not definition.where_holds(spec.config.get("where", []), properties):
            continue
        trigger_context = {"event": event.name, "properties": properties, "event_id": event.id}
        run = start_run(session, definition, spec, contact, now, effects, trigger_context, admission)
        if run is not None:
            started.append(run)
    return started


def start_run(session: Session, definition: FlowDefinition, trigger: NodeSpec, contact: AnyContact, now: datetime,
              effects: BatchEffects, trigger_context: Mapping[str, Any], admission: Admission | None = None) -> RunRow | None:
    """A new run at `trigger`, or None if the flow's re-entry rule keeps the contact out.

    Without an `admission` the rule is read from the database and the run written at once
    (it has its id); with one, the batch writes the runs it started together.
    """
    if admission is not None:
        allowed = admission.may_enter(definition, contact.id, now)
    else:
        effects.runs.write(session)  # the rule reads the runs from the database
        allowed = may_enter(session, definition, contact.id, now)
    if not allowed:
        return None
    goal = definition.goal
    run = RunRow(
        flow_id=definition.flow_id,
        flow_version_id=definition.version_id,
        contact_id=contact.id,
        status=RunStatus.ACTIVE,
        node_id=trigger.id,
        path=[entered_step(trigger.id, now)],
        node_state={},
        context={"trigger": dict(trigger_context)},
        entered_at=now,
        wake_at=now,
        goal_event=goal["event"] if goal else None,
        goal_deadline=add_duration(now, goal["within"]) if goal and goal.get("within") else None,
    )
    effects.runs.add(run)
    if admission is None:
        effects.runs.write(session)
    else:
        admission.started(run)
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
