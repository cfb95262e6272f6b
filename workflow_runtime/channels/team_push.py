"""Pushing conversation changes to the team's open inboxes: one Redis pub/sub channel, published after commit.

Every change an inbox shows — a contact's message, an operator's answer or note, an assignment, a
close — is published once on `TEAM_CHANNEL` as a notice `{"conversation": summary, "item": item or
None}`. Each process serving inbox streams subscribes once (`notice_hub.NoticeHub`) and hands a
notice to the streams whose operator may see that conversation. As with the widget's pushes, the
database stays the source of truth: an inbox reads the list when it (re)connects, so a notice lost
with Redis costs freshness, not data.
"""
from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.channels.process import Process
from workflow_runtime.engine.conversations import effective_status
from workflow_runtime.storage.models import Contact, Conversation, User

TEAM_CHANNEL = "automap:inbox"


def user_view(user: User | None) -> dict[str, Any] | None:
    """A user as the inbox names them: id, email and display name."""
    return None if user is None else {"id": user.id, "email": user.email, "name": user.name}


def summary(session: Session, conversation: Conversation, now: datetime) -> dict[str, Any]:
    """The conversation as the inbox list shows it (its contact and assignee read through the session, so a
    caller listing many loads them first in one query each)."""
    contact = session.get(Contact, conversation.contact_id)
    assignee = session.get(User, conversation.assignee_id) if conversation.assignee_id is not None else None
    return {
        "id": conversation.id,
        "contact": {"id": conversation.contact_id, "name": contact.name if contact else None,
                    "email": contact.email if contact else None, "user_id": contact.user_id if contact else None},
        "status": effective_status(conversation, now).value,
        "snoozed_until": conversation.snoozed_until.isoformat() if conversation.snoozed_until else None,
        "assignee": user_view(assignee),
        "unread": conversation.unread,
        "last_item": conversation.last_item,
        "last_activity_at": conversation.last_activity_at.isoformat(),
        "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
        "created_at": conversation.created_at.isoformat(),
    }


def notice(session: Session, conversation: Conversation, item: dict[str, Any] | None,
           now: datetime) -> dict[str, Any]:
    """What the team's inboxes are told of a change: the conversation as it is now, and the new item if any."""
    return {"conversation": summary(session, conversation, now), "item": item}


def announce(connection: Redis, notices: Sequence[dict[str, Any]]) -> None:
    """Publish the notices, in order, after the transaction that made them committed."""
    if not notices:
        return
    pipe = connection.pipeline(transaction=False)
    for each in notices:
        pipe.publish(TEAM_CHANNEL, json.dumps(each))
    pipe.execute()


def push_changed(current: Process, conversation_ids: Collection[int]) -> None:
    """After a batch committed: tell the team's inboxes of the conversations its steps changed (read as they are
    now, without an item: an update_conversation node assigns, closes or reopens)."""
    if not conversation_ids:
        return
    now = current.clock.now()
    with current.sessions() as session:
        changed = session.scalars(select(Conversation).where(Conversation.id.in_(sorted(conversation_ids))))
        notices = [notice(session, conversation, None, now) for conversation in changed]
    announce(current.redis, notices)
