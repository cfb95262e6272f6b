"""The email that forwards an unread chat message: the message, who sent it, the conversation before it,
and a Reply-To that brings the contact's answer back into the same chat.

A send_chat node with `forward_by_email_after` records an email whose content is only
`{"forwards": "chat"}` once the chat went unseen in time (the node waits for that); an operator's
answer in the inbox records its forward at once, due after the inbox's delay and marked
`unless_seen`, and its deliverer withdraws it if the chat was seen by then (`seen_before_due`).
This module finds the chat message an email forwards (their ledger keys differ by the channel
only) when the email is rendered, so the email shows the chat as the widget would, personalised
by the same sandbox. The layout is one built-in MJML template, compiled once per process like
any inline body.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nodes.sending import SEEN_STATUSES
from workflow_runtime.channels import onsite
from workflow_runtime.channels.email_render import EmailContentError, EmailSource, RenderedEmail, render_email
from workflow_runtime.channels.email_template import inline_key
from workflow_runtime.channels.reply_address import ReplyAddresses
from workflow_runtime.channels.tracking import MessageLinks
from workflow_runtime.storage.message_rows import AnyMessage
from workflow_runtime.storage.models import Channel, Message

HISTORY = 6  # conversation items shown above the forwarded message
DEFAULT_SENDER = "The team"  # for a chat message whose node names no sender

FORWARD_SUBJECT = "New message from {{ forward.sender }}"
FORWARD_MJML = """<mjml>
  <mj-body background-color="#f1f3f5">
    <mj-section background-color="#ffffff" padding="24px">
      <mj-column>
        <mj-text color="#868e96" font-size="13px">{% if forward.history %}Your conversation so far:{% endif %}</mj-text>
        <mj-text color="#495057" font-size="14px" line-height="20px">{% for item in forward.history %}<p style="margin:0 0 10px;white-space:pre-line"><b>{{ item.who }}:</b> {{ item.body }}</p>{% endfor %}</mj-text>
        <mj-text color="#868e96" font-size="13px">{{ forward.sender }} wrote to you:</mj-text>
        <mj-text color="#212529" font-size="16px" line-height="24px"><div style="white-space:pre-line">{{ forward.body }}</div></mj-text>
        <mj-text color="#868e96" font-size="13px">{% if forward.can_reply %}Reply to this email to answer: your answer goes into the chat, where the whole conversation waits for you on the site.{% else %}Answer in the chat on the site.{% endif %}</mj-text>
        <mj-text color="#adb5bd" font-size="11px"><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>"""
SOURCE = EmailSource(inline_key(FORWARD_MJML), FORWARD_SUBJECT, FORWARD_MJML)


@dataclass(frozen=True)
class ForwardedChat:
    """A rendered forwarding email, with the sender name for its From and the address replies go to."""

    email: RenderedEmail
    sender: str
    reply_to: str | None


def unless_seen_forward() -> dict[str, Any]:
    """The ledger content of an email forward recorded before it is due, to be sent only if the chat is still unseen."""
    return {"forwards": Channel.CHAT.value, "unless_seen": True}


def seen_before_due(session: Session, email: AnyMessage) -> bool:
    """Whether `email` is an `unless_seen` forward whose chat message the contact has seen (read, clicked,
    answered) meanwhile: then it is not to be sent. EmailContentError if the chat message is gone."""
    if not (email.content or {}).get("unless_seen"):
        return False
    return not SEEN_STATUSES.isdisjoint(forwarded_message(session, email).statuses or [])


def forwarded_message(session: Session, email: AnyMessage) -> Message:
    """The chat message `email` forwards: the send node's chat of the same visit, whose ledger key
    differs from the email's by its channel only. EmailContentError if it is gone."""
    key = email.idempotency_key.removesuffix(f":{Channel.EMAIL.value}") + f":{Channel.CHAT.value}"
    chat = session.scalar(select(Message).where(Message.idempotency_key == key))
    if chat is None:
        raise EmailContentError("the chat message this email forwards no longer exists")
    return chat


def render_forward(session: Session, email: AnyMessage, variables: Mapping[str, Any], links: MessageLinks,
                   replies: ReplyAddresses | None) -> ForwardedChat:
    """Render the forwarding email `email` for its contact (whose template `variables` are given)."""
    chat = forwarded_message(session, email)
    items = onsite.conversation(session, email.contact_id, limit=HISTORY + 20)
    position = next((index for index, item in enumerate(items) if item["kind"] == "message" and item["id"] == chat.id),
                    None)
    shown = items[position] if position is not None else onsite.render_message(session, chat)
    if shown is None:
        raise EmailContentError(f"the chat message {chat.id} cannot be personalised for this contact")
    sender = str(shown.get("sender_name") or DEFAULT_SENDER)
    history = items[max(position - HISTORY, 0):position] if position is not None else []
    forward = {
        "sender": sender,
        "body": shown["body"],
        "can_reply": replies is not None,
        "history": [{"who": "You" if item["kind"] == "reply" else item.get("sender_name") or DEFAULT_SENDER,
                     "body": item["body"]} for item in history],
    }
    rendered = render_email(SOURCE, {**variables, "forward": forward}, links)
    return ForwardedChat(rendered, sender, replies.address(chat.id) if replies is not None else None)

