"""The contact card: who the contact is, what they did, what we sent them and what they answered, and where
they are in which flows."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from inscriptis import get_text
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from flows.document import node_label
from workflow_runtime.storage.models import (
    Channel,
    Contact,
    Event,
    Failure,
    FailureKind,
    Flow,
    FlowVersion,
    Message,
    MessageStatus,
    MessageTemplate,
    Reply,
    Run,
    RunStatus,
)

# Messages and runs are listed whole up to this many (latest first); the timeline pages.
RECENT = 100
# The longest excerpt of a message's text the card shows, in characters.
EXCERPT_CHARACTERS = 200
# An MJML email's head holds styles and attributes, not text the contact reads.
_MJML_HEAD = re.compile(r"<mj-head\b.*?</mj-head\s*>", re.IGNORECASE | re.DOTALL)
# The other MJML components are blocks (a text, a button, a column): read as <div>s, each ends a line.
_MJML_TAG = re.compile(r"<(/?)mj-[a-z-]+\b[^>]*>", re.IGNORECASE)


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
    """The card of `contact_id`: fields, one page of the event timeline (latest first), messages with the
    contact's replies, and runs at their steps.

    Raises ContactNotFound.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ContactNotFound(f"There is no contact with id {contact_id}.")
    card = {"contact": {**contact_fields(contact),
                        "anonymous_ids": sorted(anonymous.anonymous_id for anonymous in contact.anonymous_ids)}}
    card["events_total"] = session.scalar(select(func.count()).where(Event.contact_id == contact_id)) or 0
    card["events"] = _events(session, contact_id, events_limit, events_offset)
    messages = list(session.scalars(select(Message).where(Message.contact_id == contact_id)
                                    .order_by(Message.created_at.desc(), Message.id.desc()).limit(RECENT)))
    runs = list(session.scalars(select(Run).where(Run.contact_id == contact_id)
                                .order_by(Run.entered_at.desc(), Run.id.desc()).limit(RECENT)))
    versions = _versions(session, {message.flow_version_id for message in messages} | {run.flow_version_id for run in runs})
    card["messages"] = _messages(session, messages, versions)
    card["runs"] = _runs(session, runs, versions)
    return card


def _excerpt(text: str, markup: bool = False) -> str:
    """The start of a message's text on one line; `markup` (an email's MJML or HTML) is read as text first."""
    if markup:
        text = get_text(_MJML_TAG.sub(r"<\1div>", _MJML_HEAD.sub("", text)))
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT_CHARACTERS else line[:EXCERPT_CHARACTERS - 1].rstrip() + "…"


def _versions(session: Session, version_ids: Collection[int | None]) -> dict[int, Row[Any]]:
    """The flow versions by id, with their flow's name, number and document (for node labels)."""
    ids = [version_id for version_id in version_ids if version_id is not None]
    if not ids:
        return {}
    query = (select(FlowVersion.id, FlowVersion.flow_id, FlowVersion.number, FlowVersion.document, Flow.name)
             .join(Flow, Flow.id == FlowVersion.flow_id).where(FlowVersion.id.in_(ids)))
    return {version.id: version for version in session.execute(query)}


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


def _messages(session: Session, messages: list[Message], versions: dict[int, Row[Any]]) -> list[dict[str, Any]]:
    replies = _replies(session, [message.id for message in messages])
    templates = _email_templates(session, messages)
    shown = []
    for message in messages:
        version = versions.get(message.flow_version_id)
        subject, text = _heading_and_text(message, templates)
        shown.append({
            "id": message.id, "channel": message.channel.value, "status": message.status.value,
            "statuses": list(message.statuses or []),
            "flow_id": version.flow_id if version else None, "flow_name": version.name if version else None,
            "version": version.number if version else None, "node_id": message.node_id,
            "node_label": node_label(version.document, message.node_id) if version and message.node_id else None,
            "content": _shown(message), "subject": subject, "excerpt": text,
            "error": message.last_error if MessageStatus.FAILED.value in (message.statuses or []) else None,
            "replies": replies.get(message.id, []),
            "created_at": message.created_at, "updated_at": message.updated_at,
        })
    return shown


def _replies(session: Session, message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The contact's replies to these messages, oldest first, by message."""
    by_message: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    if message_ids:
        query = select(Reply).where(Reply.message_id.in_(message_ids)).order_by(Reply.created_at, Reply.id)
        for reply in session.scalars(query):
            by_message[reply.message_id].append(
                {"id": reply.id, "body": reply.body, "source": reply.source.value, "created_at": reply.created_at})
    return by_message


def _email_templates(session: Session, messages: Iterable[Message]) -> dict[int, MessageTemplate]:
    """The saved templates the emails were sent from (an email keeps its template's id, not its text)."""
    ids = {message.content.get("template_id") for message in messages if message.channel is Channel.EMAIL}
    ids.discard(None)
    if not ids:
        return {}
    return {template.id: template for template in session.scalars(select(MessageTemplate).where(MessageTemplate.id.in_(ids)))}


def _heading_and_text(message: Message, templates: dict[int, MessageTemplate]) -> tuple[str | None, str | None]:
    """The message's heading (an email's subject, a popup's title, a webhook's request line) and its text's
    start, as written in its node or template, personalisation tags included."""
    content = message.content
    if content.get("forwards") == Channel.CHAT.value:  # a send_chat node's email of its unread chat message
        return "The unread chat message, forwarded by email", None
    if message.channel is Channel.WEBHOOK:
        return f"{content.get('method', '')} {content.get('url', '')}".strip() or None, None
    if message.channel is Channel.EMAIL:
        template = templates.get(content.get("template_id"))
        subject = template.subject if template is not None else content.get("subject")
        body = template.body if template is not None else content.get("body")
        return subject or None, _excerpt(body, markup=True) if body else None
    body = content.get("body")
    return content.get("title"), _excerpt(body) if isinstance(body, str) else None


def _shown(message: Message) -> dict[str, Any]:
    """What the card shows of a message: all of it, but a webhook call's headers, which may carry an
    integration's credentials (they stay in the flow and the ledger, for the deliverer)."""
    if message.channel is Channel.WEBHOOK:
        return {key: value for key, value in (message.content or {}).items() if key != "headers"}
    return message.content


def _runs(session: Session, runs: list[Run], versions: dict[int, Row[Any]]) -> list[dict[str, Any]]:
    errors = _run_errors(session, [run.id for run in runs if run.status is RunStatus.ERRORED])
    shown = []
    for run in runs:
        version = versions[run.flow_version_id]
        shown.append({
            "id": run.id, "flow_id": run.flow_id, "flow_name": version.name, "version": version.number,
            "node_id": run.node_id, "node_label": node_label(version.document, run.node_id),
            "status": run.status.value, "entered_at": run.entered_at, "waiting_until": run.wake_at,
            "waiting_for": run.waiting_for, "ended_at": run.ended_at, "end_reason": run.end_reason,
            "error": errors.get(run.id), "converted_at": run.converted_at,
            "revenue": float(run.revenue) if run.revenue is not None else None,
        })
    return shown


def _run_errors(session: Session, run_ids: list[int]) -> dict[int, str]:
    """Why each of these parked runs failed: the error its failure keeps, by run id."""
    if not run_ids:
        return {}
    query = select(Failure.item_id, Failure.error).where(Failure.kind == FailureKind.RUN,
                                                         Failure.item_id.in_(run_ids))
    return {run_id: error for run_id, error in session.execute(query)}
