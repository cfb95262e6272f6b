"""The on-site inbox: what a visitor's widget shows and what it reports back.

The ledger keeps each chat message and popup as its node config (templates, not text);
this module renders them for the contact with the personalisation sandbox the moment the
widget asks, and records the visitor's statuses and messages: an answer to a message is counted
`replied` at its send node; either moves the contact's conversation with the team
(`conversations.contact_wrote`). An operator's chat message (`operator_content`) is the
operator's plain text, shown as typed, never rendered as a template.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from nodes.personalisation import PersonalisationError, contact_variables, render_value
from workflow_runtime.channels import team_push
from workflow_runtime.channels.messages import locked, record_status
from workflow_runtime.engine import conversations
from workflow_runtime.storage.bulk import any_of
from workflow_runtime.storage.models import (
    ONSITE_CHANNELS,
    AnonymousId,
    Channel,
    Contact,
    Message,
    MessageStatus,
    Reply,
    ReplySource,
    Run,
)

log = logging.getLogger(__name__)

# What the visitor's widget may report; replies come with their text through `reply`.
# The longest reply a visitor can write into the chat, from the widget or by email.
MAX_REPLY_CHARACTERS = 5000
VISITOR_STATUSES = frozenset({MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.CLICKED,
                              MessageStatus.DISMISSED})
# The statuses under which the widget still has something to show: a popup until it is seen,
# a chat message until it reached the widget (after that it lives in the conversation).
_PENDING = or_(
    and_(Message.channel == Channel.POPUP, Message.status.in_([MessageStatus.SENT, MessageStatus.DELIVERED])),
    and_(Message.channel == Channel.CHAT, Message.status == MessageStatus.SENT),
)
# What each channel shows; the rest of a node's config (email fallback, …) stays on the server.
_SHOWN_FIELDS = {Channel.POPUP: ("size", "title", "body", "button"), Channel.CHAT: ("body", "sender_name")}


@dataclass(frozen=True)
class ContactMessage:
    """What the contact wrote, as the widget shows it, with what it changed: the events the conversation
    recorded (to queue after the commit) and the notice for the team's inboxes."""

    reply: Reply
    view: dict[str, Any]
    event_ids: list[int]
    notice: dict[str, Any]


class NotYourMessage(PermissionError):
    """The message belongs to another contact: the visitor may not see or touch it."""


class UnknownMessage(LookupError):
    """No on-site message has this id."""


def visitor_contact(session: Session, anonymous_id: str) -> int | None:
    """The contact a browser's anonymous id belongs to now (identify may have merged it into a known one)."""
    return session.scalar(select(AnonymousId.contact_id).where(AnonymousId.anonymous_id == anonymous_id))


def pending(session: Session, contact_id: int, exclude: Collection[int] = ()) -> list[dict[str, Any]]:
    """The messages the widget should show now (the latest 50 at most), rendered for the contact, oldest first."""
    query = _with_runs().where(Message.contact_id == contact_id, _PENDING)
    if exclude:  # what this stream already sent stays in the database, not on the wire
        query = query.where(Message.id.not_in(list(exclude)))
    rows = session.execute(query.order_by(Message.id.desc()).limit(50)).all()
    return _render_all(session, contact_id, rows[::-1])


def recorded(session: Session, message_keys: Collection[str]) -> dict[int, list[dict[str, Any]]]:
    """The still pending on-site messages with these idempotency keys, as `pending` shows them, per contact:
    what a job that has just recorded them announces to the contacts' open widgets."""
    rows = session.execute(_with_runs().where(any_of(session, Message.idempotency_key, message_keys), _PENDING)
                           .order_by(Message.id)).all()
    by_contact: defaultdict[int, list[tuple[Message, dict[str, Any] | None]]] = defaultdict(list)
    for message, context in rows:
        by_contact[message.contact_id].append((message, context))
    # One query loads the contacts into the session, where _render_all's look-ups find them.
    session.scalars(select(Contact).where(any_of(session, Contact.id, by_contact))).all()
    return {contact_id: _render_all(session, contact_id, messages) for contact_id, messages in by_contact.items()}


