"""Condition and split nodes: property and event-history rules, and deterministic weighted A/B splits."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
    track_all,
)
from workflow_runtime.channels.messages import record_status
from workflow_runtime.storage.models import Contact, Message, MessageStatus, RunStatus


def condition_flow(rule: dict[str, Any]) -> dict[str, Any]:
    """visited → condition → yes: chat / no: email, each then an exit."""
    return document(
        "Condition under test",
        {
            "start": ("trigger", {"event": "visited"}),
            "check": ("condition", {"filter": rule}),
            "chat": ("send_chat", {"body": "Welcome back!"}),
            "email": ("send_email", {"subject": "We miss you", "body": "<mjml></mjml>"}),
            "end_yes": ("exit", {"reason": "yes"}),
            "end_no": ("exit", {"reason": "no"}),
        },
        [("start", "next", "check"), ("check", "yes", "chat"), ("check", "no", "email"),
         ("chat", "next", "end_yes"), ("email", "next", "end_no")],
    )


def split_flow(weights: tuple[int, int], trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    """trigger → split a/b by `weights` → one exit per variant; contacts may enter again after leaving."""
    return document(
        "Split under test",
        {
            "start": ("trigger", trigger or {"on": "manual"}),
            "ab": ("split", {"variants": [{"id": "a", "weight": weights[0]}, {"id": "b", "weight": weights[1]}]}),
            "end_a": ("exit", {"reason": "a"}),
            "end_b": ("exit", {"reason": "b"}),
        },
        [("start", "next", "ab"), ("ab", "a", "end_a"), ("ab", "b", "end_b")],
        reentry={"mode": "after_exit"},
    )


def branch(harness, flow_id: int, contact_id: int) -> str:  # noqa: ANN001
    run = run_of(harness, flow_id, contact_id)
    assert run.status is RunStatus.COMPLETED
    return run.end_reason


def test_a_property_rule_sends_contacts_down_yes_or_no(harness) -> None:  # noqa: ANN001 - the Harness fixture
    flow_id = harness.publish(condition_flow({"all": [
        {"property": "plan", "op": "eq", "value": "pro"},
        {"property": "address.city", "op": "in", "value": ["Berlin", "Paris"]},
    ]}))
    pro = harness.contact(properties={"plan": "pro", "address": {"city": "Paris"}})
    free = harness.contact(properties={"plan": "free", "address": {"city": "Paris"}})
    elsewhere = harness.contact(properties={"plan": "pro", "address": {"city": "Rome"}})
    track_all(harness, [pro, free, elsewhere], "visited")

    assert [branch(harness, flow_id, c) for c in (pro, free, elsewhere)] == ["yes", "no", "no"]
    assert [m.channel.value for m in harness.messages(pro)] == ["chat"]
    assert [m.channel.value for m in harness.messages(free)] == ["email"]
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["check"] == {"entered": 3, "left:yes": 1, "left:no": 2}
    assert stats["chat"] == {"entered": 1, "chat:sent": 1, "chat:queued": 1, "left:next": 1}
    assert stats["email"] == {"entered": 2, "email:sent": 2, "email:queued": 2, "left:next": 2}
    assert_counters_balance(harness, flow_id)


def test_an_event_rule_did_reads_the_contacts_history_within_the_window(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(condition_flow(
        {"event": "order_paid", "op": "did", "within": "P7D", "where": [{"property": "amount", "op": "gt", "value": 0}]}
    ))
    recent, old, never, refunded = (harness.contact() for _ in range(4))
    harness.track(old, "order_paid", {"amount": 30})
    harness.advance(timedelta(days=5))
    harness.track(recent, "order_paid", {"amount": 30})
    harness.track(refunded, "order_paid", {"amount": 0})  # fails the where rule
    harness.advance(timedelta(days=3))  # old's order is now 8 days ago, recent's 3
    track_all(harness, [recent, old, never, refunded], "visited")

    assert [branch(harness, flow_id, c) for c in (recent, old, never, refunded)] == ["yes", "no", "no", "no"]
    assert counters(harness, live_version(harness, flow_id))["check"] == {"entered": 4, "left:yes": 1, "left:no": 3}
    assert_counters_balance(harness, flow_id)


def test_an_event_rule_did_not_is_the_opposite(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(condition_flow({"event": "logged_in", "op": "did_not", "within": "P14D"}))
    active, lapsed = harness.contact(), harness.contact()
    harness.track(lapsed, "logged_in")
    harness.advance(timedelta(days=15))
    harness.track(active, "logged_in")
    harness.advance(timedelta(hours=1))
    track_all(harness, [active, lapsed], "visited")

    assert branch(harness, flow_id, active) == "no"  # logged in an hour ago
    assert branch(harness, flow_id, lapsed) == "yes"  # last login 15 days ago, outside the window
    assert_counters_balance(harness, flow_id)


def test_a_contact_gets_the_same_variant_every_time_it_enters(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(split_flow((50, 50), trigger={"event": "visited"}))
    contacts = [harness.contact() for _ in range(12)]
    track_all(harness, contacts, "visited")
    first = {contact: branch(harness, flow_id, contact) for contact in contacts}
    assert set(first.values()) == {"a", "b"}  # both variants are exercised

    harness.advance(timedelta(days=1))
    track_all(harness, contacts, "visited")  # after_exit: a second run
    for contact in contacts:
        runs = [run for run in harness.runs(flow_id) if run.contact_id == contact]
        assert len(runs) == 2
        assert {run.end_reason for run in runs} == {first[contact]}, contact
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["ab"]["entered"] == 24
    assert stats["ab"]["left:a"] == 2 * Counter(first.values())["a"]
    assert_counters_balance(harness, flow_id)


def enrol_many(harness, flow_id: int, how_many: int) -> None:  # noqa: ANN001
    """Create contacts in one statement and enrol them by hand, advanced in batch jobs as a broadcast is."""
    now = harness.clock.now()
    with harness.runtime.sessions.begin() as session:
        session.execute(insert(Contact), [{"first_seen_at": now, "last_seen_at": now} for _ in range(how_many)])
        ids = list(session.scalars(select(Contact.id)))
    assert harness.broadcast(flow_id, contact_ids=ids).enrolled == how_many


@pytest.mark.parametrize(("weights", "low", "high"), [((50, 50), 150, 250), ((90, 10), 320, 390)])
def test_the_split_follows_its_weights(harness, weights: tuple[int, int], low: int, high: int) -> None:  # noqa: ANN001
    flow_id = harness.publish(split_flow(weights))
    enrol_many(harness, flow_id, 400)

    reasons = Counter(run.end_reason for run in harness.runs(flow_id))
    assert sum(reasons.values()) == 400
    assert low <= reasons["a"] <= high, reasons
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["ab"] == {"entered": 400, "left:a": reasons["a"], "left:b": reasons["b"]}
    assert stats["end_a"] == {"entered": reasons["a"], "completed": reasons["a"]}
    assert_counters_balance(harness, flow_id)


def read_check_flow() -> dict[str, Any]:
    """visited → chat → wait 1 h → was the chat read? → exit "read" / exit "unread"."""
    return document(
        "Read check",
        {
            "start": ("trigger", {"event": "visited"}),
            "hello": ("send_chat", {"body": "Can I help?"}),
            "hold": ("wait", {"duration": "PT1H"}),
            "check": ("condition", {"filter": {"message": "hello", "status": "read"}}),
            "end_yes": ("exit", {"reason": "read"}),
            "end_no": ("exit", {"reason": "unread"}),
        },
        [("start", "next", "hello"), ("hello", "next", "hold"), ("hold", "next", "check"),
         ("check", "yes", "end_yes"), ("check", "no", "end_no")],
        reentry={"mode": "after_exit"},
    )


def mark_read(harness, contact_id: int) -> None:  # noqa: ANN001
    """The widget reports the contact's latest message as read."""
    with harness.runtime.sessions.begin() as session:
        message = session.get(Message, harness.messages(contact_id)[-1].id)
        assert record_status(session, message, MessageStatus.READ, harness.clock.now()) == ["delivered", "read"]


