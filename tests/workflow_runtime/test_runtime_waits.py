"""Wait and wait-for-event nodes: durations, local weekday/time waits across DST, events with filters, time-outs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.workflow_runtime.runtime_support import (
    advance_to,
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
    track_all,
)
from workflow_runtime.storage.models import RunStatus
from workflow_runtime.storage.models.run import PathStep, entered_step, left_step

UTC = timezone.utc


def waiting_flow(wait: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """signed_up → the wait under test → email → exit."""
    return document(
        "Wait under test",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "hold": wait,
            "email": ("send_email", {"subject": "Hello", "body": "<mjml></mjml>"}),
            "done": ("exit", {"reason": "sent"}),
        },
        [("start", "next", "hold"), ("hold", "next", "email"), ("email", "next", "done")],
    )


def event_flow(where: list[dict[str, Any]] | None = None, timeout: str = "PT1H") -> dict[str, Any]:
    """cart_updated → wait for order_paid (optionally filtered) → paid exit / reminder email."""
    config: dict[str, Any] = {"event": "order_paid", "timeout": timeout}
    if where:
        config["where"] = where
    return document(
        "Wait for payment",
        {
            "start": ("trigger", {"event": "cart_updated"}),
            "paid": ("wait_for_event", config),
            "thanks": ("exit", {"reason": "paid in time"}),
            "remind": ("send_email", {"subject": "Your cart", "body": "<mjml></mjml>"}),
            "gave_up": ("exit", {"reason": "reminded"}),
        },
        [("start", "next", "paid"), ("paid", "event", "thanks"), ("paid", "timeout", "remind"),
         ("remind", "next", "gave_up")],
    )


def test_a_duration_wait_holds_exactly_that_long(harness) -> None:  # noqa: ANN001 - the Harness fixture
    flow_id = harness.publish(waiting_flow(("wait", {"duration": "PT2H"})))
    ann = harness.contact(email="ann@example.com")
    entered = harness.clock.now()
    harness.track(ann, "signed_up")

    run = run_of(harness, flow_id, ann)
    assert (run.status, run.node_id, run.wake_at) == (RunStatus.WAITING, "hold", entered + timedelta(hours=2))
    assert counters(harness, live_version(harness, flow_id))["hold"] == {"entered": 1, "waiting": 1}
    assert_counters_balance(harness, flow_id)

    harness.advance(timedelta(hours=2) - timedelta(seconds=1))
    assert harness.messages(ann) == []
    harness.advance(timedelta(seconds=1))
    [email] = harness.messages(ann)
    assert email.created_at == entered + timedelta(hours=2)
    run = run_of(harness, flow_id, ann)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.COMPLETED, "done", "sent")
    assert counters(harness, live_version(harness, flow_id))["hold"] == {"entered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_an_until_wait_is_read_in_each_contacts_time_zone(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(waiting_flow(("wait", {"until": {"weekdays": ["tuesday", "thursday"], "time": "10:00"}})))
    tokyo = harness.contact(time_zone="Asia/Tokyo")  # Monday 19:00 local: next Tuesday 10:00 is tomorrow morning
    la = harness.contact(time_zone="America/Los_Angeles")  # Monday 02:00 local: Tuesday 10:00 is a day and a half away
    unknown = harness.contact(time_zone=None)  # UTC
    track_all(harness, [tokyo, la, unknown], "signed_up")

    expected = {
        tokyo: datetime(2026, 3, 3, 1, 0, tzinfo=UTC),   # Tue 10:00 JST
        unknown: datetime(2026, 3, 3, 10, 0, tzinfo=UTC),  # Tue 10:00 UTC
        la: datetime(2026, 3, 3, 18, 0, tzinfo=UTC),     # Tue 10:00 PST
    }
    for contact, at in expected.items():
        assert run_of(harness, flow_id, contact).wake_at == at
    for contact, at in sorted(expected.items(), key=lambda item: item[1]):
        advance_to(harness, at - timedelta(minutes=1))
        assert harness.messages(contact) == []
        advance_to(harness, at)
        [email] = harness.messages(contact)
        assert email.created_at == at
        assert run_of(harness, flow_id, contact).status is RunStatus.COMPLETED
    assert counters(harness, live_version(harness, flow_id))["hold"] == {"entered": 3, "left:next": 3}
    assert_counters_balance(harness, flow_id)


@pytest.mark.parametrize(
    ("time_zone", "friday", "monday_nine"),
    [
        # US spring-forward on Sunday 8 March: Friday is UTC-5, Monday UTC-4.
        ("America/New_York", datetime(2026, 3, 6, 15, 0, tzinfo=UTC), datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
        # EU spring-forward on Sunday 29 March: Friday is UTC+1, Monday UTC+2.
        ("Europe/Berlin", datetime(2026, 3, 27, 15, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        # EU fall-back on Sunday 25 October: Friday is UTC+2, Monday UTC+1.
        ("Europe/Berlin", datetime(2026, 10, 23, 15, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
    ],
)
def test_a_wait_set_on_friday_lands_at_nine_on_monday_across_a_dst_change(
    harness, time_zone: str, friday: datetime, monday_nine: datetime  # noqa: ANN001
) -> None:
    flow_id = harness.publish(waiting_flow(("wait", {"until": {"weekdays": ["monday"], "time": "09:00"}})))
    contact = harness.contact(time_zone=time_zone)
    advance_to(harness, friday)
    harness.track(contact, "signed_up")
    run = run_of(harness, flow_id, contact)
    assert run.wake_at == monday_nine
    assert run.wake_at.astimezone(ZoneInfo(time_zone)).strftime("%A %H:%M") == "Monday 09:00"

    advance_to(harness, monday_nine - timedelta(minutes=1))
    assert harness.messages(contact) == []
    assert run_of(harness, flow_id, contact).status is RunStatus.WAITING
    advance_to(harness, monday_nine)
    [email] = harness.messages(contact)
    assert email.created_at.astimezone(ZoneInfo(time_zone)).strftime("%a %H:%M") == "Mon 09:00"
    assert run_of(harness, flow_id, contact).status is RunStatus.COMPLETED
    assert_counters_balance(harness, flow_id)


def test_the_awaited_event_leaves_by_the_event_port(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(event_flow())
    bea = harness.contact()
    started = harness.clock.now()
    harness.track(bea, "cart_updated")
    harness.advance(timedelta(minutes=30))
    assert counters(harness, live_version(harness, flow_id))["paid"] == {"entered": 1, "waiting": 1}
    harness.track(bea, "order_paid", {"amount": 10})

    run = run_of(harness, flow_id, bea)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.COMPLETED, "thanks", "paid in time")
    # Each step keeps when the run entered its node, in whole seconds since the epoch (UTC).
    entered, paid = (int(time.timestamp()) for time in (started, harness.clock.now()))
    assert run.path == [["start", "next", entered], ["paid", "event", entered], ["thanks", None, paid]]
    harness.advance(timedelta(hours=2))  # the time-out's stale wake-up changes nothing
    assert harness.messages(bea) == []
    assert counters(harness, live_version(harness, flow_id))["paid"] == {"entered": 1, "left:event": 1}
    assert_counters_balance(harness, flow_id)


def test_only_an_event_matching_where_ends_the_wait(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(event_flow(where=[{"property": "amount", "op": "gte", "value": 50}]))
    cid, dan = harness.contact(), harness.contact()
    track_all(harness, [cid, dan], "cart_updated")
    harness.advance(timedelta(minutes=10))
    harness.track(cid, "order_paid", {"amount": 20})  # too small: cid keeps waiting
    harness.track(dan, "order_paid", {"amount": 80})

    assert run_of(harness, flow_id, cid).status is RunStatus.WAITING
    assert run_of(harness, flow_id, dan).node_id == "thanks"
    harness.track(cid, "order_paid", {"amount": 55})  # a second, matching payment counts
    assert run_of(harness, flow_id, cid).path[1][:2] == ["paid", "event"]
    assert counters(harness, live_version(harness, flow_id))["paid"] == {"entered": 2, "left:event": 2}
    assert_counters_balance(harness, flow_id)


def test_without_the_event_the_timeout_port_is_taken(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(event_flow(where=[{"property": "amount", "op": "gte", "value": 50}]))
    eve = harness.contact()
    entered = harness.clock.now()
    harness.track(eve, "cart_updated")
    harness.track(eve, "order_paid", {"amount": 5})  # not matching
    harness.track(eve, "page_viewed")  # not the awaited event
    harness.advance(timedelta(minutes=59))
    assert harness.messages(eve) == []

    harness.advance(timedelta(minutes=1))
    [email] = harness.messages(eve)
    assert (email.node_id, email.created_at) == ("remind", entered + timedelta(hours=1))
    run = run_of(harness, flow_id, eve)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.COMPLETED, "gave_up", "reminded")
    assert [port for _node, port, *_ in run.path] == ["next", "timeout", "next", None]
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["paid"] == {"entered": 1, "left:timeout": 1}
    assert stats["remind"] == {"entered": 1, "email:sent": 1, "email:queued": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_an_event_after_the_timeout_does_not_count_even_if_the_scheduler_is_late(harness) -> None:  # noqa: ANN001
    """The time-out fell due at 11:00 but no tick has handled it yet; payment at 11:05 is too late."""
    flow_id = harness.publish(event_flow())
    fay = harness.contact()
    harness.track(fay, "cart_updated")
    harness.clock.advance(timedelta(hours=1, minutes=5))  # time passes without a scheduler tick
    harness.track(fay, "order_paid", {"amount": 10})

    run = run_of(harness, flow_id, fay)
    assert run.path[1][:2] == ["paid", "timeout"]
    assert (run.status, run.node_id) == (RunStatus.COMPLETED, "gave_up")
    assert [message.node_id for message in harness.messages(fay)] == ["remind"]
    assert_counters_balance(harness, flow_id)


def test_a_path_step_kept_before_times_were_reads_without_a_time_and_keeps_its_rule_in_place() -> None:
    """Runs started before the path kept times have [node, port] steps: leaving one by a rule gives it no time, and
    reading it finds the rule where a rule belongs."""
    old = ["check", None]
    left = left_step(old, "no", "/filter/all/1")
    assert left == ["check", "no", None, "/filter/all/1"] and old == ["check", None]
    assert PathStep.read(left) == PathStep("check", "no", None, "/filter/all/1")
    at = datetime(2026, 3, 2, 10, 0, 5, tzinfo=timezone.utc)
    assert PathStep.read(left_step(entered_step("wait", at), "next")) == PathStep("wait", "next", at, None)
    assert PathStep.read(["start", "next"]) == PathStep("start", "next", None, None)
