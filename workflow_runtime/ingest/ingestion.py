"""Ingestion: a batch of Segment calls stored in one transaction, set-based, then handed to the runtime.

A batch costs a few statements whatever its size: one to read the identities it names
(ids and seen times), two to lock the contacts it touches (`Identities.lock`), one
INSERT for new contacts, one INSERT for new anonymous ids, for its events a look-up of
their messageIds (a messageId seen before is stored once), one INSERT of the new ones
and one of their unapplied marks (`unapplied_events`), then one UPDATE for the contacts
whose fields it rewrote and one for the seen times of the rest. Rows travel as one JSON
document (`bulk`), not a statement per row. Only merges — an anonymous visitor
identified as a known contact — cost statements of their own. After the commit the new
events are queued for the runtime (goals, exit rules, wake-ups, enrolment), coalesced
into full batches under load (`JobQueue.apply_ingested_events`), and contacts whose
traits changed get a segment re-check when a live flow starts on entering a segment, so
those triggers fire.

Only the contacts whose own fields a batch changes are locked against event jobs, so a
batch that only records events never waits for a job working on the same people. Seen
times are moved forward (never back) by one relative UPDATE, the batch's last
statement, that skips a row locked at that moment — by an event job or a batch
rewriting the contact — rather than wait for it: that contact keeps its previous seen
times (set by an earlier call) until its next call.

Two requests racing to create the same contact or link the same anonymous id take
turns on advisory claims of the new ids; a batch that lost a race anyway (a contact
merged or renamed under it, a unique key, a deadlock, a busy SQLite file) is rolled
back and retried with all its ids claimed, and then finds what the winner stored.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from workflow_runtime.dispatch.runtime import Runtime
from workflow_runtime.engine.segments import live_segment_triggers
from workflow_runtime.ingest.contact_merge import merge_contact_rows
from workflow_runtime.ingest.identity import CONTACT_FIELDS, ClaimsNeeded, ContactRef, Identities, IdentityChanged
from workflow_runtime.ingest.identity_claims import refuse_unverified_claims
from workflow_runtime.ingest.tracking_calls import Call, apply_group, apply_traits, event_row
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.bulk import any_of, insert_rows, update_rows
from workflow_runtime.storage.database import begin_writing, reserve_ids
from workflow_runtime.storage.models import AnonymousId, Contact, Event

ATTEMPTS = 5
# A lost race on a unique key, a contact merged under our feet, a deadlock or a busy SQLite file.
RETRYABLE = (IntegrityError, OperationalError, IdentityChanged)
SEEN_FIELDS = frozenset({"first_seen_at", "last_seen_at"})
SEEN_ONLY = ("first_seen_at", "last_seen_at", "time_zone")  # what a call without traits may change
# A contact's last_seen_at is kept to the minute: a busy visitor's row is not rewritten by every batch.
SEEN_PRECISION = timedelta(minutes=1)

# PostgreSQL: seen times only move outwards and a missing time zone is filled, whatever
# committed meanwhile, so the rows need no lock held from the read; a row locked right
# now is skipped instead of waited for (see the module docstring).
_MOVE_SEEN_TIMES = text("""
    UPDATE contacts SET first_seen_at = LEAST(contacts.first_seen_at, seen.first_seen_at),
           last_seen_at = GREATEST(contacts.last_seen_at, seen.last_seen_at),
           time_zone = COALESCE(contacts.time_zone, seen.time_zone)
    FROM unnest(CAST(:ids AS bigint[]), CAST(:firsts AS timestamptz[]), CAST(:lasts AS timestamptz[]),
                CAST(:zones AS varchar[])) AS seen(id, first_seen_at, last_seen_at, time_zone)
    WHERE contacts.id = seen.id
      AND contacts.id IN (SELECT id FROM contacts WHERE id = ANY(CAST(:ids AS bigint[]))
                          FOR NO KEY UPDATE SKIP LOCKED)
