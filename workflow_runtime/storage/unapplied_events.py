"""Which stored events no job has applied to the flows yet (the `unapplied_events` queue table).

Whoever stores an event marks it unapplied in the same transaction (`mark`, or `record`
for ORM events); the job that applies it takes the mark out in its own transaction
(`claim`), so a replayed or duplicated job finds nothing left to do, and an event whose
job was lost (a killed worker, a flushed Redis) is still found (`event_ids`).
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from workflow_runtime.storage.bulk import Prepared, insert_rows
from workflow_runtime.storage.models import Event, UnappliedEvent

UNAPPLIED = UnappliedEvent.__table__
_CLAIM = Prepared(lambda in_list: delete(UnappliedEvent).where(in_list(UnappliedEvent.event_id, "ids"))
                  .returning(UnappliedEvent.event_id))


def mark(session: Session, event_ids: Sequence[int]) -> None:
    """These newly stored events wait for a job to apply them."""
    insert_rows(session, UNAPPLIED, [{"event_id": event_id} for event_id in event_ids])


def record(session: Session, events: Sequence[Event]) -> list[int]:
    """Store these ORM events, marked unapplied; returns their ids (to queue them)."""
    session.add_all(events)
    session.flush()
    event_ids = [event.id for event in events]
    mark(session, event_ids)
    return event_ids


def claim(session: Session, event_ids: Collection[int]) -> set[int]:
    """Take the marks of these events out, for the caller's transaction to apply them; returns the
    ids that were still unapplied. A concurrent claim of the same events waits for this
    transaction and then finds them gone."""
    if not event_ids:
        return set()
    return set(session.connection().scalars(*_CLAIM.bound(session, ids=event_ids)))


def event_ids(session: Session, *, received_before: datetime | None = None,
              contact_id: int | None = None) -> list[int]:
    """The unapplied events (those received before a time, or of one contact), in id order."""
    query = select(UnappliedEvent.event_id).order_by(UnappliedEvent.event_id)
    if received_before is not None or contact_id is not None:
        query = query.join(Event, Event.id == UnappliedEvent.event_id)
    if received_before is not None:
        query = query.where(Event.received_at <= received_before)
    if contact_id is not None:
        query = query.where(Event.contact_id == contact_id)
    return list(session.scalars(query))


def count(session: Session) -> int:
    """How many events wait to be applied."""
    return session.scalar(select(func.count()).select_from(UnappliedEvent)) or 0
