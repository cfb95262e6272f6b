"""Flow settings: quiet hours, the frequency cap, exit rules, the goal window, exit_on_goal and revenue."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tests.workflow_runtime.runtime_support import (
    advance_to,
    assert_counters_balance,
    counters,
    document,
    live_version,
    revenue,
    run_of,
    track_all,
)
from workflow_runtime.storage.models import RunStatus

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def line(steps: dict[str, tuple[str, dict[str, Any]]], **settings: Any) -> dict[str, Any]:
    """signed_up → each step by `next` → exit "end"."""
    nodes = {"start": ("trigger", {"event": "signed_up"}), **steps, "end": ("exit", {"reason": "done"})}
    ids = list(nodes)
    return document("Settings under test", nodes, [(a, "next", b) for a, b in zip(ids, ids[1:])], **settings)


def email(subject: str) -> tuple[str, dict[str, Any]]:
    return "send_email", {"subject": subject, "body": "<mjml></mjml>"}


def test_quiet_hours_defer_a_late_send_to_the_morning_in_the_contacts_zone(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line({"mail": email("Hello")}, quiet_hours={"from": "21:00", "to": "09:00"}))
    version = live_version(harness, flow_id)
    berliner = harness.contact(time_zone="Europe/Berlin")
    advance_to(harness, datetime(2026, 3, 2, 22, 0, tzinfo=UTC))  # 23:00 in Berlin
    harness.track(berliner, "signed_up")

    morning = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert harness.messages(berliner) == []
    run = run_of(harness, flow_id, berliner)
    assert (run.status, run.node_id, run.wake_at) == (RunStatus.WAITING, "mail", morning)
    assert counters(harness, version)["mail"] == {"entered": 1, "waiting": 1}
    assert_counters_balance(harness, flow_id)

    advance_to(harness, morning - timedelta(minutes=1))
    assert harness.messages(berliner) == []
    advance_to(harness, morning)
    [sent] = harness.messages(berliner)
    assert sent.created_at.astimezone(BERLIN).strftime("%H:%M") == "09:00"
    assert run_of(harness, flow_id, berliner).status is RunStatus.COMPLETED
    assert counters(harness, version)["mail"] == {"entered": 1, "email:sent": 1, "email:queued": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_quiet_hours_do_not_hold_a_send_in_the_daytime(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line({"mail": email("Hello")}, quiet_hours={"from": "21:00", "to": "09:00"}))
    tokyo = harness.contact(time_zone="Asia/Tokyo")  # 19:00 local: not quiet yet
    harness.track(tokyo, "signed_up")
    assert [m.created_at for m in harness.messages(tokyo)] == [harness.clock.now()]
    assert_counters_balance(harness, flow_id)


def test_the_frequency_cap_defers_the_third_send_until_the_first_leaves_the_window(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line({
        "first": email("One"),
        "gap1": ("wait", {"duration": "PT1H"}),
        "second": email("Two"),
        "gap2": ("wait", {"duration": "PT1H"}),
        "third": email("Three"),
    }, frequency_cap={"max_messages": 2, "per": "P1D"}))
    version = live_version(harness, flow_id)
    ada = harness.contact()
    start = harness.clock.now()
    harness.track(ada, "signed_up")
    harness.advance(timedelta(hours=1))
    harness.advance(timedelta(hours=1))

    assert [m.node_id for m in harness.messages(ada)] == ["first", "second"]
    run = run_of(harness, flow_id, ada)
    assert (run.status, run.node_id, run.wake_at) == (RunStatus.WAITING, "third", start + timedelta(days=1))
    assert counters(harness, version)["third"] == {"entered": 1, "waiting": 1}
    assert_counters_balance(harness, flow_id)

    advance_to(harness, start + timedelta(days=1) - timedelta(seconds=1))
    assert len(harness.messages(ada)) == 2
    advance_to(harness, start + timedelta(days=1))
    first, second, third = harness.messages(ada)
    assert third.created_at == first.created_at + timedelta(days=1)
    assert run_of(harness, flow_id, ada).status is RunStatus.COMPLETED
    assert counters(harness, version)["third"] == {"entered": 1, "email:sent": 1, "email:queued": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_the_frequency_cap_counts_one_contact_not_everyone(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line({"first": email("One"), "second": email("Two"), "third": email("Three")},
                                   frequency_cap={"max_messages": 2, "per": "P1D"}))
    contacts = [harness.contact() for _ in range(3)]
    track_all(harness, contacts, "signed_up")
    for contact in contacts:
        assert [m.node_id for m in harness.messages(contact)] == ["first", "second"]
        assert run_of(harness, flow_id, contact).node_id == "third"
    assert counters(harness, live_version(harness, flow_id))["third"] == {"entered": 3, "waiting": 3}
    assert_counters_balance(harness, flow_id)


def test_an_exit_rule_ends_waiting_runs(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line(
        {"hold": ("wait", {"duration": "P3D"}), "mail": email("Still there?")},
        exit_when=[{"event": "unsubscribed"}, {"event": "preferences_changed",
                                               "where": [{"property": "email_opt_in", "op": "eq", "value": False}]}],
    ))
    version = live_version(harness, flow_id)
    leaver, changer, stayer = harness.contact(), harness.contact(), harness.contact()
    track_all(harness, [leaver, changer, stayer], "signed_up")
    assert counters(harness, version)["hold"] == {"entered": 3, "waiting": 3}

    harness.advance(timedelta(hours=5))
    harness.track(leaver, "unsubscribed")
    harness.track(changer, "preferences_changed", {"email_opt_in": True})  # does not match the rule's where
    run = run_of(harness, flow_id, leaver)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.EXITED, "hold", "exit rule: unsubscribed")
    assert run.wake_at is None and run.ended_at == harness.clock.now()
    assert counters(harness, version)["hold"] == {"entered": 3, "waiting": 2, "exited": 1, "exited:exit_rule": 1}

    harness.track(changer, "preferences_changed", {"email_opt_in": False})
    harness.track(stayer, "unsubscribed")
    assert counters(harness, version)["hold"] == {"entered": 3, "exited": 3, "exited:exit_rule": 3}  # the waiting gauge is back to 0
    assert_counters_balance(harness, flow_id)

    harness.advance(timedelta(days=4))  # their stale wake-ups fire and change nothing
    assert all(harness.messages(c) == [] for c in (leaver, changer, stayer))
    assert {run.status for run in harness.runs(flow_id)} == {RunStatus.EXITED}
    assert_counters_balance(harness, flow_id)


def test_with_exit_on_goal_false_a_converted_run_goes_on(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line(
        {"hold": ("wait", {"duration": "P1D"}), "mail": email("Thanks"), "later": ("wait", {"duration": "P1D"}),
         "mail2": email("Tips")},
        goal={"event": "order_paid", "within": "P2D", "revenue_property": "order.total", "exit_on_goal": False},
    ))
    version = live_version(harness, flow_id)
    buyer = harness.contact()
    harness.track(buyer, "signed_up")
    harness.advance(timedelta(hours=3))
    harness.track(buyer, "order_paid", {"order": {"total": "42.5", "currency": "EUR"}})

    run = run_of(harness, flow_id, buyer)
    assert (run.status, run.node_id) == (RunStatus.WAITING, "hold")
    assert (run.converted_at, run.revenue) == (harness.clock.now(), Decimal("42.50"))
    harness.track(buyer, "order_paid", {"order": {"total": 99}})  # a second order converts nothing more

    harness.advance(timedelta(days=1))
    harness.advance(timedelta(days=1))
    run = run_of(harness, flow_id, buyer)
    assert (run.status, run.end_reason, run.revenue) == (RunStatus.COMPLETED, "done", Decimal("42.50"))
    assert [m.node_id for m in harness.messages(buyer)] == ["mail", "mail2"]
    stats = counters(harness, version)
    # credited to what the buyer had passed when paying: the trigger and the wait it was in
    assert {node: metrics.get("converted", 0) for node, metrics in stats.items()} == {
        "start": 1, "hold": 1, "mail": 0, "later": 0, "mail2": 0, "end": 0,
    }
    assert revenue(harness, version, "start") == revenue(harness, version, "hold") == Decimal("42.50")
    assert_counters_balance(harness, flow_id)


def test_the_goal_counts_only_within_its_window(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line(
        {"hold": ("wait", {"duration": "P5D"})},
        goal={"event": "order_paid", "within": "P2D", "revenue_property": "order.total", "exit_on_goal": True},
    ))
    version = live_version(harness, flow_id)
    quick, slow = harness.contact(), harness.contact()
    track_all(harness, [quick, slow], "signed_up")
    harness.advance(timedelta(days=2) - timedelta(seconds=1))
    harness.track(quick, "order_paid", {"order": {"total": 10}})
    harness.advance(timedelta(seconds=2))
    harness.track(slow, "order_paid", {"order": {"total": 10}})

    quick_run, slow_run = run_of(harness, flow_id, quick), run_of(harness, flow_id, slow)
    assert (quick_run.status, quick_run.end_reason, quick_run.revenue) == (RunStatus.EXITED, "reached the goal", Decimal("10.00"))
    assert (slow_run.status, slow_run.converted_at) == (RunStatus.WAITING, None)
    assert counters(harness, version)["hold"] == {"entered": 2, "waiting": 1, "exited": 1, "exited:goal": 1, "converted": 1}
    assert_counters_balance(harness, flow_id)


def test_a_revenue_that_is_not_a_number_credits_the_conversion_without_revenue(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(line(
        {"hold": ("wait", {"duration": "P5D"})},
        goal={"event": "order_paid", "revenue_property": "order.total"},
    ))
    version = live_version(harness, flow_id)
    buyers = {harness.contact(): total for total in ("NaN", "a lot", True, None, "-Infinity", "1e30", 1e17)}
    track_all(harness, list(buyers), "signed_up")
    track_all(harness, list(buyers), "order_paid", [{"order": {"total": total}} for total in buyers.values()])
    for contact in buyers:
        run = run_of(harness, flow_id, contact)
        assert (run.status, run.revenue) == (RunStatus.EXITED, None), buyers[contact]
    assert counters(harness, version)["hold"]["converted"] == len(buyers)
    assert revenue(harness, version, "start") == 0
    assert_counters_balance(harness, flow_id)
