"""A contact's conversation with the team: the state each side's actions move it to, and the events they record.

Both sides write into one thread per contact (`storage.models.conversation`): the contact from the
widget or by email, the team from the inbox. Every change here happens in the caller's
transaction, on the conversation's row locked first, so a visitor's message and an operator's
answer arriving together each count once. What a change means for automation is recorded as
the contact's own events — `conversation_started` when the contact opens a conversation (or
writes into a closed one), `operator_replied`, `conversation_closed` — stored unapplied like a
tracked event, so they trigger flows, credit goals and satisfy conditions; the caller queues
them for the runtime once it committed (`Changed.event_ids`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.database import begin_writing
from workflow_runtime.storage.models import Conversation, ConversationResponse, ConversationStatus, Event, User

CONVERSATION_STARTED = "conversation_started"
OPERATOR_REPLIED = "operator_replied"
CONVERSATION_CLOSED = "conversation_closed"
EVENT_NAMES = (CONVERSATION_STARTED, OPERATOR_REPLIED, CONVERSATION_CLOSED)
# The list's preview of the latest item keeps this much of its text.
PREVIEW_CHARACTERS = 200


@dataclass
class Changed:
    """A conversation after a change, and the events the change recorded (to queue after the commit)."""

    conversation: Conversation
    event_ids: list[int] = field(default_factory=list)


def locked(session: Session, conversation_id: int) -> Conversation | None:
    """The conversation, its row locked until the caller commits (SQLite: the write lock, taken first)."""
    begin_writing(session)
    return session.get(Conversation, conversation_id, with_for_update=True)


def of_contact(session: Session, contact_id: int, now: datetime) -> tuple[Conversation, bool]:
    """The contact's conversation, locked, created (open) if it has none yet; and whether it was created.

    Two first messages at once both try to create it: the loser's savepoint rolls back on the unique
    contact and it locks the winner's row instead."""
    begin_writing(session)
    query = select(Conversation).where(Conversation.contact_id == contact_id).with_for_update()
    conversation = session.scalar(query)
    if conversation is not None:
        return conversation, False
    try:
        with session.begin_nested():
            conversation = Conversation(contact_id=contact_id, status=ConversationStatus.OPEN, unread=0, opened_at=now,
                                        last_activity_at=now, created_at=now)
            session.add(conversation)
    except IntegrityError:
        return session.scalars(query.execution_options(populate_existing=True)).one(), False
    return conversation, True


def contact_wrote(session: Session, contact_id: int, item: dict[str, Any], now: datetime) -> Changed:
    """The contact wrote `item` (as the widget shows it): the conversation opens (a closed one starts again,
    a snoozed one wakes), counts it unread and waits for an answer from then on."""
    conversation, created = of_contact(session, contact_id, now)
    starts = created or conversation.status is ConversationStatus.CLOSED
    if starts and not created:
        _new_opening(conversation, now)
    conversation.status = ConversationStatus.OPEN
    conversation.snoozed_until = None
    conversation.unread += 1
    conversation.waiting_since = conversation.waiting_since or now
    _latest(conversation, item, now)
    changed = Changed(conversation)
    if starts:
        session.flush()  # the new row's id, for the event
        changed.event_ids = _record(session, conversation, CONVERSATION_STARTED, now,
                                    {"source": item.get("source", "widget")})
    return changed


def team_wrote(session: Session, conversation: Conversation, message_id: int, user_id: int | None,
               item: dict[str, Any], now: datetime) -> Changed:
    """An operator (`user_id`; None for an API token) sent `item`: whatever the contact was waiting for is
    answered (its response time recorded), nothing is unread any more, and a closed conversation opens again."""
    if conversation.status is ConversationStatus.CLOSED:
        _new_opening(conversation, now)
        conversation.first_response_at = now  # the team spoke first: nobody waited for this answer
    conversation.status = ConversationStatus.OPEN
    conversation.snoozed_until = None
    waited = None
    if conversation.waiting_since is not None:
        waited = max((now - conversation.waiting_since).total_seconds(), 0.0)
        session.add(ConversationResponse(conversation_id=conversation.id, user_id=user_id, message_id=message_id,
                                         waited_seconds=waited, first_in_opening=conversation.first_response_at is None,
                                         created_at=now))
    if conversation.first_response_at is None:
        conversation.first_response_at = now
    conversation.waiting_since = None
    conversation.unread = 0
    _latest(conversation, item, now)
    properties: dict[str, Any] = {"message_id": message_id, "operator_id": user_id}
    if waited is not None:
        properties["waited_seconds"] = round(waited, 3)
    return Changed(conversation, _record(session, conversation, OPERATOR_REPLIED, now, properties))


