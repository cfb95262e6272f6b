"""The order in which an event acts: it first wakes the runs waiting for it, which take its branch, and only
then credits the flow goal (engine.events). Exit rules still beat the wake."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    revenue,
    run_of,
)
from workflow_runtime.engine import lifecycle
from workflow_runtime.storage.models import Flow, RunStatus

GOAL = {"event": "order_paid", "within": "P7D", "revenue_property": "amount", "exit_on_goal": True}


def waiting_for_payment(after_paying: dict[str, tuple[str, dict[str, Any]]], edges: list[tuple[str, str, str]],
                        **settings: Any) -> dict[str, Any]:
    """cart_updated → wait up to 1 h for order_paid → `after_paying` (from "after") / "gave_up" (timeout)."""
    nodes = {
        "start": ("trigger", {"event": "cart_updated"}),
        "wait": ("wait_for_event", {"event": "order_paid", "timeout": "PT1H"}),
        **after_paying,
        "gave_up": ("exit", {"reason": "no order"}),
    }
    return document("Event order", nodes,
                    [("start", "next", "wait"), ("wait", "event", "after"), ("wait", "timeout", "gave_up"), *edges],
                    **settings)


def test_exit_on_goal_ends_a_woken_run_where_its_branch_holds_it(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(waiting_for_payment(
        {"after": ("wait", {"duration": "P1D"}), "thanks": ("send_email", {"subject": "Thanks", "body": "<mjml></mjml>"}),
         "end": ("exit", {})},
        [("after", "next", "thanks"), ("thanks", "next", "end")],
        goal=GOAL,
    ))
    version = live_version(harness, flow_id)
    buyer = harness.contact()
    harness.track(buyer, "cart_updated")
    harness.advance(timedelta(minutes=10))
    harness.track(buyer, "order_paid", {"amount": 30})

    run = run_of(harness, flow_id, buyer)
    # Woken, it left by the event port into the one-day wait and held there; the goal, credited after,
    # counted 'after' too and ended the run in it (its waiting gauge back to 0).
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.EXITED, "after", "reached the goal")
    assert [step[:2] for step in run.path] == [["start", "next"], ["wait", "event"], ["after", None]]
    stats = counters(harness, version)
    assert stats["wait"] == {"entered": 1, "left:event": 1, "converted": 1}
    assert stats["after"] == {"entered": 1, "exited": 1, "exited:goal": 1, "converted": 1}
    assert revenue(harness, version, "after") == Decimal("30.00")

    harness.advance(timedelta(days=2))  # the wake-up it left behind fires and changes nothing
    assert harness.messages(buyer) == []
    assert_counters_balance(harness, flow_id)


def test_a_woken_run_that_passes_a_goal_node_converts_there_once(harness) -> None:  # noqa: ANN001
    """The goal node converts it first, with its own revenue; the flow goal then finds the run converted
    (once per run) and neither counts it again nor ends it: what the author put after the goal node runs."""
    flow_id = harness.publish(waiting_for_payment(
        {"after": ("goal", {"name": "Paid", "revenue": 5}), "later": ("wait", {"duration": "PT1H"}),
         "thanks": ("send_chat", {"body": "Thanks!"}), "end": ("exit", {})},
        [("after", "next", "later"), ("later", "next", "thanks"), ("thanks", "next", "end")],
        goal=GOAL,
    ))
    version = live_version(harness, flow_id)
    buyer = harness.contact()
    harness.track(buyer, "cart_updated")
    harness.advance(timedelta(minutes=10))
    harness.track(buyer, "order_paid", {"amount": 30})

    run = run_of(harness, flow_id, buyer)
    assert (run.status, run.node_id, run.revenue) == (RunStatus.WAITING, "later", Decimal("5.00"))
    stats = counters(harness, version)
    assert {node: metrics.get("converted", 0) for node, metrics in stats.items()} == {
        "start": 1, "wait": 1, "after": 1, "later": 0,  # the path up to the goal node
    }
    assert revenue(harness, version, "start") == Decimal("5.00")

    harness.advance(timedelta(hours=1))
    assert [m.node_id for m in harness.messages(buyer)] == ["thanks"]
    assert run_of(harness, flow_id, buyer).status is RunStatus.COMPLETED
    assert_counters_balance(harness, flow_id)


def test_an_exit_rule_on_the_awaited_event_ends_the_run_in_its_wait(harness) -> None:  # noqa: ANN001
    """`exit_when` ends a run wherever it is when the event comes: before the event can move it on."""
    flow_id = harness.publish(waiting_for_payment(
        {"after": ("send_chat", {"body": "Thanks!"}), "end": ("exit", {})},
        [("after", "next", "end")],
        goal={**GOAL, "exit_on_goal": False},
        exit_when=[{"event": "order_paid", "where": [{"property": "amount", "op": "gt", "value": 1000}]}],
    ))
    version = live_version(harness, flow_id)
    big, small = harness.contact(), harness.contact()
    for contact in (big, small):
        harness.track(contact, "cart_updated")
    harness.advance(timedelta(minutes=10))
    harness.track(big, "order_paid", {"amount": 5000})  # matches the exit rule
    harness.track(small, "order_paid", {"amount": 50})  # does not: woken, then credited

    big_run, small_run = run_of(harness, flow_id, big), run_of(harness, flow_id, small)
    assert (big_run.status, big_run.node_id, big_run.end_reason) == (RunStatus.EXITED, "wait", "exit rule: order_paid")
    assert (small_run.status, small_run.node_id) == (RunStatus.COMPLETED, "end")
    assert harness.messages(big) == [] and [m.node_id for m in harness.messages(small)] == ["after"]
    stats = counters(harness, version)
    assert stats["wait"] == {"entered": 2, "exited": 1, "exited:exit_rule": 1, "left:event": 1, "converted": 2}
    assert stats["after"] == {"entered": 1, "left:next": 1, "chat:sent": 1, "chat:queued": 1, "converted": 1}
    assert_counters_balance(harness, flow_id)


def test_a_contacts_next_event_in_the_batch_sees_the_goal_its_previous_one_credited(harness) -> None:  # noqa: ANN001
    """Goals are credited at the end of each round, before the contact's next event is applied."""
    flow_id = harness.publish(waiting_for_payment(
        {"after": ("wait_for_event", {"event": "review_left", "timeout": "P1D"}),
         "thanked": ("send_chat", {"body": "Thanks for the review!"}), "end": ("exit", {})},
        [("after", "event", "thanked"), ("after", "timeout", "end"), ("thanked", "next", "end")],
        goal=GOAL,
    ))
    buyer = harness.contact()
    harness.track(buyer, "cart_updated")
    harness.advance(timedelta(minutes=10))
    # One job, two rounds: the order wakes the run into the review wait, and its goal ends it there;
    # so the review, applied next, finds no run waiting for it.
    events = [harness.record_event(buyer, "order_paid", {"amount": 30}, seconds_ago=20),
              harness.record_event(buyer, "review_left", seconds_ago=10)]
    harness.runtime.jobs.apply_events(events)
    harness.drain()

    run = run_of(harness, flow_id, buyer)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.EXITED, "after", "reached the goal")
    assert harness.messages(buyer) == []
    assert_counters_balance(harness, flow_id)


def test_a_woken_run_of_a_paused_flow_is_credited_in_its_wait(harness) -> None:  # noqa: ANN001
    """A paused flow's runs do not move, so the event's branch is not taken: the goal counts in the wait
    and exit_on_goal ends the run there."""
    flow_id = harness.publish(waiting_for_payment(
        {"after": ("send_chat", {"body": "Thanks!"}), "end": ("exit", {})}, [("after", "next", "end")], goal=GOAL,
    ))
    version = live_version(harness, flow_id)
    buyer = harness.contact()
    harness.track(buyer, "cart_updated")
    with harness.runtime.sessions.begin() as session:
        lifecycle.pause_flow(session.get(Flow, flow_id))
    harness.advance(timedelta(minutes=10))
    harness.track(buyer, "order_paid", {"amount": 30})

    run = run_of(harness, flow_id, buyer)
    assert (run.status, run.node_id, run.end_reason, run.resume) == (RunStatus.EXITED, "wait", "reached the goal", None)
    assert counters(harness, version)["wait"] == {"entered": 1, "exited": 1, "exited:goal": 1, "converted": 1}
    assert harness.messages(buyer) == []
    assert_counters_balance(harness, flow_id)
