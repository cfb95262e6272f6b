"""The replay: the engine's own batch functions (those the RQ jobs run) on the scratch database, on a virtual clock.

Time moves from one moment with work to the next — an event's timestamp, a run's wake-up, a hand enrolment,
a message status or an unsubscribe seen in reality — rounded up to the step (`window.STEP` unless asked
otherwise), and at each moment the work is done in the order the live runtime does it: runs due, then statuses
and unsubscribes, enrolments by hand, the moment's events (a batch of `batch_size` per transaction, as a job
takes them), then whatever became due, and the statuses of the messages that sent. The dispatch layer (RQ, the
Redis wake-up set) is left out: the replay keeps its own wake-up index (`wakeups`), fed by every batch's runs, and
hands the batches what the jobs would read back from the database — the moment's events, and which flows are live
(read once: nothing is published during a replay). Nothing is delivered: the messages stay in the scratch ledger,
and the statuses a message reached in reality are given to the same contact's message from the same node.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow_runtime.channels.messages import record_status
from workflow_runtime.clock import VirtualClock
from workflow_runtime.engine import batches
from workflow_runtime.engine.broadcasts import enrol_contacts
from workflow_runtime.engine.definition import load_definition
from workflow_runtime.engine.interpreter import BatchEffects
from workflow_runtime.engine.live_flows import LiveFlows
from workflow_runtime.forecast.history import Engagement
from workflow_runtime.forecast.scratch import ScratchDatabase, copy_rows
from workflow_runtime.forecast.wakeups import WakeupIndex
from workflow_runtime.forecast.window import STEP, Window
from workflow_runtime.storage.models import (
    Channel,
    Contact,
    DeliveryState,
    Event,
    Message,
    MessageStatus,
    Run,
    RunStatus,
)

BATCH_SIZE = 500
# A batch's work on these ids (runs or events) in a transaction; `alone`: as dispatch.jobs handles what failed alone.
Work = Callable[[Session, Sequence[int], datetime, bool], BatchEffects]


class EventRow(NamedTuple):
    """What applying an event reads of it (engine.events.EventLike)."""

    id: int
    contact_id: int
    name: str
    properties: dict[str, Any] | None
    timestamp: datetime


def off_site(_contact_id: int, _now: datetime) -> bool:
    """Presence is not recorded, so in a replay nobody has the site open."""
    return False


@dataclass
class ReplayInputs:
    """What happened in the window, read from the live database: events (pages in time order), enrolments by
    hand and unsubscribes (when, contact), and what contacts did with their messages."""

    events: Iterator[list[dict[str, Any]]]
    enrolled: list[tuple[datetime, int]]
    unsubscribed: list[tuple[datetime, int]]
    engagements: list[Engagement]
    sent_in_reality: set[tuple[int, str, str]]


@dataclass
class ReplayTally:
    """What the replay did."""

    events: int = 0
    steps: int = 0
    moments: int = 0
    failed_events: list[int] = field(default_factory=list)  # applied alone, they still failed: left out
    unmatched_engagements: int = 0  # a message of reality the forecast never sent: its statuses went nowhere
    no_manual_trigger: int = 0  # enrolments by hand the forecast flow has no manual trigger for


class Replay:
    """Drives the engine over the window in the scratch database (see the module docstring)."""

    def __init__(self, scratch: ScratchDatabase, version_id: int, window: Window, inputs: ReplayInputs,
                 progress: Callable[[int], None], step: timedelta = STEP, batch_size: int = BATCH_SIZE) -> None:
        self.scratch = scratch
        self.version_id = version_id
        self.window = window
        self.inputs = inputs
        self.progress = progress
        self.step = step
        self.batch_size = batch_size
        self.clock = VirtualClock(window.start)
        self.tally = ReplayTally()
        self._page: list[dict[str, Any]] = []
        self._engagements = list(inputs.engagements)
        self._waiting_engagements: list[Engagement] = []  # due, but their message is not sent yet in the forecast
        self._last_message_id = 0
        self._wakeups = WakeupIndex()
        with scratch.sessions() as session:
            self._calls_webhooks = any(node.node_type.type == "webhook"
                                       for node in load_definition(session, version_id).nodes.values())
            self._live = LiveFlows.read(session)
            for run_id, wake_at in session.execute(select(Run.id, Run.wake_at).where(Run.wake_at.is_not(None))):
                self._wakeups.set(run_id, wake_at)

    def run(self) -> ReplayTally:
        """Replay the window; the scratch database then holds the forecast's runs, messages and counters."""
        while (moment := self._next_moment()) is not None:
            self.clock.set(moment)
            self._at(moment)
            self.tally.moments += 1
            self.progress(self.tally.events)
        self.tally.unmatched_engagements = len(self._waiting_engagements)
        return self.tally

    def _next_moment(self) -> datetime | None:
        """The first moment with work, on the grid of `step` from the window's start."""
        candidates = [moment for moment in (
            self._next_event_time(), self._wakeups.earliest(),
            self.inputs.enrolled[0][0] if self.inputs.enrolled else None,
            self.inputs.unsubscribed[0][0] if self.inputs.unsubscribed else None,
            self._engagements[0].at if self._engagements else None,
        ) if moment is not None]
        if not candidates:
            return None
        earliest = max(min(candidates), self.clock.now())
        if earliest >= self.window.end:
            return None
        steps = -((self.window.start - earliest) // self.step)  # rounded up
        # The window's last, shorter step ends with it: what happened in it is handled, nothing at its end or after.
        return min(self.window.start + steps * self.step, self.window.end - timedelta(microseconds=1))

    def _next_event_time(self) -> datetime | None:
        if not self._page:
            self._page = next(self.inputs.events, [])
        return self._page[0]["timestamp"] if self._page else None

    def _at(self, now: datetime) -> None:
        self._advance_due(now)
        self._contacts_act(now)
        self._enrol_by_hand(now)
        self._apply_events(now)
        # Statuses of messages sent just now, at this same moment, as their channel reported them in reality (a
        # webhook's outcome wakes its run): given as the runs that send them get there.
        while True:
            self._advance_due(now)
            if not (self._contacts_act(now) | self._settle_webhooks(now)):
                return

    def _advance_due(self, now: datetime) -> None:
        """Advance every run due by `now`, until none is (a step may make another due at once)."""
        while due := self._wakeups.take_due(now):
            if self._in_batches(self._advance, due, now) == 0:
                return  # due, but nothing moved (a bug's loop): what waits is left as it is

    def _contacts_act(self, now: datetime) -> bool:
        """Unsubscribes and the statuses messages reached in reality, as of `now`; True if any was given. A status
        whose message the forecast has not sent yet waits, and is tried again once a message of its contact, node and
        channel is sent (so what waits costs nothing until then)."""
        unsubscribed = _take_until(self.inputs.unsubscribed, now)
        due = _take_until(self._engagements, now, attrgetter("at"))
        if self._waiting_engagements:
            sent = self._sent_since_last_look()
            ready = [item for item in self._waiting_engagements if (item.contact_id, item.node_id, item.channel) in sent]
            if ready:
                self._waiting_engagements = [item for item in self._waiting_engagements
                                             if (item.contact_id, item.node_id, item.channel) not in sent]
                due = ready + due
        if not unsubscribed and not due:
            return False
        with self.scratch.sessions.begin() as session:
            if unsubscribed:
                session.execute(update(Contact).where(Contact.id.in_([contact for _at, contact in unsubscribed]))
                                .values(unsubscribed_at=now))
            waiting = [engagement for engagement in due if not self._engage(session, engagement, now)]
        if waiting:
            self._sent_since_last_look()  # what is sent from now on may be theirs
            self._waiting_engagements += waiting
        return bool(unsubscribed) or len(waiting) < len(due)

    def _sent_since_last_look(self) -> set[tuple[int, str, str]]:
        """(contact, node, channel) of the messages sent since the last look."""
        with self.scratch.sessions() as session:
            rows = session.execute(select(Message.id, Message.contact_id, Message.node_id, Message.channel)
                                   .where(Message.id > self._last_message_id)).all()
        if rows:
            self._last_message_id = max(row[0] for row in rows)
        return {(contact_id, node_id, channel.value) for _id, contact_id, node_id, channel in rows}

    def _engage(self, session: Session, engagement: Engagement, now: datetime) -> bool:
        """Give the forecast's matching message the statuses of reality; False if it has not sent it (yet)."""
        message = session.scalar(
            select(Message).where(Message.contact_id == engagement.contact_id, Message.node_id == engagement.node_id,
                                  Message.channel == Channel(engagement.channel))
            .order_by(Message.id).offset(engagement.ordinal).limit(1))
        if message is None:
            return False
        for status in engagement.statuses:
            record_status(session, message, MessageStatus(status), now)
        if message.channel is Channel.WEBHOOK:
            self._wake_caller(session, message, now)
        return True

    def _enrol_by_hand(self, now: datetime) -> None:
        contact_ids = sorted({contact for _at, contact in _take_until(self.inputs.enrolled, now)})
        if not contact_ids:
            return
        with self.scratch.sessions.begin() as session:
            definition = load_definition(session, self.version_id)
            manual = [node for node in definition.triggers() if node.config.get("on") == "manual"]
            if not manual:
                self.tally.no_manual_trigger += len(contact_ids)
                return
            run_ids = enrol_contacts(session, definition, manual[0], contact_ids, now, {"manual": True})
        self._in_batches(self._advance, run_ids, now)

    def _apply_events(self, now: datetime) -> None:
        """Store every event up to `now` in the scratch database, as ingestion would have by then, and apply them a
        batch per transaction (a moment's events fitting in one batch are stored by its transaction)."""
        taken: list[dict[str, Any]] = []
        while (moment := self._next_event_time()) is not None and moment <= now:
            count = bisect_right(self._page, now, key=_timestamp)
            taken += self._page[:count]
            del self._page[:count]
        if not taken:
            return
        stored = len(taken) > self.batch_size
        if stored:
            for start in range(0, len(taken), self.batch_size):  # all stored first, as ingestion would have
                with self.scratch.sessions.begin() as session:
                    copy_rows(session, Event.__table__, taken[start:start + self.batch_size])
        by_id = {row["id"]: row for row in taken}
        self._in_batches(partial(self._apply, by_id, stored), list(by_id), now)
        self.tally.events += len(taken)

    def _apply(self, events: dict[int, dict[str, Any]], stored: bool, session: Session, event_ids: Sequence[int],
               now: datetime, alone: bool = False) -> BatchEffects:
        """Apply these events (of `events`, those named), storing them first unless they are `stored`; `alone`: the
        runs they wake or start are left due."""
        rows = [events[event_id] for event_id in event_ids]
        if not stored:
            copy_rows(session, Event.__table__, rows)
        return batches.apply_events(session, [_event_row(row) for row in rows], now, off_site, advance_runs=not alone,
                                    live=self._live)

    def _advance(self, session: Session, run_ids: Sequence[int], now: datetime, alone: bool = False) -> BatchEffects:
        """Advance those of these runs that are due; `alone`: with their steps isolated."""
        return batches.advance_runs(session, run_ids, now, off_site, isolate=alone, live=self._live)

    def _settle_webhooks(self, now: datetime) -> bool:
        """A webhook call the flow did not make in reality has no outcome to replay: it succeeds at once. True if
        any did."""
        if not self._calls_webhooks:
            return False
        with self.scratch.sessions.begin() as session:
            calls = [message for message in session.scalars(select(Message).where(
                Message.channel == Channel.WEBHOOK, Message.delivery_state == DeliveryState.PENDING))
                if (message.contact_id, message.node_id, Channel.WEBHOOK.value) not in self.inputs.sent_in_reality]
            for message in calls:  # one made in reality gets its outcome there at its time
                message.delivery_state = DeliveryState.DELIVERED
                record_status(session, message, MessageStatus.DELIVERED, now)
                self._wake_caller(session, message, now)
        return bool(calls)

    def _wake_caller(self, session: Session, message: Message, now: datetime) -> None:
        """The run waiting for this webhook call's outcome is due now (as the webhook deliverer wakes it)."""
        woken = session.execute(update(Run).where(Run.id == message.run_id, Run.status == RunStatus.WAITING)
                                .values(wake_at=now))
        if woken.rowcount:
            self._wakeups.set(message.run_id, now)

    def _in_batches(self, work: Work, ids: Sequence[int], now: datetime) -> int:
        """Run `work` on `ids`, `batch_size` at a time; returns the steps taken."""
        return sum(self._batch(work, ids[start:start + self.batch_size], now)
                   for start in range(0, len(ids), self.batch_size))

    def _batch(self, work: Work, ids: Sequence[int], now: datetime) -> int:
        """One transaction, as a job's; a batch that fails is split until what fails alone is found (`_alone`)."""
        try:
            with self.scratch.sessions.begin() as session:
                effects = work(session, ids, now, False)
        except Exception:
            if len(ids) > 1:
                middle = len(ids) // 2
                return self._batch(work, ids[:middle], now) + self._batch(work, ids[middle:], now)
            return self._alone(work, ids, now)
        if effects.conversation_events:  # what the flow's conversation changes recorded, applied as ingestion's
            self._batch(_process, effects.conversation_events, now)
        return self._took(effects)

    def _alone(self, work: Work, ids: Sequence[int], now: datetime) -> int:
        """What failed alone, as dispatch.jobs handles it: a run is advanced with its steps isolated (parked `errored`
        where one fails); an event is applied again without advancing the runs it wakes or starts, which are then
        advanced on their own, and is left out (counted) only if it still fails."""
        try:
            with self.scratch.sessions.begin() as session:
                effects = work(session, ids, now, True)
        except Exception:
            if work == self._advance:
                raise  # its steps were isolated: what still fails is not the run's
            self.tally.failed_events += list(ids)
            return 0
        if work == self._advance:
            return self._took(effects)
        return self._took(effects) + self._in_batches(self._advance, sorted(effects.wakeups), now)

    def _took(self, effects: BatchEffects) -> int:
        """Count a committed batch's steps and note its runs' wake-ups; returns the steps."""
        self.tally.steps += effects.steps
        self._wakeups.note(effects.runs)
        return effects.steps


def _timestamp(row: dict[str, Any]) -> datetime:
    return row["timestamp"]


def _event_row(row: dict[str, Any]) -> EventRow:
    return EventRow(row["id"], row["contact_id"], row["name"], row["properties"], row["timestamp"])


def _process(session: Session, event_ids: Sequence[int], now: datetime, alone: bool) -> BatchEffects:
    """Apply events the replay's steps stored and marked unapplied (a conversation's), as a job does."""
    return batches.process_events(session, event_ids, now, off_site, advance_runs=not alone)


def _take_until(items: list[Any], now: datetime, at: Callable[[Any], datetime] = itemgetter(0)) -> list[Any]:
    """Take the items due by `now` (`at` says when each is; the list is in time order) off the front of the list."""
    count = next((index for index, item in enumerate(items) if at(item) > now), len(items))
    taken = items[:count]
    del items[:count]
    return taken
