"""What a replay reads from the live database, and only reads: the workspace's segments, templates and settings,
the window's contacts and their events, who was enrolled by hand, and what contacts did with their messages.

Contacts' properties are not kept historically (identify and group calls store no event: only track, page and
screen calls do), so contacts are copied as they are now, those created within the window too; only
`unsubscribed_at` is put back to what it was when the window opened (it is replayed at its time).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from workflow_runtime.forecast.window import Window
from workflow_runtime.storage.models import (
    Contact,
    Event,
    FlowVersion,
    Message,
    MessageStatus,
    MessageTemplate,
    Run,
    Segment,
    WorkspaceSetting,
)

# Rows read per statement: within SQLite's bound parameters, and a page of events a replay holds at once.
PAGE = 5000
# What the send itself records in a replay; every later status is replayed from the live message.
RECORDED_BY_THE_SEND = frozenset({MessageStatus.SENT.value})
WORKSPACE_TABLES = (Segment.__table__, MessageTemplate.__table__, WorkspaceSetting.__table__)


@dataclass(frozen=True)
class Engagement:
    """What a contact did with the `ordinal`-th message (0 first) a node sent them on a channel, in reality:
    statuses after `sent`, replayed at `at` (when the message last changed: the ledger keeps no time per status)."""

    at: datetime
    contact_id: int
    node_id: str
    channel: str
    ordinal: int
    statuses: tuple[str, ...]


def workspace_rows(live: Session) -> dict[Any, list[dict[str, Any]]]:
    """Every segment, message template and workspace setting: few rows, which conditions and sends may name."""
    return {table: [dict(row) for row in live.execute(select(table)).mappings()] for table in WORKSPACE_TABLES}


def window_contacts(live: Session, window: Window, enrolled: Sequence[tuple[datetime, int]]) -> list[int]:
    """The contacts with an event in the window, and those enrolled by hand in it."""
    query = select(Event.contact_id).where(Event.timestamp >= window.start, Event.timestamp < window.end).distinct()
    return sorted(set(live.scalars(query)) | {contact_id for _at, contact_id in enrolled})


def count_events(live: Session, window: Window) -> int:
    return live.scalar(select(func.count()).where(Event.timestamp >= window.start, Event.timestamp < window.end)) or 0


def contact_rows(live: Session, contact_ids: Sequence[int], window: Window) -> Iterator[list[dict[str, Any]]]:
    """The contacts, a page at a time, as they are now, but not yet unsubscribed if they unsubscribed in the window
    or later (`unsubscribes` replays it)."""
    table = Contact.__table__
    for start in range(0, len(contact_ids), PAGE):
        page = contact_ids[start:start + PAGE]
        rows = [dict(row) for row in live.execute(select(table).where(table.c.id.in_(page))).mappings()]
        for row in rows:
            if row["unsubscribed_at"] is not None and row["unsubscribed_at"] >= window.start:
                row["unsubscribed_at"] = None
        yield rows


def unsubscribes(live: Session, contact_ids: Sequence[int], window: Window) -> list[tuple[datetime, int]]:
    """(when, contact) of the contacts that unsubscribed within the window, in time order."""
    found: list[tuple[datetime, int]] = []
    for start in range(0, len(contact_ids), PAGE):
        page = contact_ids[start:start + PAGE]
        found += [(at, contact_id) for at, contact_id in live.execute(select(Contact.unsubscribed_at, Contact.id).where(
            Contact.id.in_(page), Contact.unsubscribed_at >= window.start,
            Contact.unsubscribed_at < window.end))]
    return sorted(found)


def earlier_events(live: Session, contact_ids: Sequence[int], window: Window) -> Iterator[list[dict[str, Any]]]:
    """The contacts' events before the window, a page at a time: the history conditions read."""
    table = Event.__table__
    for start in range(0, len(contact_ids), PAGE):
        page = contact_ids[start:start + PAGE]
        yield [dict(row) for row in live.execute(
            select(table).where(table.c.contact_id.in_(page), table.c.timestamp < window.start)).mappings()]


def window_events(live: Session, window: Window) -> Iterator[list[dict[str, Any]]]:
    """The window's events in time order (then id, the order a job applies same-time events), a page at a time,
    each page read in a short transaction of its own (by the last one's timestamp and id)."""
    table = Event.__table__
    after: tuple[datetime, int] | None = None
    while True:
        query = select(table).where(table.c.timestamp >= window.start, table.c.timestamp < window.end)
        if after is not None:
            query = query.where(or_(table.c.timestamp > after[0],
                                    and_(table.c.timestamp == after[0], table.c.id > after[1])))
        rows = [dict(row) for row in live.execute(query.order_by(table.c.timestamp, table.c.id).limit(PAGE)).mappings()]
        live.rollback()  # no read transaction held open across the replay
        if not rows:
            return
        after = (rows[-1]["timestamp"], rows[-1]["id"])  # before the reader takes the page's rows
        yield rows


def manual_enrolments(live: Session, flow_id: int, window: Window) -> list[tuple[datetime, int]]:
    """(when, contact) of the flow's runs started by hand (a broadcast, the API) in the window, in time order."""
    query = select(Run.entered_at, Run.contact_id, Run.context).where(
        Run.flow_id == flow_id, Run.entered_at >= window.start, Run.entered_at < window.end)
    return sorted((entered_at, contact_id) for entered_at, contact_id, context in live.execute(query)
                  if (context or {}).get("trigger", {}).get("manual"))


def engagements(live: Session, flow_id: int, window: Window) -> list[Engagement]:
    """What contacts did, in the window, with the messages any version of the flow sent them, in time order."""
    versions = select(FlowVersion.id).where(FlowVersion.flow_id == flow_id)
    query = (select(Message.contact_id, Message.node_id, Message.channel, Message.statuses, Message.updated_at)
             .where(Message.flow_version_id.in_(versions), Message.created_at >= window.start,
                    Message.created_at < window.end)
             .order_by(Message.contact_id, Message.node_id, Message.channel, Message.created_at, Message.id))
    found: list[Engagement] = []
    ordinals: dict[tuple[int, str, str], int] = {}
    for contact_id, node_id, channel, statuses, updated_at in live.execute(query):
        key = (contact_id, node_id, channel.value)
        ordinal = ordinals[key] = ordinals.get(key, -1) + 1
        later = tuple(status for status in statuses or [] if status not in RECORDED_BY_THE_SEND)
        if later and updated_at < window.end:
            found.append(Engagement(updated_at, contact_id, node_id, channel.value, ordinal, later))
    return sorted(found, key=lambda engagement: (engagement.at, engagement.contact_id))


def sent_in_reality(live: Session, flow_id: int, window: Window) -> set[tuple[int, str, str]]:
    """(contact, node, channel) of every message the flow sent in the window: a forecast's message without one
    has no statuses to replay."""
    versions = select(FlowVersion.id).where(FlowVersion.flow_id == flow_id)
    query = select(Message.contact_id, Message.node_id, Message.channel).where(
        Message.flow_version_id.in_(versions), Message.created_at >= window.start, Message.created_at < window.end)
    return {(contact_id, node_id, channel.value) for contact_id, node_id, channel in live.execute(query)}
