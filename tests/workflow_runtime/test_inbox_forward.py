"""An operator's answer the contact does not see in time goes by email (real SMTP), and the email answer comes back
into the same conversation and reaches the team's inboxes at once; one seen in time is never emailed."""
from __future__ import annotations

import json
import time
from datetime import timedelta

from flask import Flask

from builder_api.mail import reply_addresses
from tests.builder_api.widget_support import visitor
from tests.mail_server import MailServer
from tests.workflow_runtime.chat_forward_support import answer
from tests.workflow_runtime.email_support import settings_for
from workflow_runtime.channels import inbound_email, onsite
from workflow_runtime.channels.team_push import TEAM_CHANNEL
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.inbox import team_actions, thread
from workflow_runtime.storage.models import Channel, Conversation, DeliveryState, MessageStatus

FORWARD_AFTER = timedelta(minutes=5)


def _answered_by_the_team(harness, contact_id: int, text: str) -> team_actions.TeamChange:  # noqa: ANN001
    with harness.runtime.sessions.begin() as session:
        change = team_actions.start(session, None, contact_id, text, harness.clock.now(), FORWARD_AFTER)
    team_actions.publish(harness.runtime, change)
    return change


def _deliver_due(harness) -> None:  # noqa: ANN001 - what the scheduler's tick does every second
    Scheduler(harness.runtime).sweep_deliveries()
    harness.drain()


def _next_notice(listener) -> dict:  # noqa: ANN001 - a redis PubSub
    """The next message published (get_message answers None for the subscription's own confirmation)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        message = listener.get_message(timeout=1)
        if message is not None:
            return json.loads(message["data"])
    raise AssertionError("no notice was published")


def test_an_unseen_answer_is_emailed_and_the_email_answer_joins_the_conversation(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    ivy = visitor(harness, "anon-ivy", name="Ivy", email="ivy@example.com")
    change = _answered_by_the_team(harness, ivy, "We ship to Berlin in 2 days.")
    harness.clock.advance(FORWARD_AFTER - timedelta(seconds=1))
    _deliver_due(harness)
    assert mail_server.messages == []  # not due yet

    harness.clock.advance(timedelta(seconds=1))
    _deliver_due(harness)
    [email] = mail_server.messages
    assert mail_server.recipients == [["ivy@example.com"]]
    assert "We ship to Berlin in 2 days." in email.get_body(("plain",)).get_content()
    chat_id = change.item["id"]
    assert reply_addresses(app.config["AUTOMAP"]).read(str(email["Reply-To"])) == chat_id

    listener = harness.runtime.redis.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(TEAM_CHANNEL)
    received = inbound_email.receive_reply(harness.runtime, reply_addresses(app.config["AUTOMAP"]),
                                           answer(email, "Great, ordering now").as_bytes())
    assert received.reply["source"] == "email"
    notice = _next_notice(listener)
    assert notice["item"]["body"] == "Great, ordering now"
    assert (notice["conversation"]["id"], notice["conversation"]["unread"]) == (change.conversation.id, 1)
    with harness.session() as session:
        conversation = session.get(Conversation, change.conversation.id)
        kinds = [(item["kind"], item.get("source"), item["body"]) for item in thread.items(session, conversation)]
        forward = thread.items(session, conversation)[0]["forward"]
    assert kinds == [("message", None, "We ship to Berlin in 2 days."), ("reply", "email", "Great, ordering now")]
    assert forward["state"] == "sent"


def test_an_answer_seen_on_the_site_in_time_is_not_emailed(harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    jo = visitor(harness, "anon-jo", email="jo@example.com")
    change = _answered_by_the_team(harness, jo, "Anything else?")
    with harness.runtime.sessions.begin() as session:
        onsite.report(session, jo, change.item["id"], MessageStatus.READ, harness.clock.now())
    harness.clock.advance(FORWARD_AFTER)
    _deliver_due(harness)
    assert mail_server.messages == []
    [email] = [message for message in harness.messages(jo) if message.channel is Channel.EMAIL]
    assert email.delivery_state is DeliveryState.FAILED and email.status is MessageStatus.SENT
    assert email.last_error == "the chat message was seen on the site before it was due"
    with harness.session() as session:
        forward = thread.forward_view(session.merge(email))
    assert forward["state"] == "withdrawn"
