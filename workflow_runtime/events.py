"""What one event does to a contact's runs: credit goals, apply exit rules, wake waits, enrol
(by the event's triggers and by any segment the contact has now entered).

The contact's row is locked first, so a contact's events are handled one at a time
even with many workers; wait-for-event is push: an index on (contact, waiting_for)
finds the waiting runs, no polling.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.definition import load_definition
from workflow_runtime.enrolment import enrol_for_event
from workflow_runtime.filters import matches_properties
from workflow_runtime.interpreter import BatchEffects, credit_conversion, finish
from workflow_runtime.models import UNFINISHED, Contact, Event, Run, RunStatus
from workflow_runtime.segments import refresh_contact

# Runs and counters keep revenue in Numeric(18, 2): 16 digits before the point.
MAX_REVENUE = Decimal(10) ** 16


def handle_event(session: Session, event: Event, now: datetime, effects: BatchEffects) -> list[Run]:
    """Apply one event; returns the runs it woke or started, for the caller to advance now."""
    contact = session.get(Contact, event.contact_id, with_for_update=True)
    if applied_meanwhile(session, event):
        return []
    properties = event.properties or {}
    credit_goals(session, event, properties, now, effects)
    apply_exit_rules(session, event, properties, now, effects)
    woken = wake_waiting_runs(session, event, properties)
    started = enrol_for_event(session, event, contact, now, effects)
    return woken + started + refresh_contact(session, contact, now, effects)


def applied_meanwhile(session: Session, event: Event) -> bool:
    """Whether another worker applied the event since this one read it (a job delivered twice, worked at once).

    That worker held the contact's lock until it committed, so now that this one holds
    the lock, a fresh read sees its `processed_at`.
    """
    return session.scalar(select(Event.processed_at).where(Event.id == event.id)) is not None


def _contact_runs(session: Session, contact_id: int, *conditions: Any) -> list[Run]:
    query = select(Run).where(Run.contact_id == contact_id, *conditions).order_by(Run.id).with_for_update()
    return list(session.scalars(query))


def credit_goals(session: Session, event: Event, properties: dict[str, Any], now: datetime,
                 effects: BatchEffects) -> None:
    """Count the flow goal for the contact's runs whose goal is this event and whose window is open."""
    candidates = _contact_runs(
        session, event.contact_id, Run.goal_event == event.name, Run.converted_at.is_(None),
        Run.entered_at <= event.timestamp,
    )
    for run in candidates:
        if run.goal_deadline is not None and event.timestamp > run.goal_deadline:
            continue
        definition = load_definition(session, run.flow_version_id)
        goal = definition.goal
        if not matches_properties(goal.get("where", []), properties):
            continue
        credit_conversion(run, definition, now, _revenue(properties, goal.get("revenue_property")), effects.counters)
        if goal.get("exit_on_goal", True) and run.status in UNFINISHED:
            finish(run, RunStatus.EXITED, "reached the goal", now, effects.counters, "exited")


def _revenue(properties: dict[str, Any], revenue_property: str | None) -> Decimal | None:
    """The event's revenue, read from the goal's revenue property when it holds a number."""
    if not revenue_property:
        return None
    value: Any = properties
    for part in revenue_property.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    # NaN would poison every revenue sum it joins, and an amount the Numeric(18, 2) columns cannot
    # hold would fail the whole event job (its exit rules and wake-ups too): count neither as revenue.
    if not amount.is_finite() or abs(amount) >= MAX_REVENUE:
        return None
    return amount.quantize(Decimal("0.01"))


def apply_exit_rules(session: Session, event: Event, properties: dict[str, Any], now: datetime,
                     effects: BatchEffects) -> None:
    """End the contact's unfinished runs whose flow says to exit on this event."""
    for run in _contact_runs(session, event.contact_id, Run.status.in_(UNFINISHED)):
        rules = load_definition(session, run.flow_version_id).settings.get("exit_when", [])
        for rule in rules:
            if rule["event"] == event.name and matches_properties(rule.get("where", []), properties):
                finish(run, RunStatus.EXITED, f"exit rule: {event.name}", now, effects.counters, "exited")
                break


def wake_waiting_runs(session: Session, event: Event, properties: dict[str, Any]) -> list[Run]:
    """Runs of the contact waiting for this event (with matching properties), marked to resume by it.

    An event done at or after a run's time-out comes too late for it, even when no
    worker has handled the time-out yet (a busy scheduler, a paused flow, a lost job):
    that run leaves by its time-out when its wake-up is handled.
    """
    woken = []
    waiting = _contact_runs(session, event.contact_id, Run.waiting_for == event.name, Run.status == RunStatus.WAITING)
    for run in waiting:
        if run.wake_at is not None and event.timestamp >= run.wake_at:
            continue
        if matches_properties(run.waiting_where or [], properties):
            run.resume = "event"
            woken.append(run)
    return woken