def test_a_message_rule_reads_the_status_of_the_runs_message(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(read_check_flow())
    reader, ignorer = harness.contact(), harness.contact()
    track_all(harness, [reader, ignorer], "visited")
    harness.advance(timedelta(minutes=20))
    mark_read(harness, reader)
    harness.advance(timedelta(minutes=40))
    assert (branch(harness, flow_id, reader), branch(harness, flow_id, ignorer)) == ("read", "unread")
    stats = counters(harness, live_version(harness, flow_id))
    # The ignored chat was never shown: still queued.
    assert stats["hello"] == {"entered": 2, "chat:sent": 2, "chat:delivered": 1, "chat:read": 1, "chat:queued": 1,
                              "left:next": 2}
    assert stats["check"] == {"entered": 2, "left:yes": 1, "left:no": 1}
    assert_counters_balance(harness, flow_id)


def test_a_message_rule_ignores_the_messages_of_earlier_runs(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(read_check_flow())
    fan = harness.contact()
    harness.track(fan, "visited")
    mark_read(harness, fan)
    harness.advance(timedelta(hours=1))
    harness.track(fan, "visited")  # enters again; this time the chat goes unread
    harness.advance(timedelta(hours=1))
    assert [run.end_reason for run in harness.runs(flow_id)] == ["read", "unread"]
