"""Steps one run through its flow until it holds in a node or ends.

Interpreting a node is a function of (definition, run state, context) → outcome; the
interpreter applies the outcome to the run and counts it. Everything a batch changes
is written in one transaction by the caller, so a crash loses or repeats nothing.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nodes.execution import End, Go, Hold, Outcome
from nodes.personalisation import contact_variables, render_value
from nodes.timing import next_send_time, parse_duration
from workflow_runtime.engine import conversations, failures
from workflow_runtime.engine.chunk_events import ChunkEvents
from workflow_runtime.engine.chunk_statuses import ChunkStatuses, message_key
from workflow_runtime.engine.counters import (
    EXIT_REASONS,
    QUEUED,
    CounterBatch,
    ExitCause,
    converted_by,
    exited_by,
    left,
    message_metric,
)
from workflow_runtime.engine.definition import FlowDefinition, NodeSpec
from workflow_runtime.engine.property_paths import with_changes
from workflow_runtime.engine.subject import ContactSubject
from workflow_runtime.storage import bulk
from workflow_runtime.storage.contact_rows import AnyContact, ContactRows
from workflow_runtime.storage.models import ONSITE_CHANNELS, Channel, DeliveryState, Message, MessageStatus, RunStatus
from workflow_runtime.storage.models.run import entered_step, left_step, step_key
from workflow_runtime.storage.run_rows import AnyRun, RunRow, RunRows

# Validation refuses loops without a wait, so a run passes each node at most once per
# advance; this bound only stops a bug from spinning a worker forever.
MAX_STEPS = 500

# The counter of emails not sent because the contact unsubscribed.
SUPPRESSED = "suppressed"

# Whether a contact has the site open at a time: the process's presence (Redis), given to each batch.
OnSite = Callable[[int, datetime], bool]


class RuntimeFault(RuntimeError):
    """The runtime met a state validation should have made impossible."""


@dataclass
class BatchEffects:
    """What a batch did: the runs and contacts it loaded or started, messages for the ledger, counter
    increments, wake-ups to mirror in Redis, the channels to deliver and the on-site messages to push
    to their contacts' widgets once it commits. `flush` writes runs, messages, contacts and counters
    in the batch's transaction."""

    runs: RunRows = field(default_factory=RunRows)
    contacts: ContactRows = field(default_factory=ContactRows)
    counters: CounterBatch = field(default_factory=CounterBatch)
    wakeups: dict[int, datetime] = field(default_factory=dict)
    onsite_messages: dict[int, list[str]] = field(default_factory=dict)  # contact → keys of its chats and popups
    messages: list[dict[str, Any]] = field(default_factory=list)
    sent_channels: set[str] = field(default_factory=set)  # to queue their delivery after the commit
    parked: list[tuple[AnyRun, BaseException, dict[str, Any]]] = field(default_factory=list)  # run, error, where
    conversations: set[int] = field(default_factory=set)  # changed by steps: the team's inboxes are told
    conversation_events: list[int] = field(default_factory=list)  # what those changes recorded, to queue
    advanced: int = 0
    steps: int = 0

    def write_messages(self, session: Session) -> None:
        """Insert the messages recorded so far in one statement, after the runs they refer to.

        Called before anything reads the ledger, so a batch reads its own sends. A key
        already in the ledger is skipped (ON CONFLICT DO NOTHING), never sent twice.
        """
        if self.messages:
            self.runs.write(session)
            self._insert_messages(session)

    def write_ahead(self, session: Session, runs: Sequence[RunRow]) -> None:
        """Send the writes of these runs, just advanced, and of the messages recorded so far; the
        batch goes on while PostgreSQL stores them (`write_behind`)."""
        self.runs.write(session, runs)
        self._insert_messages(session)

    def flush(self, session: Session) -> None:
        """Write everything pending: runs, messages, contacts, then counters."""
        self.runs.write(session)
        self._insert_messages(session)
        self.contacts.write(session)
        self.counters.flush(session)

    def _insert_messages(self, session: Session) -> None:
        if self.messages:
            bulk.insert_rows(session, Message.__table__, self.messages, skip_conflicts_on="idempotency_key",
                             wait=False)
            self.messages = []


