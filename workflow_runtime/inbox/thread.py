"""A conversation's thread as the team reads it: what the site showed the contact (flows' chat messages and
popups, operators' messages), what the contact wrote (in the widget or by email), and the team's notes.

The widget's view of each item is the base (the same rendering, so the operator reads what the visitor
read); the team's view adds who wrote a message (an operator, or which flow and node), what became of
its email forward, and the notes only the team sees.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.channels import onsite, team_push
from workflow_runtime.storage.models import (
    Channel,
    Conversation,
    ConversationNote,
    DeliveryState,
    Flow,
    FlowVersion,
    Message,
    MessageStatus,
    Reply,
    User,
)

LIMIT = 200  # items of a thread the team sees at once: the latest


def items(session: Session, conversation: Conversation, limit: int = LIMIT) -> list[dict[str, Any]]:
    """The latest `limit` items of the conversation, oldest first."""
    contact_id = conversation.contact_id
    shown = onsite.shown_messages(session, contact_id, limit)
    messages = [session.get(Message, item["id"]) for item in shown]
    flows = _flows(session, {message.flow_version_id for message in messages if message and message.flow_version_id})
    forwards = _forwards(session, [message for message in messages if message is not None])
    threaded = [message_view(session, item, message, flows, forwards.get(message.id) if message else None)
                for item, message in zip(shown, messages, strict=True)]
    replies = session.scalars(select(Reply).where(Reply.contact_id == contact_id)
                              .order_by(Reply.id.desc()).limit(limit))
    threaded += [onsite.reply_view(answer) for answer in replies]
    notes = session.scalars(select(ConversationNote).where(ConversationNote.conversation_id == conversation.id)
                            .order_by(ConversationNote.id.desc()).limit(limit))
    threaded += [note_view(session, note) for note in notes]
    threaded.sort(key=lambda item: (item["at"], item["kind"], item["id"]))
    return threaded[-limit:]


def message_view(session: Session, shown: dict[str, Any], message: Message | None,
                 flows: dict[int, dict[str, Any]], forward: Message | None) -> dict[str, Any]:
    """A message as the widget shows it, with who wrote it and its email forward, if any."""
    operator = None
    flow = None
    if message is not None and onsite.is_operators(message):
        operator_id = message.content.get("operator_id")
        operator = team_push.user_view(session.get(User, operator_id)) if operator_id is not None else None
    elif message is not None and message.flow_version_id in flows:
        flow = {**flows[message.flow_version_id], "node_id": message.node_id}
    return {**shown, "operator": operator, "flow": flow, "forward": forward_view(forward)}


def forward_view(email: Message | None) -> dict[str, Any] | None:
    """What became of a chat message's email forward: scheduled (when), sent, withdrawn (seen in time, or the
    contact unsubscribed: `reason`) or failed (`reason`)."""
    if email is None:
        return None
    if email.delivery_state is DeliveryState.DELIVERED:
        return {"state": "sent", "at": email.updated_at.isoformat(), "reason": None}
    if email.delivery_state is DeliveryState.FAILED:
        state = "failed" if email.status is MessageStatus.FAILED else "withdrawn"
        return {"state": state, "at": email.updated_at.isoformat(), "reason": email.last_error}
    due = email.next_attempt_at or email.created_at
    return {"state": "scheduled", "at": due.isoformat(), "reason": None}


def note_view(session: Session, note: ConversationNote) -> dict[str, Any]:
    """A note as the team reads it."""
    author = session.get(User, note.author_id) if note.author_id is not None else None
    return {"kind": "note", "id": note.id, "body": note.body, "at": note.created_at.isoformat(),
            "author": team_push.user_view(author)}


def _flows(session: Session, version_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Each flow version's flow, by version id: {id, name}."""
    if not version_ids:
        return {}
    rows = session.execute(select(FlowVersion.id, Flow.id, Flow.name).join(Flow, Flow.id == FlowVersion.flow_id)
                           .where(FlowVersion.id.in_(version_ids)))
    return {version_id: {"id": flow_id, "name": name} for version_id, flow_id, name in rows}


def _forwards(session: Session, messages: Iterable[Message]) -> dict[int, Message]:
    """The email forward of each chat message that has one, by the chat message's id (their ledger keys differ
    by the channel only: workflow_runtime.channels.chat_forward)."""
    chats = {message.idempotency_key.removesuffix(f":{Channel.CHAT.value}") + f":{Channel.EMAIL.value}": message.id
             for message in messages if message.channel is Channel.CHAT}
    if not chats:
        return {}
    emails = session.scalars(select(Message).where(Message.idempotency_key.in_(list(chats))))
    return {chats[email.idempotency_key]: email for email in emails}
