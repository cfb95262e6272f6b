"""First-touch attribution: where a contact came from, by the UTM tags of their earliest event that carried any.

The contact list's source column, its CSV export and the revenue report's breakdown by source read it, so
a contact is attributed the same everywhere. Ties in time go to the event stored first.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from workflow_runtime.storage.models import Event

UTM_TAGS = ("utm_source", "utm_medium", "utm_campaign")


def _tagged(event: type[Event] | object) -> ColumnElement[bool]:
    return or_(*(getattr(event, tag).is_not(None) for tag in UTM_TAGS))


def first_touches(session: Session, contact_ids: Iterable[int]) -> dict[int, dict[str, str | None]]:
    """The UTM tags of each contact's first touch, by contact id (contacts with no tagged event are left out)."""
    ids = list(contact_ids)
    if not ids:
        return {}
    tags = [getattr(Event, tag) for tag in UTM_TAGS]
    ranked = (
        select(Event.contact_id, *tags,
               func.row_number().over(partition_by=Event.contact_id, order_by=(Event.timestamp, Event.id)).label("n"))
        .where(Event.contact_id.in_(ids), _tagged(Event))
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.n == 1))
    return {row.contact_id: {tag: getattr(row, tag) for tag in UTM_TAGS} for row in rows}


def first_touch_id(contact_id: ColumnElement[int]) -> ColumnElement[int]:
    """The id of the first-touch event of the contact `contact_id` names (a column of an outer query), NULL
    when none: a correlated subquery, to join the event's tags to rows of that contact."""
    return (select(Event.id).where(Event.contact_id == contact_id, _tagged(Event))
            .order_by(Event.timestamp, Event.id).limit(1).scalar_subquery())
