"""Conversations and flows: the inbox's events trigger flows and meet goals, and an update_conversation node
assigns, closes or reopens the contact's conversation (the team's inboxes are told)."""
from __future__ import annotations

import json
import time
from datetime import timedelta

from builder_api import accounts
from tests.workflow_runtime.runtime_support import assert_counters_balance, document, run_of
from workflow_runtime.channels.team_push import TEAM_CHANNEL
from workflow_runtime.engine import conversations
from workflow_runtime.inbox import team_actions
from workflow_runtime.storage.models import Conversation, ConversationStatus, RunStatus

PASSWORD = "correct horse battery"


def _routing_flow(assign_to: str) -> dict:
    """conversation_started → assign → wait up to a day for operator_replied (the goal) → close → exit."""
    return document("Route questions", {
        "start": ("trigger", {"event": "conversation_started"}),
        "assign": ("update_conversation", {"assign_to": assign_to}),
        "answered": ("wait_for_event", {"event": "operator_replied", "timeout": "P1D"}),
        "close": ("update_conversation", {"status": "closed"}),
        "end": ("exit", {}),
    }, [("start", "next", "assign"), ("assign", "next", "answered"), ("answered", "event", "close"),
        ("answered", "timeout", "end"), ("close", "next", "end")])


def _contact_writes(harness, contact_id: int, text: str) -> int:  # noqa: ANN001
    """What POST /widget/messages does; returns the conversation's id."""
    with harness.runtime.sessions.begin() as session:
        changed = conversations.contact_wrote(session, contact_id, {"kind": "reply", "body": text}, harness.clock.now())
        conversation_id, events = changed.conversation.id, changed.event_ids
    harness.runtime.jobs.apply_ingested_events(events)
    harness.drain()
    return conversation_id


def test_a_flow_routes_a_new_conversation_and_closes_it_once_answered(harness, session) -> None:  # noqa: ANN001
    anna = accounts.create_user(session, "anna@example.com", PASSWORD)
    session.commit()
    flow_id = harness.publish(_routing_flow("Anna@Example.com"))
    listener = harness.runtime.redis.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(TEAM_CHANNEL)
    kim = harness.contact(name="Kim")
    conversation_id = _contact_writes(harness, kim, "Is the blue lamp in stock?")

    with harness.session() as reading:
        assert reading.get(Conversation, conversation_id).assignee_id == anna.id
    assert run_of(harness, flow_id, kim).node_id == "answered"
    assigned = _notices(listener)
    assert assigned[-1]["conversation"]["assignee"]["email"] == "anna@example.com"

    harness.clock.advance(timedelta(minutes=3))
    with harness.runtime.sessions.begin() as writing:
        change = team_actions.send_message(writing, writing.get(type(anna), anna.id), conversation_id, "Yes, 4 left.",
                                           harness.clock.now(), None)
    team_actions.publish(harness.runtime, change)
    harness.drain()
    with harness.session() as reading:
        assert reading.get(Conversation, conversation_id).status is ConversationStatus.CLOSED
    run = run_of(harness, flow_id, kim)
    assert (run.status, run.node_id) == (RunStatus.COMPLETED, "end")
    assert _notices(listener)[-1]["conversation"]["status"] == "closed"
    assert_counters_balance(harness, flow_id)


def test_assigning_to_nobody_known_parks_the_run_naming_the_email(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(_routing_flow("ghost@example.com"))
    lou = harness.contact()
    conversation_id = _contact_writes(harness, lou, "hello")
    run = run_of(harness, flow_id, lou)
    assert (run.status, run.node_id) == (RunStatus.ERRORED, "assign")
    assert "no active user of the inbox has the email 'ghost@example.com'" in run.end_reason
    with harness.session() as reading:
        assert reading.get(Conversation, conversation_id).assignee_id is None


def test_a_contact_without_a_conversation_passes_through(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(document("Close on purchase", {
        "start": ("trigger", {"event": "order_paid"}),
        "close": ("update_conversation", {"status": "closed"}),
        "end": ("exit", {}),
    }, [("start", "next", "close"), ("close", "next", "end")]))
    mo = harness.contact()
    harness.track(mo, "order_paid")
    assert run_of(harness, flow_id, mo).status is RunStatus.COMPLETED


def _notices(listener) -> list[dict]:  # noqa: ANN001 - a redis PubSub
    """Every notice published so far (get_message answers None for the subscription's confirmation)."""
    found, deadline = [], time.monotonic() + 2
    while time.monotonic() < deadline:
        message = listener.get_message(timeout=0.2)
        if message is not None:
            found.append(json.loads(message["data"]))
        elif found:
            return found
    return found