def close(session: Session, conversation: Conversation, now: datetime, by: str) -> Changed:
    """Close the conversation (`by`: "operator" or "flow"); nothing is left unread or waiting. Closing a closed
    one changes nothing and records nothing."""
    if conversation.status is ConversationStatus.CLOSED:
        return Changed(conversation)
    conversation.status = ConversationStatus.CLOSED
    conversation.snoozed_until = None
    conversation.closed_at = now
    conversation.waiting_since = None
    conversation.unread = 0
    return Changed(conversation, _record(session, conversation, CONVERSATION_CLOSED, now, {"by": by}))


def snooze(conversation: Conversation, until: datetime) -> None:
    """Put the conversation aside until `until`, when it counts as open again (the contact writing wakes it sooner)."""
    conversation.status = ConversationStatus.SNOOZED
    conversation.snoozed_until = until


def reopen(conversation: Conversation, now: datetime) -> None:
    """Open a snoozed or closed conversation again (a closed one begins a new opening)."""
    if conversation.status is ConversationStatus.CLOSED:
        _new_opening(conversation, now)
    conversation.status = ConversationStatus.OPEN
    conversation.snoozed_until = None


def assign(conversation: Conversation, user_id: int | None) -> None:
    """Give the conversation to a user, or to nobody (unassigned)."""
    conversation.assignee_id = user_id


def mark_read(conversation: Conversation) -> None:
    """An operator read the conversation: nothing in it is unread any more (it may still wait for an answer)."""
    conversation.unread = 0


def flow_update(session: Session, contact_id: int, assign_to: str | None, status: str | None,
                now: datetime) -> Changed | None:
    """An update_conversation node's change: assign the contact's conversation to the active user with the email
    `assign_to`, and/or close or reopen it; None when the contact has no conversation. ValueError (the run's
    error) when no active user has that email."""
    begin_writing(session)
    conversation = session.scalar(select(Conversation).where(Conversation.contact_id == contact_id).with_for_update())
    if conversation is None:
        return None
    changed = Changed(conversation)
    if assign_to is not None:
        user = session.scalar(select(User).where(User.email == assign_to.strip().lower()))
        if user is None or user.disabled_at is not None:
            raise ValueError(f"no active user of the inbox has the email {assign_to!r} to assign the conversation to")
        assign(conversation, user.id)
    if status == ConversationStatus.CLOSED.value:
        changed.event_ids = close(session, conversation, now, by="flow").event_ids
    elif status == ConversationStatus.OPEN.value:
        reopen(conversation, now)
    return changed


def effective_status(conversation: Conversation, now: datetime) -> ConversationStatus:
    """The status the inbox shows: a snoozed conversation whose time has come is open again."""
    if conversation.status is ConversationStatus.SNOOZED and conversation.snoozed_until is not None \
            and conversation.snoozed_until <= now:
        return ConversationStatus.OPEN
    return conversation.status


def _new_opening(conversation: Conversation, now: datetime) -> None:
    conversation.opened_at = now
    conversation.first_response_at = None
    conversation.closed_at = None


def _latest(conversation: Conversation, item: dict[str, Any], now: datetime) -> None:
    body = item.get("body")
    conversation.last_item = {"kind": item["kind"], "body": body[:PREVIEW_CHARACTERS] if isinstance(body, str) else None,
                              "at": now.isoformat()}
    conversation.last_activity_at = now


def _record(session: Session, conversation: Conversation, name: str, now: datetime,
            properties: dict[str, Any]) -> list[int]:
    event = Event(contact_id=conversation.contact_id, name=name, timestamp=now, received_at=now,
                  properties={"conversation_id": conversation.id, **properties}, context={"source": "inbox"})
    return unapplied_events.record(session, [event])