class RunContext:
    """nodes.execution.StepContext for one run at one node. Conditions read the contact's events from
    `events` (those of the batch's contacts, read together), and sends the statuses of their messages from
    `statuses` (those of the batch's runs), or on their own without them."""

    def __init__(self, session: Session, run: AnyRun, contact: AnyContact, definition: FlowDefinition,
                 now: datetime, effects: BatchEffects, on_site: OnSite, events: ChunkEvents | None = None,
                 statuses: ChunkStatuses | None = None) -> None:
        self._session = session
        self._events = events
        self._statuses = statuses
        self._on_site = on_site
        self._run = run
        self._contact = contact
        self._definition = definition
        self._now = now
        self._effects = effects
        self.state: dict[str, Any] = dict(run.node_state or {})

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def resumed(self) -> str | None:
        if self._run.resume:
            return self._run.resume
        return "timeout" if self._run.status is RunStatus.WAITING else None

    @property
    def time_zone(self) -> str | None:
        return self._contact.time_zone

    @property
    def idempotency_key(self) -> str:
        return step_key(self._run.id, self._run.node_id, self._run.visits)

    def render(self, value: Any) -> Any:
        variables = contact_variables(
            self._contact.builtin_fields(), self._contact.properties or {}, self._run.context.get("trigger", {})
        )
        return render_value(value, variables)

    def decide(self, condition: Mapping[str, Any]) -> tuple[bool, str]:
        subject = ContactSubject(self._session, self._contact, self._now, self._definition.flow_id, run_id=self._run.id,
                                 before_messages=self._write_messages, events=self._events)
        return self._definition.compiled(condition)(subject, self._now)

    def _write_messages(self) -> None:
        self._effects.write_messages(self._session)

    def split_point(self) -> float:
        seed = f"{self._contact.id}:{self._definition.flow_id}:{self._run.node_id}".encode()
        return int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") / 2**64

    def send(self, channel: str, content: Mapping[str, Any], failure: str | None = None) -> datetime | None:
        # No look-up first: the run's row is locked and the step commits with its message, so
        # a replayed job finds the run past this send; the unique key only guards against bugs.
        if channel == "email" and (self._contact.unsubscribed_at is not None or not self._contact.email):
            # Suppressed, not deferred (unsubscribed, or an anonymous visitor with no address): nothing
            # enters the ledger, the node counts it and the run goes on.
            self._effects.counters.add(self._definition.version_id, self._run.node_id,
                                       message_metric(channel, SUPPRESSED), self._now)
            return None
        if channel != Channel.WEBHOOK.value:  # an integration's call, not a message the contact gets: no caps
            when = next_send_time(
                self._now,
                quiet_hours=self._definition.settings.get("quiet_hours"),
                frequency_cap=self._definition.settings.get("frequency_cap"),
                time_zone=self._contact.time_zone,
                sent_at=self._recent_sends(),
            )
            if when > self._now:
                return when
        key = message_key(self._run, channel)
        reached = [MessageStatus.SENT] if failure is None else [MessageStatus.SENT, MessageStatus.FAILED]
        self._effects.messages.append({
            "idempotency_key": key,
            "contact_id": self._contact.id,
            "run_id": self._run.id,
            "flow_version_id": self._definition.version_id,
            "node_id": self._run.node_id,
            "channel": Channel(channel),
            "status": reached[-1],
            "statuses": [status.value for status in reached],
            "content": dict(content),
            "delivery_state": DeliveryState.PENDING if failure is None else DeliveryState.FAILED,
            "last_error": failure,
            "created_at": self._now,
            "updated_at": self._now,
        })
        for status in reached:
            self._effects.counters.add(self._definition.version_id, self._run.node_id,
                                       message_metric(channel, status.value), self._now)
        if failure is not None:
            return None
        self._effects.counters.add(self._definition.version_id, self._run.node_id, message_metric(channel, QUEUED),
                                   self._now)
        self._effects.sent_channels.add(channel)
        if channel in ONSITE_CHANNELS:
            self._effects.onsite_messages.setdefault(self._contact.id, []).append(key)
        return None

    def _recent_sends(self) -> list[datetime]:
        cap = self._definition.settings.get("frequency_cap")
        if not cap:
            return []
        since = self._now - parse_duration(cap["per"])
        self._effects.write_messages(self._session)
        query = select(Message.created_at).where(Message.contact_id == self._contact.id, Message.created_at > since,
                                                 Message.channel != Channel.WEBHOOK)
        return list(self._session.scalars(query))

    def message_status(self, channel: str) -> str | None:
        status = self._statuses.found(self._run, channel) if self._statuses is not None else None
        if status is None:  # perhaps recorded by this batch since: the batch's sends written, then looked up alone
            self._effects.write_messages(self._session)
            status = self._session.scalar(select(Message.status).where(
                Message.idempotency_key == message_key(self._run, channel)))
        return status.value if status else None

    def contact_on_site(self) -> bool:
        return self._on_site(self._contact.id, self._now)

    def update_contact(self, set_properties: Mapping[str, Any], unset: Sequence[str],
                       add_tags: Sequence[str], remove_tags: Sequence[str]) -> None:
        # Copy on write, without recursion: a contact's properties may nest as deep as ingestion lets them.
        self._contact.properties = with_changes(self._contact.properties, set_properties, unset)
        tags = [tag for tag in (self._contact.tags or []) if tag not in set(remove_tags)]
        self._contact.tags = tags + [tag for tag in add_tags if tag not in tags]

    def update_conversation(self, assign_to: str | None, status: str | None) -> None:
        changed = conversations.flow_update(self._session, self._contact.id, assign_to, status, self._now)
        if changed is not None:
            self._effects.conversations.add(changed.conversation.id)
            self._effects.conversation_events += changed.event_ids
            if changed.event_ids and self._events is not None:
                self._events.forget(self._contact.id)  # what the batch read of its events misses the one just recorded

    def convert(self, revenue: Decimal | None) -> None:
        credit_conversion(self._run, self._definition, self._now, revenue, self._effects.counters)


