"""The on-site inbox behind the widget: what is pending, rendering, ownership, and the notice after commit."""
from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import pytest
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from tests.builder_api.widget_support import greeted, greeting_flow, visitor
from workflow_runtime.channels import onsite, presence
from workflow_runtime.channels.notice_hub import NoticeHub
from workflow_runtime.channels.onsite_push import ContactNotices
from workflow_runtime.dispatch.embedded import asyncio_twin
from workflow_runtime.storage.models import AnonymousId, Channel, Message, MessageStatus


class _Listener:
    """Widget-stream subscriptions on an event loop of their own thread (the runtime's worker needs the main one)."""

    def __init__(self, connection: Redis) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        url = os.environ.get("AUTOMAP_REDIS_URL")
        self.client = AsyncRedis.from_url(url) if url else asyncio_twin(connection)
        self.hub = NoticeHub(self.client)

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def follow(self, contact_id: int) -> ContactNotices:
        notices = ContactNotices(self.hub)
        self.run(notices.follow(contact_id))
        return notices

    def close(self, *notices: ContactNotices) -> None:
        for each in notices:
            self.run(each.__aexit__(None, None, None))
        self.run(self.hub.close())
        self.run(self.client.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def test_the_runtime_pushes_on_site_messages_to_their_contact_only_after_commit(harness) -> None:
    harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    boris = visitor(harness, "anon-boris", name="Boris")
    connection = harness.runtime.redis
    for contact_id in (anna, boris):  # both have the widget open
        presence.mark_on_site(connection, contact_id, 60, harness.clock.now())
    listener = _Listener(connection)
    for_anna, for_boris = listener.follow(anna), listener.follow(boris)
    assert listener.run(for_anna.wait(0.05)) is None
    greeted(harness, anna)
    pushed = listener.run(for_anna.wait(2))
    assert listener.run(for_anna.wait(0.05)) is None  # the popup and the chat message of one batch: one notice
    assert listener.run(for_boris.wait(0.2)) is None
    listener.close(for_anna, for_boris)
    with harness.session() as session:
        assert pushed == onsite.pending(session, anna)  # rendered for Anna, as the widget shows them
    assert [message["channel"] for message in pushed] == ["popup", "chat"]


def test_nothing_is_pushed_to_a_contact_with_no_widget_open(harness) -> None:
    harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    connection = harness.runtime.redis
    presence.mark_on_site(connection, anna, 60, harness.clock.now() - timedelta(minutes=2))  # a tab closed since
    listener = _Listener(connection)
    for_anna = listener.follow(anna)
    greeted(harness, anna)
    assert listener.run(for_anna.wait(0.2)) is None
    listener.close(for_anna)
    with harness.session() as session:  # the widget reads them when it opens
        assert [message["channel"] for message in onsite.pending(session, anna)] == ["popup", "chat"]


def test_a_popup_stays_pending_until_seen_and_a_chat_message_until_delivered(harness) -> None:
    harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    messages = greeted(harness, anna)
    with harness.runtime.sessions.begin() as session:
        assert [m["channel"] for m in onsite.pending(session, anna)] == ["popup", "chat"]
        onsite.report(session, anna, messages["popup"].id, MessageStatus.DELIVERED, harness.clock.now())
        onsite.report(session, anna, messages["chat"].id, MessageStatus.DELIVERED, harness.clock.now())
        assert [m["channel"] for m in onsite.pending(session, anna)] == ["popup"]
        assert onsite.pending(session, anna, exclude={messages["popup"].id}) == []
        onsite.report(session, anna, messages["popup"].id, MessageStatus.READ, harness.clock.now())
        assert onsite.pending(session, anna) == []
        with pytest.raises(ValueError):
            onsite.report(session, anna, messages["popup"].id, MessageStatus.UNSUBSCRIBED, harness.clock.now())


def test_only_web_links_reach_the_widget(harness) -> None:
    anna = visitor(harness, "anon-anna", name="Anna")
    now = harness.clock.now()
    with harness.runtime.sessions.begin() as session:
        for key, url in (("js", "javascript:alert(document.cookie)"), ("data", "data:text/html,<script>x</script>"),
                         ("web", "https://shop.example/cart")):
            session.add(Message(idempotency_key=key, contact_id=anna, channel=Channel.POPUP, content={
                "size": "small", "title": key, "body": "b", "button": {"text": "Go", "url": url}},
                statuses=["sent"], created_at=now, updated_at=now))
    with harness.session() as session:
        shown = {m["title"]: m.get("button") for m in onsite.pending(session, anna)}
    assert shown == {"js": None, "data": None, "web": {"text": "Go", "url": "https://shop.example/cart"}}


def test_email_is_not_the_widgets_and_other_contacts_messages_are_refused(harness) -> None:
    anna = visitor(harness, "anon-anna", name="Anna")
    boris = visitor(harness, "anon-boris", name="Boris")
    now = harness.clock.now()
    with harness.runtime.sessions.begin() as session:
        mail = Message(idempotency_key="mail", contact_id=anna, channel=Channel.EMAIL,
                       content={"subject": "s", "body": "b"}, statuses=["sent"], created_at=now, updated_at=now)
        chat = Message(idempotency_key="chat", contact_id=anna, channel=Channel.CHAT, content={"body": "hi"},
                       statuses=["sent"], created_at=now, updated_at=now)
        session.add_all([mail, chat])
    with harness.runtime.sessions.begin() as session:
        with pytest.raises(onsite.UnknownMessage):
            onsite.report(session, anna, mail.id, MessageStatus.READ, now)
        with pytest.raises(onsite.NotYourMessage):
            onsite.reply(session, boris, chat.id, "not mine", now)
        assert onsite.conversation(session, boris) == []


def test_the_visitor_follows_its_anonymous_id_into_the_identified_contact(harness) -> None:
    anonymous = visitor(harness, "anon-anna")
    known = harness.contact(user_id="user-7", name="Anna")
    with harness.runtime.sessions.begin() as session:
        assert onsite.visitor_contact(session, "anon-anna") == anonymous
        session.get(AnonymousId, "anon-anna").contact_id = known  # what identify's merge does
    with harness.session() as session:
        assert onsite.visitor_contact(session, "anon-anna") == known
        assert onsite.visitor_contact(session, "anon-nobody") is None


def test_a_dismissed_popup_needs_no_email_fallback(harness) -> None:
    popup = {"size": "small", "title": "Hi", "body": "Still there?", "email_fallback_after": "PT1H",
             "email_fallback": {"subject": "Still there?", "body": "<mjml><mj-body></mj-body></mjml>"}}
    flow_id = harness.publish(greeting_flow(popup))
    anna = visitor(harness, "anon-anna", name="Anna")
    message = greeted(harness, anna)["popup"]
    with harness.runtime.sessions.begin() as session:
        onsite.report(session, anna, message.id, MessageStatus.DISMISSED, harness.clock.now())
    harness.advance(timedelta(hours=2))
    assert [m.channel.value for m in harness.messages(anna)] == ["popup", "chat"]
    assert harness.counters(flow_id)["popup"]["popup:dismissed"] == 1


def test_two_reports_at_once_count_each_status_once(harness) -> None:  # noqa: ANN001
    """The widget's `delivered` and `read` for one message can arrive together: the second waits for the first's
    lock (a row lock on PostgreSQL, SQLite's write lock) and finds `delivered` already counted."""
    flow_id = harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    popup = greeted(harness, anna)["popup"]
    answered: list[list[str]] = []

    def read_meanwhile() -> None:
        with harness.runtime.sessions.begin() as session:
            answered.append(onsite.report(session, anna, popup.id, MessageStatus.READ, harness.clock.now()))

    with harness.runtime.sessions.begin() as first:
        first_new = onsite.report(first, anna, popup.id, MessageStatus.DELIVERED, harness.clock.now())
        other = threading.Thread(target=read_meanwhile)
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive(), "the second report waits for the first to commit"
    other.join(timeout=10)
    assert (first_new, answered) == (["delivered"], [["read"]])
    counted = harness.counters(flow_id)["popup"]
    assert (counted["popup:delivered"], counted["popup:read"]) == (1, 1)
