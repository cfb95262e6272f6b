"""A chat message unread while the visitor is away goes by email, to a real SMTP server, on virtual time."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from tests.mail_server import MailServer
from tests.workflow_runtime.chat_forward_support import (
    FORWARD_AFTER,
    chats,
    forwarded,
    forwarding_flow,
    visit_and_answer_the_greeting,
)
from tests.workflow_runtime.email_support import parts, settings_for
from tests.workflow_runtime.runtime_support import assert_counters_balance
from workflow_runtime.channels import onsite, presence
from workflow_runtime.channels.reply_address import ReplyAddresses
from workflow_runtime.storage.models import Channel, Contact, MessageStatus

INBOUND_DOMAIN = "in.shop.example"  # tests/conftest.py's app


def test_an_unread_chat_message_is_emailed_with_the_conversation_and_a_signed_reply_address(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001 - the Harness fixture
    flow_id, boris, nudge, email = forwarded(harness, app, mail_server)

    assert mail_server.recipients == [["boris@example.com"]]
    assert email["Subject"] == "New message from Anna from support"
    assert email["From"] == "Anna from support <shop@automap.test>"
    reply_to = str(email["Reply-To"])
    assert ReplyAddresses("test-secret-key", INBOUND_DOMAIN).read(reply_to) == nudge.id
    assert reply_to.startswith(f"reply+{nudge.id}.") and reply_to.endswith(f"@{INBOUND_DOMAIN}")
    text, html = parts(email)
    # The chat message as the widget shows it, personalised, below the conversation so far.
    assert text.index("Anna from support: Hi Boris, can I help?") < text.index("You: Looking for a lamp") \
        < text.index("Boris, the blue lamp is still in your cart.")
    assert "Shall I hold it?" in text and "Reply to this email to answer" in text
    assert "Boris, the blue lamp is still in your cart." in html and "{{" not in html
    assert email["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/t/u/")

    # Counted at the chat node, as the popup's fallback is, each on its channel: the chat is sent and, never
    # shown, still queued; its email is sent and delivered.
    counters = harness.counters(flow_id)["nudge"]
    assert counters == {"entered": 1, "chat:sent": 1, "chat:queued": 1, "email:sent": 1, "email:delivered": 1,
                        "left:next": 1}
    assert [(m.node_id, m.channel) for m in harness.messages(boris)][-1] == ("nudge", Channel.EMAIL)
    assert_counters_balance(harness, flow_id)


def test_a_chat_message_read_on_the_site_in_time_is_not_emailed(harness, app: Flask,  # noqa: ANN001
                                                                mail_server: MailServer) -> None:
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(forwarding_flow())
    boris = visit_and_answer_the_greeting(harness)
    nudge = chats(harness, boris)[-1]
    harness.advance(FORWARD_AFTER - timedelta(minutes=1))
    with harness.runtime.sessions.begin() as session:
        onsite.report(session, boris, nudge.id, MessageStatus.READ, harness.clock.now())
    harness.advance(timedelta(hours=2))

    assert mail_server.messages == []
    assert [m.channel for m in harness.messages(boris)] == [Channel.CHAT, Channel.CHAT]
    assert harness.counters(flow_id)["nudge"] == {"entered": 1, "chat:sent": 1, "chat:delivered": 1, "chat:read": 1,
                                                  "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_the_email_waits_while_the_visitor_is_on_the_site_and_goes_once_they_leave(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(forwarding_flow())
    boris = visit_and_answer_the_greeting(harness)
    connection = harness.runtime.redis
    # What the heartbeats of a stream open for the next hour add up to.
    presence.mark_on_site(connection, boris, ttl_seconds=3600, now=harness.clock.now())

    harness.advance(FORWARD_AFTER)
    harness.advance(timedelta(minutes=12))
    assert mail_server.messages == []
    assert harness.counters(flow_id)["nudge"]["waiting"] == 1

    harness.advance(timedelta(minutes=20))  # the visitor left: no stream refreshed the key, which lapsed
    assert not presence.is_on_site(connection, boris, harness.clock.now())
    assert len(mail_server.messages) == 1
    assert harness.counters(flow_id)["nudge"]["left:next"] == 1
    assert_counters_balance(harness, flow_id)


def test_a_visitor_without_an_address_or_unsubscribed_gets_no_email_and_it_is_counted_suppressed(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(forwarding_flow())
    anonymous = visit_and_answer_the_greeting(harness, "anon-nobody", email=None, name="Visitor")
    gone = visit_and_answer_the_greeting(harness, "anon-gone", email="gone@example.com", name="Gone")
    with harness.runtime.sessions.begin() as session:
        session.get(Contact, gone).unsubscribed_at = harness.clock.now()
    harness.advance(FORWARD_AFTER + timedelta(minutes=1))

    assert mail_server.messages == []
    assert {m.channel for contact in (anonymous, gone) for m in harness.messages(contact)} == {Channel.CHAT}
    counters = harness.counters(flow_id)["nudge"]
    assert (counters["email:suppressed"], counters["chat:sent"], counters["left:next"]) == (2, 2, 2)
    assert_counters_balance(harness, flow_id)
