"""A batch of events is applied set-based, yet each contact's events act in time order, each one
seeing what the previous one started; and emails to unsubscribed contacts are suppressed."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
)
from workflow_runtime.storage.models import RunStatus


def apply_in_one_job(harness, event_ids: list[int]) -> None:  # noqa: ANN001
    harness.runtime.jobs.apply_events(event_ids)
    harness.drain()


def cart_flow() -> dict[str, Any]:
    """cart_updated → wait up to 1 h for order_paid → thanks (event) / nudge (timeout); goal order_paid."""
    return document(
        "Cart",
        {
            "start": ("trigger", {"event": "cart_updated"}),
            "paid": ("wait_for_event", {"event": "order_paid", "timeout": "PT1H"}),
            "thanks": ("send_chat", {"body": "Thanks!"}),
            "nudge": ("send_email", {"subject": "Your cart", "body": "<mjml></mjml>"}),
            "end": ("exit", {}),
        },
        [("start", "next", "paid"), ("paid", "event", "thanks"), ("paid", "timeout", "nudge"),
         ("thanks", "next", "end"), ("nudge", "next", "end")],
        goal={"event": "order_paid", "within": "P7D", "exit_on_goal": False},
    )


def test_a_later_event_in_the_same_batch_wakes_the_run_an_earlier_one_started(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(cart_flow())
    ann, bob = harness.contact(), harness.contact()
    # Stored out of time order, with another contact's event in between: time order decides.
    paid = harness.record_event(ann, "order_paid", seconds_ago=10)
    cart = harness.record_event(ann, "cart_updated", seconds_ago=20)
    other = harness.record_event(bob, "cart_updated", seconds_ago=15)
    apply_in_one_job(harness, [paid, other, cart])

    run = run_of(harness, flow_id, ann)
    assert run.status is RunStatus.COMPLETED
    assert [node for node, _port, *_ in run.path] == ["start", "paid", "thanks", "end"]
    assert run_of(harness, flow_id, bob).status is RunStatus.WAITING
    assert [m.node_id for m in harness.messages(ann)] == ["thanks"]
    assert harness.messages(bob) == []
    # The run entered after its goal event was done, so that event does not convert it.
    assert run.converted_at is None
    assert_counters_balance(harness, flow_id)


def test_after_exit_lets_a_second_event_in_the_batch_enter_once_the_first_run_ended(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(document(
        "Instant",
        {"start": ("trigger", {"event": "visited"}), "hello": ("send_chat", {"body": "Hi"}), "end": ("exit", {})},
        [("start", "next", "hello"), ("hello", "next", "end")],
    ))
    cid = harness.contact()
    first = harness.record_event(cid, "visited", seconds_ago=2)
    second = harness.record_event(cid, "visited", seconds_ago=1)
    apply_in_one_job(harness, [second, first])
    assert [run.status for run in harness.runs(flow_id)] == [RunStatus.COMPLETED, RunStatus.COMPLETED]
    assert counters(harness, live_version(harness, flow_id))["start"] == {"entered": 2, "left:next": 2}
    assert_counters_balance(harness, flow_id)


def test_once_and_cooldowns_count_runs_started_earlier_in_the_same_batch(harness) -> None:  # noqa: ANN001
    nodes = {"start": ("trigger", {"event": "visited"}), "hello": ("send_chat", {"body": "Hi"}), "end": ("exit", {})}
    edges = [("start", "next", "hello"), ("hello", "next", "end")]
    once = harness.publish(document("Once", nodes, edges, reentry={"mode": "once"}))
    cooled = harness.publish(document("Cooled", nodes, edges,
                                      reentry={"mode": "always", "cooldown": "P1D"}))
    cid = harness.contact()
    apply_in_one_job(harness, [harness.record_event(cid, "visited", seconds_ago=n) for n in (3, 2, 1)])
    assert len(harness.runs(once)) == 1
    assert len(harness.runs(cooled)) == 1

    harness.advance(timedelta(days=2))
    apply_in_one_job(harness, [harness.record_event(cid, "visited", seconds_ago=n) for n in (2, 1)])
    assert len(harness.runs(once)) == 1, "once: a run that ended in an earlier job still counts"
    assert len(harness.runs(cooled)) == 2, "the cooldown since the last entry has passed, once"
    assert_counters_balance(harness, once)
    assert_counters_balance(harness, cooled)


def test_an_email_to_an_unsubscribed_contact_is_suppressed_and_the_run_goes_on(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(document(
        "Welcome",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "mail": ("send_email", {"subject": "Welcome", "body": "<mjml></mjml>"}),
            "chat": ("send_chat", {"body": "Hi"}),
            "end": ("exit", {}),
        },
        [("start", "next", "mail"), ("mail", "next", "chat"), ("chat", "next", "end")],
    ))
    gone = harness.contact(email="gone@example.com", unsubscribed_at=harness.clock.now() - timedelta(days=1))
    here = harness.contact(email="here@example.com")
    harness.track(gone, "signed_up")
    harness.track(here, "signed_up")

    assert [(m.node_id, m.channel.value) for m in harness.messages(gone)] == [("chat", "chat")]
    assert [(m.node_id, m.channel.value) for m in harness.messages(here)] == [("mail", "email"), ("chat", "chat")]
    assert run_of(harness, flow_id, gone).status is RunStatus.COMPLETED
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["mail"] == {"entered": 2, "left:next": 2, "email:sent": 1, "email:queued": 1, "email:suppressed": 1}
    assert stats["chat"]["chat:sent"] == 2
    assert_counters_balance(harness, flow_id)


def test_a_message_rule_right_after_the_send_sees_the_message_of_the_same_batch(harness) -> None:  # noqa: ANN001
    """Messages are written to the ledger in bulk, but before anything in the batch reads it."""
    flow_id = harness.publish(document(
        "Check",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "hello": ("send_chat", {"body": "Hi"}),
            "check": ("condition", {"filter": {"message": "hello", "status": "sent"}}),
            "yes": ("exit", {"reason": "sent"}),
            "no": ("exit", {"reason": "not sent"}),
        },
        [("start", "next", "hello"), ("hello", "next", "check"), ("check", "yes", "yes"), ("check", "no", "no")],
    ))
    contacts = [harness.contact() for _ in range(3)]
    apply_in_one_job(harness, [harness.record_event(cid, "signed_up") for cid in contacts])
    assert {run.node_id for run in harness.runs(flow_id)} == {"yes"}
    assert_counters_balance(harness, flow_id)