def credit_conversion(run: AnyRun, definition: FlowDefinition, now: datetime, revenue: Decimal | None,
                      counters: CounterBatch) -> bool:
    """Mark the run converted and count it, with revenue, on every node it has passed; once per run.

    At nodes that compare their ports (a split) it is also counted by the port the run left by.
    """
    if run.converted_at is not None:
        return False
    run.converted_at = now
    run.revenue = revenue
    passed = dict.fromkeys(step[0] for step in run.path)
    counters.add_to_nodes(definition.version_id, passed, "converted", now, amount=revenue)
    by_port = dict.fromkeys((step[0], step[1]) for step in run.path
                            if step[1] is not None and definition.nodes[step[0]].node_type.compares_ports)
    for node_id, port in by_port:
        counters.add(definition.version_id, node_id, converted_by(port), now, amount=revenue)
    return True


def finish(run: AnyRun, status: RunStatus, reason: str, now: datetime, counters: CounterBatch, metric: str) -> None:
    """End a run where it is and count why (`completed` or `exited`) at its node."""
    _leave_wait(run, now, counters)
    run.status = status
    run.end_reason = reason
    run.ended_at = now
    counters.add(run.flow_version_id, run.node_id, metric, now)


def exit_run(run: AnyRun, cause: ExitCause, now: datetime, counters: CounterBatch, detail: str = "") -> None:
    """End the run early where it is, its end reason its cause's (and `detail`): counted `exited` at its node,
    and under its cause."""
    finish(run, RunStatus.EXITED, EXIT_REASONS[cause] + detail, now, counters, "exited")
    counters.add(run.flow_version_id, run.node_id, exited_by(cause), now)


def _leave_wait(run: AnyRun, now: datetime, counters: CounterBatch) -> None:
    """Take the run out of any hold: the node's waiting gauge goes down and the wait is forgotten."""
    if run.status is RunStatus.WAITING:
        counters.add(run.flow_version_id, run.node_id, "waiting", now, count=-1)
    run.wake_at = run.waiting_for = run.waiting_where = run.resume = None


def advance(session: Session, run: AnyRun, contact: AnyContact, definition: FlowDefinition, now: datetime,
            effects: BatchEffects, on_site: OnSite, isolate: bool = False, events: ChunkEvents | None = None,
            statuses: ChunkStatuses | None = None) -> None:
    """Execute the run's nodes until one holds it or the run ends.

    `events`: the events of the batch's contacts, for its conditions to read together (ChunkEvents);
    `statuses`: those of its runs' messages, for its sends to read together (ChunkStatuses).
    With `isolate` (a batch run again to find what fails in it, dispatch.jobs), a step that raises
    is undone and the run parked `errored` at that node (`effects.parked`), its earlier steps kept.
    """
    effects.advanced += 1
    for _ in range(MAX_STEPS):
        spec = definition.nodes[run.node_id]
        context = RunContext(session, run, contact, definition, now, effects, on_site, events, statuses)
        if isolate:
            outcome = _isolated_step(session, run, contact, spec, context, now, effects)
            if outcome is None:
                return
        else:
            outcome = spec.node_type.execute(context, spec.config)
        effects.steps += 1
        if not _apply(run, spec, outcome, context.state, definition, now, effects):
            return
    error = RuntimeFault(f"run {run.id} took {MAX_STEPS} steps without holding: a loop without a wait?")
    if not isolate:
        raise error
    effects.parked.append((run, error, failures.park_run(run, error, now, effects.counters)))


