"""The contact card: who the contact is, what they did, what we sent them, and where they are in which flows."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_runtime.storage.models import Channel, Contact, Event, Flow, FlowVersion, Message, Run

# Messages and runs are listed whole up to this many (latest first); the timeline pages.
RECENT = 100


class ContactNotFound(LookupError):
    """No contact has this id."""


def contact_fields(contact: Contact) -> dict[str, Any]:
    """The contact's first-class fields and properties."""
    return {
        "id": contact.id,
        **contact.builtin_fields(),
        "properties": contact.properties or {},
        "first_seen_at": contact.first_seen_at,
        "last_seen_at": contact.last_seen_at,
        "unsubscribed_at": contact.unsubscribed_at,
    }


def contact_card(session: Session, contact_id: int, events_limit: int = 50, events_offset: int = 0) -> dict[str, Any]:
    """The card of `contact_id`: fields, one page of the event timeline (latest first), messages and runs.

    Raises ContactNotFound.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ContactNotFound(f"There is no contact with id {contact_id}.")
    card = {"contact": {**contact_fields(contact),
                        "anonymous_ids": sorted(anonymous.anonymous_id for anonymous in contact.anonymous_ids)}}
    card["events_total"] = session.scalar(select(func.count()).where(Event.contact_id == contact_id)) or 0
    card["events"] = _events(session, contact_id, events_limit, events_offset)
    card["messages"] = _messages(session, contact_id)
    card["runs"] = _runs(session, contact_id)
    return card


def _events(session: Session, contact_id: int, limit: int, offset: int) -> list[dict[str, Any]]:
    query = (
        select(Event)
        .where(Event.contact_id == contact_id)
        .order_by(Event.timestamp.desc(), Event.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        {"id": event.id, "name": event.name, "properties": event.properties or {}, "timestamp": event.timestamp,
         "page_url": event.page_url, "page_title": event.page_title, "referrer": event.referrer,
         "utm_source": event.utm_source, "utm_medium": event.utm_medium, "utm_campaign": event.utm_campaign}
        for event in session.scalars(query)
    ]


def _messages(session: Session, contact_id: int) -> list[dict[str, Any]]:
    query = (
        select(Message, FlowVersion.flow_id, FlowVersion.number)
        .outerjoin(FlowVersion, FlowVersion.id == Message.flow_version_id)
        .where(Message.contact_id == contact_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(RECENT)
    )
    return [
        {"id": message.id, "channel": message.channel.value, "status": message.status.value,
         "statuses": list(message.statuses or []), "flow_id": flow_id, "version": number,
         "node_id": message.node_id, "content": _shown(message), "created_at": message.created_at,
         "updated_at": message.updated_at}
        for message, flow_id, number in session.execute(query)
    ]


def _shown(message: Message) -> dict[str, Any]:
    """What the card shows of a message: all of it, but a webhook call's headers, which may carry an
    integration's credentials (they stay in the flow and the ledger, for the deliverer)."""
    if message.channel is Channel.WEBHOOK:
        return {key: value for key, value in (message.content or {}).items() if key != "headers"}
    return message.content


def _runs(session: Session, contact_id: int) -> list[dict[str, Any]]:
    query = (
        select(Run, Flow.name, FlowVersion.number)
        .join(Flow, Flow.id == Run.flow_id)
        .join(FlowVersion, FlowVersion.id == Run.flow_version_id)
        .where(Run.contact_id == contact_id)
        .order_by(Run.entered_at.desc(), Run.id.desc())
        .limit(RECENT)
    )
    return [
        {"id": run.id, "flow_id": run.flow_id, "flow_name": name, "version": number, "node_id": run.node_id,
         "status": run.status.value, "entered_at": run.entered_at, "waiting_until": run.wake_at,
         "waiting_for": run.waiting_for, "ended_at": run.ended_at, "end_reason": run.end_reason,
         "converted_at": run.converted_at, "revenue": float(run.revenue) if run.revenue is not None else None}
        for run, name, number in session.execute(query)
    ]