""")


class IngestionBusy(Exception):
    """The batch lost its race for the same contacts several times in a row; the client should retry it."""


@dataclass
class Ingested:
    """What a batch stored: new event ids, duplicates skipped, contacts whose fields changed."""

    event_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    changed_contacts: list[int] = field(default_factory=list)
    requeued_event_ids: list[int] = field(default_factory=list)
    created_contacts: int = 0
    merged_contacts: int = 0
    segments_tracked: bool = False  # a live flow starts on entering a segment: changed contacts need a re-check


def ingest(current: Runtime, calls: Sequence[Call]) -> Ingested:
    """Store the calls (received now, by the runtime's clock) and queue their events for the runtime.

    Raises:
        IngestionBusy: if concurrent batches kept changing the same contacts.
    """
    received_at = current.clock.now()
    unique, repeated = _first_of_each_message(calls)
    claim_all = False
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with current.sessions.begin() as session:
                outcome = store_calls(session, unique, received_at, claim_all=claim_all)
            break
        except RETRYABLE as error:
            claim_all = True  # a retry reads with every id claimed, after whoever it lost to
            if attempt == ATTEMPTS:
                raise IngestionBusy(f"the batch could not be stored after {ATTEMPTS} attempts: {error}") from error
    outcome.duplicates += repeated
    current.jobs.apply_ingested_events(outcome.event_ids + outcome.requeued_event_ids)
    if outcome.changed_contacts and outcome.segments_tracked:
        current.jobs.refresh_segments(outcome.changed_contacts)
    return outcome


def _first_of_each_message(calls: Sequence[Call]) -> tuple[list[Call], int]:
    """The calls without repeats of a messageId within the batch, and how many repeats there were."""
    seen: set[str] = set()
    unique = []
    for call in calls:
        if call.message_id is not None:
            if call.message_id in seen:
                continue
            seen.add(call.message_id)
        unique.append(call)
    return unique, len(calls) - len(unique)


def _identifiers(calls: Iterable[Call]) -> set[str]:
    ids: set[str] = set()
    for call in calls:
        ids.update(value for value in (call.user_id, call.anonymous_id, call.previous_id) if value is not None)
    return ids


def store_calls(session: Session, calls: Sequence[Call], received_at: datetime, *, claim_all: bool = False) -> Ingested:
    """Resolve, create, merge and update contacts, and insert the events, in the caller's transaction.

    Raises:
        ClaimsNeeded: if the batch changes identities and `claim_all` is false (the caller retries with it).
        UnverifiedClaim: if a call nobody vouched for acts as a known contact (nothing is stored).
    """
    begin_writing(session)
    identities = Identities.load(session, _identifiers(calls), claim_all=claim_all)
    refuse_unverified_claims(identities, calls)
    targets = [(identities.alias(call.previous_id, call.user_id) if call.type == "alias"
                else identities.resolve(call.user_id, call.anonymous_id)) for call in calls]
    if not claim_all and identities.changes_identities() and session.get_bind().dialect.name == "postgresql":
        raise ClaimsNeeded("this batch merges or renames contacts")
    states = settle_contacts(session, identities, calls, [ref.final() for ref in targets], received_at)

    outcome = Ingested()
    for merge in identities.merges:
        outcome.requeued_event_ids += merge_contact_rows(session, merge.source.id, merge.target.id)
    outcome.merged_contacts = len(identities.merges)
    outcome.created_contacts = states.insert_new(session)
    insert_rows(session, AnonymousId.__table__,
                [{**link, "created_at": received_at} for link in identities.links()])
    rows = [event_row(call, ref.final().id, received_at) for call, ref in zip(calls, targets) if call.records_event]
    outcome.event_ids = insert_events(session, rows)
    outcome.duplicates = len(rows) - len(outcome.event_ids)
    # Last: the seen-time UPDATE takes row locks the batch did not hold yet, so it waits for nothing after it.
    outcome.changed_contacts = states.update_stored(session)
    outcome.segments_tracked = bool(outcome.changed_contacts) and bool(live_segment_triggers(session))
    return outcome


def settle_contacts(session: Session, identities: Identities, calls: Sequence[Call], targets: Sequence[ContactRef],
                    received_at: datetime) -> ContactStates:
    """Lock the stored contacts the batch touches, those whose own fields it may change (which it
    identifies, groups or renames) for rewriting, and work out every contact's fields once the calls
    are applied."""
    rewritten = {ref for call, ref in zip(calls, targets, strict=True)
                 if call.type in ("identify", "group") and ref.id is not None}
    rewritten |= {ref for ref in identities.stored.values()
                  if ref.merged_into is None and ref.user_id != ref.loaded_user_id}
    identities.lock(session, rewritten)  # a batch that merges or renames locks (and may rewrite) all it touches
    return ContactStates(identities, calls, targets, received_at)


def insert_events(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT the events whose messageId is new (one look-up, one INSERT), marked unapplied; returns their ids.

    The ids are reserved first, so the INSERT needs no RETURNING. A concurrent request
    storing the same messageId meanwhile makes the INSERT fail on the unique key, and
    the batch is retried: its look-up then finds that event. (ON CONFLICT DO NOTHING
    would cost every row a speculative insertion, for a race that comes only from a
    client sending a batch again before the first answer.)
    """
    message_ids = {row["message_id"] for row in rows if row["message_id"] is not None}
    if message_ids:
        stored = set(session.scalars(select(Event.message_id).where(any_of(session, Event.message_id, message_ids))))
        rows = [row for row in rows if row["message_id"] not in stored]
    if not rows:
        return []
    ids = reserve_ids(session, Event.__table__, len(rows))  # in call order: a job applies same-time events by id
    rows = [{"id": event_id, **row} for event_id, row in zip(ids, rows, strict=True)]
    # In messageId order, so two requests storing the same messageIds wait for each other in one order.
    rows.sort(key=lambda row: (row["message_id"] is None, row["message_id"] or ""))
    insert_rows(session, Event.__table__, rows)
    unapplied_events.mark(session, ids)
    return ids


class ContactStates:
    """Each contact's fields as the batch leaves them: the stored row (merged sources folded in), then every call."""

    def __init__(self, identities: Identities, calls: Sequence[Call], targets: Sequence[ContactRef],
                 received_at: datetime) -> None:
        self.identities = identities
        self.states: dict[int, dict[str, Any]] = {}  # id(ContactRef) → fields
        self.refs: dict[int, ContactRef] = {}
        self.changed: set[int] = set()  # id(ContactRef) of contacts whose traits changed
        for ref in identities.stored.values():
            if ref.merged_into is None and ref.row is not None:
                self._state(ref).update(ref.row, user_id=ref.user_id)
                if ref.user_id != ref.loaded_user_id:
                    self.changed.add(id(ref))
        for merge in identities.merges:
            self._fold(merge.target.final(), merge.source.row or {})
        for call, ref in zip(calls, targets, strict=True):
            self.apply(call, ref, received_at)

    def _state(self, ref: ContactRef) -> dict[str, Any]:
        key = id(ref)
        if key not in self.states:
            self.refs[key] = ref
            self.states[key] = {"user_id": ref.user_id, "email": None, "phone": None, "name": None,
                                "time_zone": None, "properties": {}, "tags": [], "first_seen_at": None,
                                "last_seen_at": None, "unsubscribed_at": None}
        return self.states[key]

    def _fold(self, target: ContactRef, source: dict[str, Any]) -> None:
        """The merged visitor's fields fill the target's gaps; the target's own values win."""
        state = self._state(target)
        for name in ("email", "phone", "name", "time_zone", "unsubscribed_at"):
            if state[name] is None:
                state[name] = source.get(name)
        state["properties"] = {**(source.get("properties") or {}), **state["properties"]}
        state["tags"] = list(dict.fromkeys([*state["tags"], *(source.get("tags") or [])]))
        self._seen(state, source.get("first_seen_at"), source.get("last_seen_at"))
        self.changed.add(id(target))

    @staticmethod
    def _seen(state: dict[str, Any], first: datetime | None, last: datetime | None) -> None:
        if first is not None and (state["first_seen_at"] is None or first < state["first_seen_at"]):
            state["first_seen_at"] = first
        if last is not None and (state["last_seen_at"] is None or last > state["last_seen_at"]):
            state["last_seen_at"] = last

    def apply(self, call: Call, ref: ContactRef, received_at: datetime) -> None:
        """What one call does to its contact: seen at its time; identify's traits; group's account; time zone."""
        at = call.happened_at(received_at)
        time_zone = call.context.get("timezone") if isinstance(call.context.get("timezone"), str) else None
        state = self._state(ref)
        if call.type in ("identify", "group"):
            before = {name: value for name, value in state.items() if name not in SEEN_FIELDS}
        self._seen(state, at, at)
        if call.type == "identify":
            apply_traits(state, call.traits)
        elif call.type == "group" and call.group_id is not None:
            apply_group(state, call.group_id, call.traits)
        if state["time_zone"] is None and time_zone is not None:
            state["time_zone"] = time_zone
            self.changed.add(id(ref))
        elif call.type in ("identify", "group") and (
                {name: value for name, value in state.items() if name not in SEEN_FIELDS} != before):
            self.changed.add(id(ref))

    def _stored(self) -> Iterator[tuple[ContactRef, dict[str, Any]]]:
        """(ref, fields) of the stored contacts the batch keeps (merged ones go)."""
        for key, state in self.states.items():
            ref = self.refs[key]
            if ref.row is not None and ref.merged_into is None:
                yield ref, state

    def insert_new(self, session: Session) -> int:
        """INSERT the contacts the batch created (one statement) and give their refs their reserved ids."""
        new = [ref for ref in self.identities.created if ref.merged_into is None]
        if not new:
            return 0
        for ref, contact_id in zip(new, reserve_ids(session, Contact.__table__, len(new)), strict=True):
            ref.id = contact_id
        insert_rows(session, Contact.__table__, [{"id": ref.id, **self.states[id(ref)]} for ref in new])
        return len(new)

    def update_stored(self, session: Session) -> list[int]:
        """UPDATE the stored contacts the batch changed; returns the ids of those whose traits changed
        (new contacts included), for the segment re-check.

        Two statements: whole rows for the (locked) contacts whose own fields changed, and
        only the seen times and time zone for the rest — where last_seen_at moves by at
        least SEEN_PRECISION, so a busy visitor's row is not rewritten by every batch.
        """
        rewritten, seen = [], []
        for ref, state in self._stored():
            if ref.locked and any(state[name] != ref.row[name] for name in CONTACT_FIELDS if name not in SEEN_ONLY):
                rewritten.append({"id": ref.id, **state})
            elif (state["last_seen_at"] - ref.row["last_seen_at"] >= SEEN_PRECISION
                  or state["first_seen_at"] < ref.row["first_seen_at"] or state["time_zone"] != ref.row["time_zone"]):
                seen.append({"id": ref.id, **{name: state[name] for name in SEEN_ONLY}})
        update_rows(session, Contact.__table__, rewritten)
        _move_seen_times(session, seen)
        return sorted(self.refs[key].id for key in self.changed if self.refs[key].merged_into is None)


def _move_seen_times(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write the contacts' new seen times and time zones (see _MOVE_SEEN_TIMES); SQLite, whose one
    writer read the rows under its write lock, gets the values as worked out."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_MOVE_SEEN_TIMES, {"ids": [row["id"] for row in rows],
                                           "firsts": [row["first_seen_at"] for row in rows],
                                           "lasts": [row["last_seen_at"] for row in rows],
                                           "zones": [row["time_zone"] for row in rows]})
        return
    table = Contact.__table__
    statement = update(table).where(table.c.id == bindparam("contact_id"))
    session.execute(statement, [{"contact_id": row.pop("id"), **row} for row in rows])
