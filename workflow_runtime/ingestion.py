"""Ingestion: a batch of Segment calls stored in one transaction, set-based, then handed to the runtime.

A batch costs a few statements whatever its size: two to read the identities it names,
one to lock the contacts it touches, one INSERT for new contacts, one executemany
UPDATE for changed ones, one INSERT for new anonymous ids and one
`INSERT … ON CONFLICT (message_id) DO NOTHING` for its events (a messageId seen before
is stored once). Only merges — an anonymous visitor identified as a known contact —
cost statements of their own. After the commit the new events are queued for the
`process_events` jobs (goals, exit rules, wake-ups, enrolment), exactly as any other
event, and contacts whose traits changed get a segment re-check, so "entered segment"
triggers fire.

Two requests racing to create the same contact or link the same anonymous id collide
on a unique key; the loser's transaction is rolled back and the batch retried, and it
then finds what the winner stored.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from workflow_runtime.bulk import any_of
from workflow_runtime.contact_merge import merge_contact_rows
from workflow_runtime.database import begin_writing, reserve_ids
from workflow_runtime.identity import CONTACT_FIELDS, ContactRef, Identities, IdentityChanged
from workflow_runtime.models import AnonymousId, Contact, Event
from workflow_runtime.runtime import Runtime
from workflow_runtime.tracking_calls import Call, apply_group, apply_traits, event_row

ATTEMPTS = 5
# A lost race on a unique key, a contact merged under our feet, a deadlock or a busy SQLite file.
RETRYABLE = (IntegrityError, OperationalError, IdentityChanged)
SEEN_FIELDS = frozenset({"first_seen_at", "last_seen_at"})
SEEN_ONLY = ("first_seen_at", "last_seen_at", "time_zone")  # what a call without traits may change
# A contact's last_seen_at is kept to the minute: a busy visitor's row is not rewritten by every batch.
SEEN_PRECISION = timedelta(minutes=1)


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


def ingest(current: Runtime, calls: Sequence[Call]) -> Ingested:
    """Store the calls (received now, by the runtime's clock) and queue their events for the runtime.

    Raises:
        IngestionBusy: if concurrent batches kept changing the same contacts.
    """
    received_at = current.clock.now()
    unique, repeated = _first_of_each_message(calls)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with current.sessions.begin() as session:
                outcome = store_calls(session, unique, received_at)
            break
        except RETRYABLE as error:
            if attempt == ATTEMPTS:
                raise IngestionBusy(f"the batch could not be stored after {ATTEMPTS} attempts: {error}") from error
    outcome.duplicates += repeated
    current.dispatcher.enqueue_events(outcome.event_ids + outcome.requeued_event_ids)
    if outcome.changed_contacts:
        current.dispatcher.enqueue_segment_refresh(outcome.changed_contacts)
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


def store_calls(session: Session, calls: Sequence[Call], received_at: datetime) -> Ingested:
    """Resolve, create, merge and update contacts, and insert the events, in the caller's transaction."""
    begin_writing(session)
    identities = Identities.load(session, _identifiers(calls))
    targets = [(identities.alias(call.previous_id, call.user_id) if call.type == "alias"
                else identities.resolve(call.user_id, call.anonymous_id)) for call in calls]
    identities.lock(session)
    states = ContactStates(identities)
    for call, ref in zip(calls, targets, strict=True):
        states.apply(call, ref.final(), received_at)

    outcome = Ingested()
    for merge in identities.merges:
        outcome.requeued_event_ids += merge_contact_rows(session, merge.source.id, merge.target.id)
    outcome.merged_contacts = len(identities.merges)
    outcome.created_contacts = states.insert_new(session)
    outcome.changed_contacts = states.update_stored(session)
    links = identities.links()
    if links:
        session.execute(insert(AnonymousId.__table__), [{**link, "created_at": received_at} for link in links])
    rows = [event_row(call, ref.final().id, received_at) for call, ref in zip(calls, targets) if call.records_event]
    outcome.event_ids = insert_events(session, rows)
    outcome.duplicates = len(rows) - len(outcome.event_ids)
    return outcome


def insert_events(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT the events whose messageId is new (one look-up, one executemany); returns their ids.

    The ids are reserved first, so the INSERT needs no RETURNING and runs as a plain
    executemany; ON CONFLICT DO NOTHING covers a concurrent request storing the same
    messageId meanwhile (its reserved id then names no event, which a job ignores).
    """
    message_ids = {row["message_id"] for row in rows if row["message_id"] is not None}
    if message_ids:
        stored = set(session.scalars(select(Event.message_id).where(any_of(session, Event.message_id, message_ids))))
        rows = [row for row in rows if row["message_id"] not in stored]
    if not rows:
        return []
    ids = reserve_ids(session, Event.__table__, len(rows))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Event.__table__).on_conflict_do_nothing(index_elements=["message_id"])
    session.execute(statement, [{"id": event_id, **row} for event_id, row in zip(ids, rows, strict=True)])
    return ids


class ContactStates:
    """Each contact's fields as the batch leaves them: the stored row (merged sources folded in), then every call."""

    def __init__(self, identities: Identities) -> None:
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
        before = {name: value for name, value in state.items() if name not in SEEN_FIELDS}
        self._seen(state, at, at)
        if call.type == "identify":
            apply_traits(state, call.traits)
        elif call.type == "group" and call.group_id is not None:
            apply_group(state, call.group_id, call.traits)
        if state["time_zone"] is None and time_zone is not None:
            state["time_zone"] = time_zone
        if {name: value for name, value in state.items() if name not in SEEN_FIELDS} != before:
            self.changed.add(id(ref))

    def insert_new(self, session: Session) -> int:
        """INSERT the contacts the batch created (one executemany) and give their refs their reserved ids."""
        new = [ref for ref in self.identities.created if ref.merged_into is None]
        if not new:
            return 0
        for ref, contact_id in zip(new, reserve_ids(session, Contact.__table__, len(new)), strict=True):
            ref.id = contact_id
        session.execute(insert(Contact.__table__), [{"id": ref.id, **self.states[id(ref)]} for ref in new])
        return len(new)

    def update_stored(self, session: Session) -> list[int]:
        """UPDATE the stored contacts the batch changed, in id order; returns the ids of those whose
        traits changed (new contacts included), for the segment re-check.

        Two executemany statements: whole rows for contacts whose traits changed, and only
        the seen times and time zone for the rest — where last_seen_at moves by at least
        SEEN_PRECISION, so a busy visitor's row is not rewritten by every batch.
        """
        rewritten, seen = [], []
        for key, state in self.states.items():
            ref = self.refs[key]
            if ref.row is None or ref.merged_into is not None:
                continue
            if any(state[name] != ref.row[name] for name in CONTACT_FIELDS if name not in SEEN_ONLY):
                rewritten.append({"contact_id": ref.id, **state})
            elif (state["last_seen_at"] - ref.row["last_seen_at"] >= SEEN_PRECISION
                  or state["first_seen_at"] < ref.row["first_seen_at"] or state["time_zone"] != ref.row["time_zone"]):
                seen.append({"contact_id": ref.id, **{name: state[name] for name in SEEN_ONLY}})
        table = Contact.__table__
        for rows in (rewritten, seen):
            if rows:
                statement = update(table).where(table.c.id == bindparam("contact_id"))
                session.execute(statement, sorted(rows, key=lambda row: row["contact_id"]))
        return sorted(self.refs[key].id for key in self.changed if self.refs[key].merged_into is None)
