"""The abandoned-cart template, end to end on virtual time, through real RQ batch jobs."""
from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest

from flows.scenarios import all_scenarios
from tests.workflow_runtime.runtime_support import assert_counters_balance
from workflow_runtime.channels.messages import record_status
from workflow_runtime.storage.models import Message, MessageStatus, RunStatus

CART = next(t.document for t in all_scenarios() if t.slug == "abandoned_cart")


@pytest.fixture
def flow_id(harness) -> int:
    return harness.publish(copy.deepcopy(CART))


def test_paid_within_the_hour_takes_the_paid_branch_sends_nothing_and_converts_on_it(harness, flow_id: int) -> None:
    """The order first wakes the run waiting for it, which leaves by the event port into 'paid'; only then
    does the goal (the same order_paid) convert it, with the order's amount, on every node it passed."""
    anna = harness.contact(email="anna@example.com")
    harness.track(anna, "cart_updated", {"total": 120})
    harness.advance(timedelta(minutes=20))
    harness.track(anna, "order_paid", {"amount": 120})
    harness.advance(timedelta(hours=2))

    assert harness.messages(anna) == []
    [run] = harness.runs(flow_id)
    # The Exit node 'paid' completed the run; exit_on_goal, credited after, found nothing left to end.
    assert (run.status, run.end_reason, run.node_id) == (RunStatus.COMPLETED, "Paid without a reminder", "paid")
    assert [step[:2] for step in run.path] == [["cart_updated", "next"], ["wait_for_payment", "event"], ["paid", None]]
    assert (run.converted_at, run.revenue) == (harness.clock.now() - timedelta(hours=2), Decimal("120.00"))
    counters = harness.counters(flow_id)
    assert counters["cart_updated"] == {"entered": 1, "left:next": 1, "converted": 1}
    assert counters["wait_for_payment"] == {"entered": 1, "left:event": 1, "converted": 1}
    assert counters["paid"] == {"entered": 1, "completed": 1, "converted": 1}
    assert "promo_popup" not in counters
    for node in ("cart_updated", "wait_for_payment", "paid"):
        assert harness.revenue(flow_id, node) == 120.0, node
    assert_counters_balance(harness, flow_id)


def test_the_paid_order_is_applied_once(harness, flow_id: int) -> None:
    """The order's job run again (a retry, a duplicate) finds the event applied: no second wake, no second credit."""
    anna = harness.contact(email="anna@example.com")
    harness.track(anna, "cart_updated", {"total": 120})
    harness.advance(timedelta(minutes=20))
    paid = harness.record_event(anna, "order_paid", {"amount": 120})
    harness.runtime.jobs.apply_events([paid])
    harness.drain()
    before = harness.counters(flow_id)
    harness.runtime.jobs.apply_events([paid])
    harness.drain()
    assert harness.counters(flow_id) == before
    assert before["paid"] == {"entered": 1, "completed": 1, "converted": 1}
    assert_counters_balance(harness, flow_id)


def test_not_paid_gets_the_popup_then_the_email_and_the_goal_counts_on_the_path(harness, flow_id: int) -> None:
    boris = harness.contact(email="boris@example.com")
    harness.track(boris, "cart_updated", {"total": 59.9})
    harness.advance(timedelta(minutes=59))
    assert harness.messages(boris) == []

    harness.advance(timedelta(minutes=2))
    [popup] = harness.messages(boris)
    assert popup.channel.value == "popup" and popup.content["size"] == "small"

    harness.advance(timedelta(days=1))
    popup_message, email = harness.messages(boris)
    assert email.channel.value == "email"
    assert "promo" in email.content["subject"].lower() or email.content["body"]
    [run] = harness.runs(flow_id)
    assert run.status is RunStatus.COMPLETED

    harness.advance(timedelta(days=2))
    harness.track(boris, "order_paid", {"amount": "59.90"})
    counters = harness.counters(flow_id)
    for node in [node_id for node_id, _port, *_ in run.path]:
        assert counters[node]["converted"] == 1, node
        assert harness.revenue(flow_id, node) == pytest.approx(59.90)
    # the popup, then its email fallback: counted apart, per channel
    assert (counters["promo_popup"]["popup:sent"], counters["promo_popup"]["email:sent"]) == (1, 1)
    assert counters["wait_for_payment"]["left:timeout"] == 1


def test_a_read_popup_needs_no_email(harness, flow_id: int) -> None:
    carla = harness.contact(email="carla@example.com")
    harness.track(carla, "cart_updated", {"total": 10})
    harness.advance(timedelta(hours=1, minutes=1))
    with harness.runtime.sessions.begin() as session:
        popup = session.get(Message, harness.messages(carla)[0].id)
        assert record_status(session, popup, MessageStatus.READ, harness.clock.now()) == ["delivered", "read"]
        assert record_status(session, popup, MessageStatus.READ, harness.clock.now()) == []
    harness.advance(timedelta(days=1))
    assert [m.channel.value for m in harness.messages(carla)] == ["popup"]
    counters = harness.counters(flow_id)
    assert counters["promo_popup"]["popup:read"] == 1
    assert counters["promo_popup"]["left:next"] == 1


def test_no_goal_after_the_window(harness, flow_id: int) -> None:
    dmitri = harness.contact(email="dmitri@example.com")
    harness.track(dmitri, "cart_updated", {"total": 10})
    harness.advance(timedelta(days=8))
    harness.track(dmitri, "order_paid", {"amount": 10})
    assert all("converted" not in metrics for metrics in harness.counters(flow_id).values())


def test_an_empty_cart_does_not_enrol(harness, flow_id: int) -> None:
    eva = harness.contact(email="eva@example.com")
    harness.track(eva, "cart_updated", {"total": 0})
    assert harness.runs(flow_id) == []
