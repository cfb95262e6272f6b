"""What an operator does in the inbox: answer (or write first), leave a note, assign, snooze, close, reopen, read.

Each action runs in the caller's transaction and returns a `TeamChange`: what to push once it
committed (`publish`) — the new message to the contact's open widgets, the change to the team's
inboxes — and the events it recorded for the runtime. An operator's answer is a chat message in the
send ledger like a flow's (no run, no node: it is counted in no flow's statistics), shown as typed;
when the contact has an email address and the answer is still unseen after the forward delay
(AUTOMAP_INBOX_FORWARD_AFTER), it goes by email with a reply address (the forward is a pending email
due then, withdrawn by its deliverer if the chat was seen meanwhile: `chat_forward.seen_before_due`),
and the email answer comes back into this conversation.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from workflow_runtime.channels import onsite, onsite_push, team_push
from workflow_runtime.channels.chat_forward import DEFAULT_SENDER, unless_seen_forward
from workflow_runtime.channels.process import Process
from workflow_runtime.engine import conversations
from workflow_runtime.inbox import thread
from workflow_runtime.inbox.access import Viewer
from workflow_runtime.storage.models import (
    Channel,
    Contact,
    Conversation,
    ConversationNote,
    ConversationStatus,
    DeliveryState,
    Message,
    MessageStatus,
    User,
)

log = logging.getLogger(__name__)
MAX_TEXT_CHARACTERS = onsite.MAX_REPLY_CHARACTERS  # an operator writes as much as a contact may
_UNCHANGED: Any = object()


class NotVisible(LookupError):
    """No conversation (or contact) with this id exists for this viewer."""


class BadChange(ValueError):
    """A change the inbox cannot make; `field` names what was wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass
class TeamChange:
    """A conversation after an operator's action: the new item (if any) and what to push after the commit."""

    conversation: Conversation
    item: dict[str, Any] | None = None
    notices: list[dict[str, Any]] = field(default_factory=list)
    widget_news: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    event_ids: list[int] = field(default_factory=list)


def visible(session: Session, viewer: Viewer, conversation_id: int, *, lock: bool = False) -> Conversation:
    """The conversation, if the viewer may see it (locked for a change); NotVisible otherwise."""
    conversation = conversations.locked(session, conversation_id) if lock else session.get(Conversation, conversation_id)
    if conversation is None or not viewer.may_see(conversation.assignee_id):
        raise NotVisible(f"there is no conversation {conversation_id}")
    return conversation


def start(session: Session, user: User | None, contact_id: int, body: str, now: datetime,
          forward_after: timedelta | None) -> TeamChange:
    """Write to a contact first: its conversation (made if it has none) with the operator's message in it."""
    if session.get(Contact, contact_id) is None:
        raise NotVisible(f"there is no contact {contact_id}")
    conversation, _created = conversations.of_contact(session, contact_id, now)
    if not Viewer.of(user).may_see(conversation.assignee_id):
        raise NotVisible(f"the conversation with contact {contact_id} is assigned to someone else")
    return _answer(session, user, conversation, body, now, forward_after)


def send_message(session: Session, user: User | None, conversation_id: int, body: str, now: datetime,
                 forward_after: timedelta | None) -> TeamChange:
    """The operator's answer in the conversation: shown in the contact's widgets at once, emailed if unseen."""
    conversation = visible(session, Viewer.of(user), conversation_id, lock=True)
    return _answer(session, user, conversation, body, now, forward_after)


def add_note(session: Session, user: User | None, conversation_id: int, body: str, now: datetime) -> TeamChange:
    """A note on the conversation that only the team sees."""
    conversation = visible(session, Viewer.of(user), conversation_id, lock=True)
    note = ConversationNote(conversation_id=conversation.id, author_id=user.id if user else None, body=body,
                            created_at=now)
    session.add(note)
    session.flush()
    item = thread.note_view(session, note)
    return TeamChange(conversation, item, [team_push.notice(session, conversation, item, now)])


