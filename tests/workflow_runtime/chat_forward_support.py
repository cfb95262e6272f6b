"""What the chat-forwarding tests share: a flow whose second chat message is forwarded by email if unread,
a visitor who answered the first one in the widget, and answers written the way mail clients write them."""
from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any, NamedTuple

from flask import Flask

from tests.builder_api.widget_support import visitor
from tests.mail_server import MailServer
from tests.workflow_runtime.email_support import settings_for
from tests.workflow_runtime.runtime_support import document
from workflow_runtime.channels import onsite
from workflow_runtime.storage.models import Channel, Message

FORWARD_AFTER = timedelta(minutes=30)


def forwarding_flow() -> dict[str, Any]:
    """visited → a chat greeting → 10 minutes → a chat nudge, emailed if unread after 30 minutes → exit."""
    return document("Chat nudge", {
        "start": ("trigger", {"event": "visited"}),
        "hello": ("send_chat", {"body": "Hi {{ name }}, can I help?", "sender_name": "Anna from support"}),
        "pause": ("wait", {"duration": "PT10M"}),
        "nudge": ("send_chat", {"body": "{{ name }}, the {{ event.item }} is still in your cart.\nShall I hold it?",
                                "sender_name": "Anna from support", "forward_by_email_after": "PT30M"}),
        "end": ("exit", {}),
    }, [("start", "next", "hello"), ("hello", "next", "pause"), ("pause", "next", "nudge"), ("nudge", "next", "end")])


def chats(harness: Any, contact_id: int) -> list[Message]:
    return [message for message in harness.messages(contact_id) if message.channel is Channel.CHAT]


def visit_and_answer_the_greeting(harness: Any, anonymous_id: str = "anon-boris", **fields: Any) -> int:
    """A visitor who gets the greeting, answers it in the widget, and gets the nudge ten minutes later."""
    fields.setdefault("name", "Boris")
    fields.setdefault("email", "boris@example.com")
    contact_id = visitor(harness, anonymous_id, **fields)
    harness.track(contact_id, "visited", {"item": "blue lamp"})
    [hello] = chats(harness, contact_id)
    harness.advance(timedelta(minutes=5))
    with harness.runtime.sessions.begin() as session:
        onsite.reply(session, contact_id, hello.id, "Looking for a lamp", harness.clock.now())
    harness.advance(timedelta(minutes=5))
    return contact_id


class Forwarded(NamedTuple):
    flow_id: int
    contact_id: int
    nudge: Message
    email: EmailMessage


def forwarded(harness: Any, app: Flask, mail_server: MailServer, anonymous_id: str = "anon-boris") -> Forwarded:
    """Run the flow until the nudge is forwarded: the flow, the contact, the nudge, and the email the SMTP server got."""
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(forwarding_flow())
    contact_id = visit_and_answer_the_greeting(harness, anonymous_id)
    harness.advance(FORWARD_AFTER)
    [email] = mail_server.messages
    nudge = chats(harness, contact_id)[-1]
    assert nudge.node_id == "nudge"
    return Forwarded(flow_id, contact_id, nudge, email)


def answer(email: EmailMessage, text: str, *, html: str | None = None, message_id: str = "<answer-1@mail.example>",
           to: str | None = None) -> EmailMessage:
    """A mail client's answer to `email`: the new text on top, the original quoted below (text, or HTML only)."""
    reply = EmailMessage()
    reply["From"] = "Boris <boris@example.com>"
    reply["To"] = to or str(email["Reply-To"])
    reply["Subject"] = f"Re: {email['Subject']}"
    reply["Message-ID"] = message_id
    reply["In-Reply-To"] = str(email["Message-ID"])
    quoted = "\n".join(f"> {line}" for line in email.get_body(("plain",)).get_content().splitlines())
    if html is None:
        reply.set_content(f"{text}\n\nOn Mon, 2 Mar 2026 at 10:40, Anna from support <{reply['To']}> wrote:\n{quoted}\n")
    else:
        reply.set_content(html, subtype="html")
    return reply
