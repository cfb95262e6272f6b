"""What events do to contacts' runs: wake waits, credit goals, apply exit rules, enrol (by the
events' triggers and by any segment a contact has now entered).

A batch of events is applied set-based: the batch's contacts are locked in one ordered
statement (so a contact's events are handled by one worker at a time, and two workers
never deadlock on them), their relevant runs are read and locked in one query, and the
look-ups that do not depend on the contact (triggers, segment triggers, segments) are
made once. Each event's wake-ups, goals, exit rules and enrolment are then worked out in
Python. Wait-for-event stays push: the waiting runs are found among the contact's loaded
runs, no polling.

The order, for one event: a run waiting for it is woken first and takes the event's
branch (a wait for `order_paid` leaves by its `event` port), and only once it has been
advanced does the flow goal credit it, on every node it passed, that branch included; so
exit_on_goal ends it where the branch took it, not in the wait, and the branch the
author drew for the event is reachable. Every other run is credited and checked against
the exit rules at once, as before. An exit rule beats the wake: a run whose flow exits on
the event ends where it waits, as `exit_when` says ("wherever it is").
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from nodes.goal import revenue_amount
from nodes.timing import add_duration
from workflow_runtime.engine.counters import ExitCause
from workflow_runtime.engine.definition import FlowDefinition, load_definition
from workflow_runtime.engine.enrolment import enrol_for_event, event_triggers
from workflow_runtime.engine.filters import matches_properties
from workflow_runtime.engine.interpreter import BatchEffects, credit_conversion, exit_run
from workflow_runtime.engine.live_flows import LiveFlows
from workflow_runtime.engine.segments import SegmentTracker, live_segment_triggers
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.bulk import Prepared
from workflow_runtime.storage.contact_rows import ContactRow
from workflow_runtime.storage.models import UNFINISHED, Event, Run, RunStatus
from workflow_runtime.storage.run_rows import RunRow, select_runs

# What applying an event reads of it (rows, not ORM objects: nothing to track or flush).
EVENT_COLUMNS = (Event.id, Event.contact_id, Event.name, Event.properties, Event.timestamp)


class EventLike(Protocol):
    """An event row or an Event: what applying it reads."""

    id: int
    contact_id: int
    name: str
    properties: dict[str, Any] | None
    timestamp: datetime


# Per contact: every unfinished run, and every run whose goal one of `names` may credit.
_CONTACTS_RUNS = Prepared(lambda in_list: select_runs().where(
    in_list(Run.contact_id, "contacts"),
    or_(Run.status.in_(UNFINISHED), and_(in_list(Run.goal_event, "names"), Run.converted_at.is_(None))),
).order_by(Run.id).with_for_update())
# (flow, contact) → last ended_at, last entered_at, of some contacts' runs.
_LAST_RUNS = Prepared(lambda in_list: select(Run.flow_id, Run.contact_id, func.max(Run.ended_at),
                                             func.max(Run.entered_at))
                      .where(in_list(Run.contact_id, "contacts")).group_by(Run.flow_id, Run.contact_id))


class EventBatch:
    """Events of locked contacts, with everything applying them reads loaded once.

    `runs` holds, per contact, every unfinished run and every run whose goal one of the
    batch's events may credit, locked and in id order; runs the batch starts join it,
    so it stays what the per-event queries would have read.
    """

    def __init__(self, session: Session, events: Sequence[EventLike], contacts: dict[int, ContactRow],
                 now: datetime, effects: BatchEffects, live: LiveFlows | None = None) -> None:
        self.session = session
        self.events = list(events)
        self.contacts = contacts
        self.now = now
        self.effects = effects
        self.live_flows: dict[int, bool] = {} if live is None else live.flows
        # (event, its properties, the runs it woke): their goals wait for `settle`, after the advance.
        self._woken: list[tuple[EventLike, dict[str, Any], list[RunRow]]] = []
        names = {event.name for event in self.events}
        self.runs: defaultdict[int, list[RunRow]] = defaultdict(list)
        for run in effects.runs.load(session, *_CONTACTS_RUNS.bound(session, contacts=contacts, names=names)):
            self.runs[run.contact_id].append(run)
        self.history = RunHistory(session, contacts, self.runs)
        self.triggers = event_triggers(session, names) if live is None else live.event_triggers
        segment_triggers = live_segment_triggers(session) if live is None else live.segment_triggers
        self.segments = SegmentTracker(session, contacts, segment_triggers) if segment_triggers else None

    @classmethod
    def open(cls, session: Session, events: Sequence[EventLike], now: datetime, effects: BatchEffects,
             live: LiveFlows | None = None, claim: bool = True) -> EventBatch | None:
        """Lock the events' contacts and claim the events no other worker applied meanwhile (None if none is left).

        A worker that applied some of them held their contacts' locks until it committed,
        so now that this one holds the locks, their unapplied marks are gone. An event
        whose contact was merged away meanwhile is left unclaimed: the merge queued it
        again under its new contact. Without `claim`, the events were never marked unapplied
        and no other worker can apply them (a forecast's replay): all whose contact exists are applied.
        """
        if not events:
            return None
        contacts = effects.contacts.load(session, {event.contact_id for event in events}, lock=True)
        events = [event for event in events if event.contact_id in contacts]
        if claim:
            claimed = unapplied_events.claim(session, [event.id for event in events])
            events = [event for event in events if event.id in claimed]
        return cls(session, events, contacts, now, effects, live) if events else None

    def rounds(self) -> list[list[EventLike]]:
        """The events in time order, cut into rounds that hold at most one event per contact.

        A contact's next event must see what its previous one started (and the advancing
        that followed), so each round is applied and advanced before the next; contacts
        do not affect each other, so one round handles all of theirs together.
        """
        rounds: list[list[EventLike]] = []
        seen: defaultdict[int, int] = defaultdict(int)
        for event in self.events:
            index = seen[event.contact_id]
            seen[event.contact_id] += 1
            if index == len(rounds):
                rounds.append([])
            rounds[index].append(event)
        return rounds

    def apply(self, event: EventLike) -> list[RunRow]:
        """Apply one event; returns the runs it woke or started, for the caller to advance (after a
        flush) and then `settle`.

        The runs it wakes are credited by `settle`, once they have taken the event's branch;
        the contact's other runs are credited and exit-checked here, before enrolment, so a
        run the event ends makes room for a run it starts (re-entry `after_exit`).
        """
        contact = self.contacts[event.contact_id]
        runs = self.runs[contact.id]
        properties = event.properties or {}
        woken = wake_waiting_runs(self.session, runs, event, properties)
        if woken:
            self._woken.append((event, properties, woken))
            waking = {id(run) for run in woken}
            runs = [run for run in runs if id(run) not in waking]
        credit_goals(self.session, runs, event, properties, self.now, self.effects)
        apply_exit_rules(self.session, runs, event, properties, self.now, self.effects)
        started = enrol_for_event(self.session, event, contact, self.now, self.effects,
                                  self.triggers.get(event.name, []), self.history)
        if self.segments is not None:
            started += self.segments.refresh(contact, self.now, self.effects, self.history)
        return woken + started

    def settle(self) -> None:
        """Credit the goals of the runs the round's events woke, now that the caller has advanced them.

        A woken run has left its wait by the event's port, so the conversion counts on the
        branch it took, and exit_on_goal ends it where it got to (a run that reached an Exit
        node has ended already). A run that passed a goal node on the way converted there,
        once, and its goal node's revenue stands. A woken run that was not advanced (its
        flow is paused) is credited in its wait and, with exit_on_goal, ends there. Call it
        once per round, after advancing and before the next round's `apply`: a contact's
        next event must see its goal credited.
        """
        for event, properties, woken in self._woken:
            credit_goals(self.session, woken, event, properties, self.now, self.effects)
        self._woken = []


class RunHistory:
    """The re-entry rule, decided from the batch's loaded runs (every unfinished run of its contacts
    is among them) and, for `once` and cooldowns, one query over their finished runs."""

    def __init__(self, session: Session, contacts: Iterable[int], runs: defaultdict[int, list[RunRow]]) -> None:
        self.session = session
        self.contact_ids = list(contacts)
        self.runs = runs
        self._stored_runs: dict[tuple[int, int], tuple[datetime | None, datetime | None]] | None = None

    def may_enter(self, definition: FlowDefinition, contact_id: int, now: datetime) -> bool:
        """enrolment.may_enter, without a query per decision."""
        reentry = definition.settings.get("reentry", {})
        mode = reentry.get("mode", "after_exit")
        mine = [run for run in self.runs[contact_id] if run.flow_id == definition.flow_id]
        if mode == "once":
            return not mine and (definition.flow_id, contact_id) not in self._stored()
        if mode == "after_exit" and any(run.status in UNFINISHED for run in mine):
            return False
        cooldown = reentry.get("cooldown")
        if cooldown is None:
            return True
        column = 0 if mode == "after_exit" else 1  # ended_at, or entered_at
        stored = self._stored().get((definition.flow_id, contact_id), (None, None))[column]
        times = [run.ended_at if column == 0 else run.entered_at for run in mine]
        last = max((at for at in [stored, *times] if at is not None), default=None)
        return last is None or add_duration(last, cooldown) <= now

    def started(self, run: RunRow) -> None:
        self.runs[run.contact_id].append(run)

    def _stored(self) -> dict[tuple[int, int], tuple[datetime | None, datetime | None]]:
        """(flow, contact) → (last ended_at, last entered_at) over the contacts' stored runs, read once."""
        if self._stored_runs is None:
            last_runs = _LAST_RUNS.bound(self.session, contacts=self.contact_ids)
            self._stored_runs = {(flow_id, contact_id): (ended, entered)
                                 for flow_id, contact_id, ended, entered in self.session.connection().execute(*last_runs)}
        return self._stored_runs