def conversation(session: Session, contact_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The chat so far — the contact's chat messages and replies — oldest first, the latest `limit` items."""
    messages = session.execute(
        _with_runs().where(Message.contact_id == contact_id, Message.channel == Channel.CHAT)
        .order_by(Message.id.desc()).limit(limit)
    ).all()
    replies = list(session.scalars(
        select(Reply).where(Reply.contact_id == contact_id).order_by(Reply.id.desc()).limit(limit)
    ))
    items = _render_all(session, contact_id, messages) + [reply_view(reply) for reply in replies]
    items.sort(key=lambda item: (item["at"], item["kind"] == "reply", item["id"]))
    return items[-limit:]


def shown_messages(session: Session, contact_id: int, limit: int) -> list[dict[str, Any]]:
    """The contact's latest `limit` chat messages and popups as the widget shows them, oldest first (the inbox's
    thread; their Message rows stay in the session)."""
    rows = session.execute(
        _with_runs().where(Message.contact_id == contact_id, Message.channel.in_(list(ONSITE_CHANNELS)))
        .order_by(Message.id.desc()).limit(limit)
    ).all()
    return _render_all(session, contact_id, rows[::-1])


def render_message(session: Session, message: Message) -> dict[str, Any] | None:
    """One on-site message as the widget shows it, rendered for its contact; None if the sandbox refuses it."""
    context = session.get(Run, message.run_id).context if message.run_id is not None else None
    shown = _render_all(session, message.contact_id, [(message, context)])
    return shown[0] if shown else None


def replies_after(session: Session, contact_id: int, after: int, limit: int = 50) -> list[dict[str, Any]]:
    """The contact's replies with an id above `after`, oldest first: what a connected widget has not shown yet
    (an answer by email, or one typed in another tab)."""
    query = (select(Reply).where(Reply.contact_id == contact_id, Reply.id > after)
             .order_by(Reply.id).limit(limit))
    return [reply_view(answer) for answer in session.scalars(query)]


def report(session: Session, contact_id: int, message_id: int, status: MessageStatus, now: datetime) -> list[str]:
    """Record what the visitor did with its message; returns the statuses that were new (counted at the node)."""
    if status not in VISITOR_STATUSES:
        raise ValueError(f"the widget cannot report {status.value!r}")
    return record_status(session, _own_message(session, contact_id, message_id), status, now)


def reply(session: Session, contact_id: int, message_id: int, body: str, now: datetime,
          source: ReplySource = ReplySource.WIDGET, external_id: str | None = None) -> ContactMessage:
    """Store the contact's answer to one of its messages in the conversation and count it as `replied`;
    `external_id` names it where it came from (an email's Message-ID, unique per message)."""
    message = _own_message(session, contact_id, message_id)
    record_status(session, message, MessageStatus.REPLIED, now)
    return _contact_wrote(session, Reply(message_id=message.id, contact_id=contact_id, source=source, body=body,
                                         created_at=now, external_id=external_id), now)


def visitor_message(session: Session, contact_id: int, body: str, now: datetime) -> ContactMessage:
    """Store a message the visitor wrote in the widget without answering one: it starts a conversation with
    the team, or goes on with it."""
    return _contact_wrote(session, Reply(message_id=None, contact_id=contact_id, source=ReplySource.WIDGET,
                                         body=body, created_at=now), now)


def _contact_wrote(session: Session, answer: Reply, now: datetime) -> ContactMessage:
    session.add(answer)
    session.flush()
    view = reply_view(answer)
    changed = conversations.contact_wrote(session, answer.contact_id, view, now)
    return ContactMessage(answer, view, changed.event_ids, team_push.notice(session, changed.conversation, view, now))


def operator_content(body: str, sender_name: str, operator_id: int | None) -> dict[str, Any]:
    """The ledger content of a chat message an operator wrote (shown as typed, `operator_id` marks it)."""
    return {"body": body, "sender_name": sender_name, "operator_id": operator_id}


def is_operators(message: Message) -> bool:
    """Whether a person in the team wrote the message (in the inbox), rather than a flow."""
    return message.run_id is None and "operator_id" in (message.content or {})


def reply_view(answer: Reply) -> dict[str, Any]:
    """A reply as the widget shows it in the conversation."""
    return {"kind": "reply", "id": answer.id, "message_id": answer.message_id, "body": answer.body,
            "source": answer.source.value, "at": answer.created_at.isoformat()}


def _own_message(session: Session, contact_id: int, message_id: int) -> Message:
    message = locked(session, message_id)
    if message is None or message.channel not in ONSITE_CHANNELS:
        raise UnknownMessage(f"there is no on-site message {message_id}")
    if message.contact_id != contact_id:
        raise NotYourMessage(f"message {message_id} is not addressed to this visitor")
    return message


def _with_runs() -> Select[tuple[Message, dict[str, Any] | None]]:
    """Messages with their run's context (its trigger event), read in the same query."""
    return select(Message, Run.context).outerjoin(Run, Run.id == Message.run_id)


def _render_all(session: Session, contact_id: int,
                rows: Sequence[tuple[Message, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """Render the messages for the contact: its fields and properties, and each run's trigger event."""
    if not rows:
        return []
    contact = session.get(Contact, contact_id)
    fields, properties = contact.builtin_fields(), contact.properties or {}
    shown = []
    for message, run_context in rows:
        trigger = (run_context or {}).get("trigger", {})
        view = _render(message, contact_variables(fields, properties, trigger))
        if view is not None:
            shown.append(view)
    return shown


def _render(message: Message, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """The message as the widget shows it; None (logged) if the sandbox refuses one of its templates."""
    content = {key: message.content[key] for key in _SHOWN_FIELDS[message.channel] if key in message.content}
    try:
        rendered = content if is_operators(message) else render_value(content, variables)
    except PersonalisationError as error:
        log.warning("on-site message %s not shown: %s", message.id, error)
        return None
    button = rendered.pop("button", None)
    if button and _is_web_link(button.get("url", "")):
        rendered["button"] = {"text": button["text"], "url": button["url"]}
    return {"kind": "message", "id": message.id, "channel": message.channel.value, **rendered,
            "statuses": list(message.statuses or []), "at": message.created_at.isoformat()}


def _is_web_link(url: str) -> bool:
    """Only http(s) links reach the browser: a personalised URL could render to `javascript:`."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)