def _isolated_step(session: Session, run: AnyRun, contact: AnyContact, spec: NodeSpec, context: RunContext,
                   now: datetime, effects: BatchEffects) -> Outcome | None:
    """One step whose failure is undone (in the database by a savepoint, in the batch's pending effects by a
    copy taken before it) and parks the run; None when it failed."""
    effects.write_messages(session)  # what earlier steps recorded stays out of the step's savepoint
    before = _Undo(run, contact, effects)
    savepoint = session.begin_nested()
    try:
        outcome = spec.node_type.execute(context, spec.config)
    except Exception as error:
        if failures.find_outage(error):
            raise  # a server's, not the run's: the job is retried whole
        savepoint.rollback()
        before.restore(run, contact, effects)
        effects.parked.append((run, error, failures.park_run(run, error, now, effects.counters)))
        return None
    savepoint.commit()
    return outcome


class _Undo:
    """What a step may change of its run, its contact and the batch's pending effects, to put back if it fails."""

    def __init__(self, run: AnyRun, contact: AnyContact, effects: BatchEffects) -> None:
        self.conversion = (run.converted_at, run.revenue)
        self.contact = (contact.properties, contact.tags)
        self.messages = len(effects.messages)
        self.counters = effects.counters.copy()
        self.sent_channels = set(effects.sent_channels)
        self.onsite = {contact_id: list(keys) for contact_id, keys in effects.onsite_messages.items()}
        self.wakeups = dict(effects.wakeups)
        self.conversations = set(effects.conversations)
        self.conversation_events = list(effects.conversation_events)

    def restore(self, run: AnyRun, contact: AnyContact, effects: BatchEffects) -> None:
        run.converted_at, run.revenue = self.conversion
        contact.properties, contact.tags = self.contact
        del effects.messages[self.messages:]
        effects.counters = self.counters
        effects.sent_channels = self.sent_channels
        effects.onsite_messages = self.onsite
        effects.wakeups = self.wakeups
        effects.conversations = self.conversations
        effects.conversation_events = self.conversation_events


def _apply(run: AnyRun, spec: NodeSpec, outcome: Outcome, state: dict[str, Any], definition: FlowDefinition,
           now: datetime, effects: BatchEffects) -> bool:
    """Apply one outcome to the run; True if it moved on to another node."""
    counters = effects.counters
    if isinstance(outcome, Hold):
        if run.status is not RunStatus.WAITING:
            counters.add(run.flow_version_id, spec.id, "waiting", now)
        run.status = RunStatus.WAITING
        run.node_state = state
        run.wake_at = outcome.until
        run.waiting_for = outcome.event
        run.waiting_where = list(outcome.where) or None
        run.resume = None
        if outcome.until is not None:
            effects.wakeups[run.id] = outcome.until
        return False
    if isinstance(outcome, End):
        finish(run, RunStatus.COMPLETED, outcome.reason, now, counters, "completed")
        return False
    if not isinstance(outcome, Go):
        raise RuntimeFault(f"node type {spec.node_type.type!r} returned {outcome!r}, not Go, Hold or End")

    target = definition.next_node(spec.id, outcome.port)
    if target is None:  # a port left unconnected (a goal that ends its path): the run ends here, not "left"
        finish(run, RunStatus.COMPLETED, f"the path ends at {spec.id}", now, counters, "completed")
        return False
    _leave_wait(run, now, counters)
    run.status = RunStatus.ACTIVE
    counters.add(run.flow_version_id, spec.id, left(outcome.port), now)
    run.path = [*run.path[:-1], left_step(run.path[-1], outcome.port, outcome.rule), entered_step(target, now)]
    run.node_id = target
    run.node_state = {}
    counters.add(run.flow_version_id, target, "entered", now)
    return True