def credit_goals(session: Session, runs: Sequence[RunRow], event: EventLike, properties: dict[str, Any],
                 now: datetime, effects: BatchEffects) -> None:
    """Count the flow goal for the contact's runs whose goal is this event and whose window is open."""
    for run in runs:
        if run.goal_event != event.name or run.converted_at is not None or run.entered_at > event.timestamp:
            continue
        if run.goal_deadline is not None and event.timestamp > run.goal_deadline:
            continue
        definition = load_definition(session, run.flow_version_id)
        goal = definition.goal
        if not definition.where_holds(goal.get("where", []), properties):
            continue
        credit_conversion(run, definition, now, _revenue(properties, goal.get("revenue_property")), effects.counters)
        if goal.get("exit_on_goal", True) and run.status in UNFINISHED:
            exit_run(run, ExitCause.GOAL, now, effects.counters)


def _revenue(properties: dict[str, Any], revenue_property: str | None) -> Decimal | None:
    """The event's revenue, read from the goal's revenue property when it holds an amount."""
    if not revenue_property:
        return None
    value: Any = properties
    for part in revenue_property.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return revenue_amount(value)


def apply_exit_rules(session: Session, runs: Sequence[RunRow], event: EventLike, properties: dict[str, Any],
                     now: datetime, effects: BatchEffects) -> None:
    """End the contact's unfinished runs whose flow says to exit on this event."""
    for run in runs:
        if run.status in UNFINISHED and exits_on(load_definition(session, run.flow_version_id), event, properties):
            exit_run(run, ExitCause.EXIT_RULE, now, effects.counters, event.name)


def exits_on(definition: FlowDefinition, event: EventLike, properties: dict[str, Any]) -> bool:
    """Whether one of the flow's exit rules ends its runs on this event."""
    return any(rule["event"] == event.name and definition.where_holds(rule.get("where", []), properties)
               for rule in definition.settings.get("exit_when", []))


def wake_waiting_runs(session: Session, runs: Sequence[RunRow], event: EventLike,
                      properties: dict[str, Any]) -> list[RunRow]:
    """Runs of the contact waiting for this event (with matching properties), marked to resume by it.

    An event done at or after a run's time-out comes too late for it, even when no
    worker has handled the time-out yet (a busy scheduler, a paused flow, a lost job):
    that run leaves by its time-out when its wake-up is handled. A run whose flow exits
    on this event is not woken: the exit rule ends it in its wait (apply_exit_rules).
    """
    woken = []
    for run in runs:
        if run.waiting_for != event.name or run.status is not RunStatus.WAITING:
            continue
        if run.wake_at is not None and event.timestamp >= run.wake_at:
            continue
        if not matches_properties(run.waiting_where or [], properties):
            continue
        if exits_on(load_definition(session, run.flow_version_id), event, properties):
            continue
        run.resume = "event"
        woken.append(run)
    return woken