def update(session: Session, user: User | None, conversation_id: int, now: datetime, *,
           status: ConversationStatus | None = None, snoozed_until: datetime | None = None,
           assignee_id: int | None = _UNCHANGED) -> TeamChange:
    """Assign (`assignee_id`: a user, or None for nobody), and/or set the status: open, closed, or snoozed until
    `snoozed_until` (required, in the future)."""
    conversation = visible(session, Viewer.of(user), conversation_id, lock=True)
    change = TeamChange(conversation)
    if assignee_id is not _UNCHANGED:
        if assignee_id is not None:
            assignee = session.get(User, assignee_id)
            if assignee is None or assignee.disabled_at is not None:
                raise BadChange("assignee_id", f"there is no active user {assignee_id} to assign the conversation to")
        conversations.assign(conversation, assignee_id)
    if status is ConversationStatus.SNOOZED:
        if snoozed_until is None or snoozed_until <= now:
            raise BadChange("snoozed_until", "say until when to snooze the conversation: a time in the future")
        conversations.snooze(conversation, snoozed_until)
    elif status is ConversationStatus.CLOSED:
        change.event_ids = conversations.close(session, conversation, now, by="operator").event_ids
    elif status is ConversationStatus.OPEN:
        conversations.reopen(conversation, now)
    change.notices.append(team_push.notice(session, conversation, None, now))
    return change


def read(session: Session, user: User | None, conversation_id: int, now: datetime) -> TeamChange:
    """The operator read the conversation: nothing in it is unread."""
    conversation = visible(session, Viewer.of(user), conversation_id, lock=True)
    conversations.mark_read(conversation)
    return TeamChange(conversation, notices=[team_push.notice(session, conversation, None, now)])


def publish(current: Process, change: TeamChange) -> None:
    """After the commit: queue the events it recorded for the runtime, push the new message to the contact's
    widgets and the change to the team's inboxes. With Redis away the change stands all the same: the streams
    read the database when they reconnect and the reconciler finds the events (logged, never an error)."""
    try:
        current.jobs.apply_ingested_events(change.event_ids)
        onsite_push.announce(current.redis, change.widget_news)
        team_push.announce(current.redis, change.notices)
    except RedisError:
        log.warning("conversation %s: the change is stored, its pushes are lost (Redis)", change.conversation.id,
                    exc_info=True)


def _answer(session: Session, user: User | None, conversation: Conversation, body: str, now: datetime,
            forward_after: timedelta | None) -> TeamChange:
    key = f"inbox:{conversation.id}:{uuid.uuid4().hex}"
    sender = (user.name if user is not None and user.name else None) or DEFAULT_SENDER
    message = Message(idempotency_key=f"{key}:{Channel.CHAT.value}", contact_id=conversation.contact_id,
                      channel=Channel.CHAT, status=MessageStatus.SENT, statuses=[MessageStatus.SENT.value],
                      content=onsite.operator_content(body, sender, user.id if user else None),
                      delivery_state=DeliveryState.PENDING, created_at=now, updated_at=now)
    session.add(message)
    contact = session.get(Contact, conversation.contact_id)
    forward = None
    if forward_after is not None and contact is not None and contact.email and contact.unsubscribed_at is None:
        forward = Message(idempotency_key=f"{key}:{Channel.EMAIL.value}", contact_id=conversation.contact_id,
                          channel=Channel.EMAIL, status=MessageStatus.SENT, statuses=[MessageStatus.SENT.value],
                          content=unless_seen_forward(), delivery_state=DeliveryState.PENDING,
                          next_attempt_at=now + forward_after, attempts=0, created_at=now, updated_at=now)
        session.add(forward)
    session.flush()
    shown = onsite.render_message(session, message)
    assert shown is not None  # an operator's text is not a template: nothing can refuse it
    item = thread.message_view(session, shown, message, {}, forward)
    changed = conversations.team_wrote(session, conversation, message.id, user.id if user else None, item, now)
    return TeamChange(conversation, item, [team_push.notice(session, conversation, item, now)],
                      {conversation.contact_id: [shown]}, changed.event_ids)
