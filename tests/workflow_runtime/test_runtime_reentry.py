"""Re-entry rules: once, after_exit and always, with and without a cooldown."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
)
from workflow_runtime.storage.models import RunStatus


def reentry_flow(reentry: dict[str, Any], hold: str = "PT1H") -> dict[str, Any]:
    """visited → email → wait `hold` → exit, with the re-entry rule under test."""
    return document(
        "Re-entry under test",
        {
            "start": ("trigger", {"event": "visited"}),
            "mail": ("send_email", {"subject": "Hello again", "body": "<mjml></mjml>"}),
            "hold": ("wait", {"duration": hold}),
            "end": ("exit", {"reason": "done"}),
        },
        [("start", "next", "mail"), ("mail", "next", "hold"), ("hold", "next", "end")],
        reentry=reentry,
    )


def statuses(harness, flow_id: int) -> list[RunStatus]:  # noqa: ANN001 - the Harness fixture
    return [run.status for run in harness.runs(flow_id)]


def test_once_ignores_every_later_trigger(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(reentry_flow({"mode": "once"}))
    ann = harness.contact()
    harness.track(ann, "visited")
    harness.track(ann, "visited")  # while running
    harness.advance(timedelta(hours=2))
    assert statuses(harness, flow_id) == [RunStatus.COMPLETED]
    for _ in range(3):
        harness.advance(timedelta(days=30))
        harness.track(ann, "visited")  # long after it ended
    assert statuses(harness, flow_id) == [RunStatus.COMPLETED]
    assert len(harness.messages(ann)) == 1
    assert counters(harness, live_version(harness, flow_id))["start"] == {"entered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_after_exit_ignores_a_trigger_while_running_and_allows_one_after(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(reentry_flow({"mode": "after_exit"}))
    bob = harness.contact()
    harness.track(bob, "visited")
    harness.advance(timedelta(minutes=30))
    harness.track(bob, "visited")  # still waiting in `hold`
    assert statuses(harness, flow_id) == [RunStatus.WAITING]

    harness.advance(timedelta(minutes=30))  # the first run ends
    harness.track(bob, "visited")
    assert statuses(harness, flow_id) == [RunStatus.COMPLETED, RunStatus.WAITING]
    assert len(harness.messages(bob)) == 2
    assert counters(harness, live_version(harness, flow_id))["start"] == {"entered": 2, "left:next": 2}
    assert_counters_balance(harness, flow_id)


def test_after_exit_with_a_cooldown_counts_from_the_exit(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(reentry_flow({"mode": "after_exit", "cooldown": "P1D"}))
    cid = harness.contact()
    harness.track(cid, "visited")
    harness.advance(timedelta(hours=1))  # ends now
    [first] = harness.runs(flow_id)
    assert first.ended_at == harness.clock.now()

    harness.advance(timedelta(hours=12))
    harness.track(cid, "visited")  # 12 h after the exit: refused
    assert statuses(harness, flow_id) == [RunStatus.COMPLETED]
    harness.advance(timedelta(hours=13))
    harness.track(cid, "visited")  # 25 h after the exit: allowed
    assert statuses(harness, flow_id) == [RunStatus.COMPLETED, RunStatus.WAITING]
    assert counters(harness, live_version(harness, flow_id))["start"]["entered"] == 2
    assert_counters_balance(harness, flow_id)


def test_always_runs_concurrently(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(reentry_flow({"mode": "always"}))
    dan = harness.contact()
    harness.track(dan, "visited")
    harness.advance(timedelta(minutes=10))
    harness.track(dan, "visited")
    assert statuses(harness, flow_id) == [RunStatus.WAITING, RunStatus.WAITING]
    assert counters(harness, live_version(harness, flow_id))["hold"] == {"entered": 2, "waiting": 2}
    assert_counters_balance(harness, flow_id)

    harness.advance(timedelta(minutes=50))
    assert statuses(harness, flow_id) == [RunStatus.COMPLETED, RunStatus.WAITING]
    harness.advance(timedelta(minutes=10))
    assert statuses(harness, flow_id) == [RunStatus.COMPLETED, RunStatus.COMPLETED]
    first, second = harness.messages(dan)
    assert first.run_id != second.run_id  # each run sends its own message
    assert counters(harness, live_version(harness, flow_id))["hold"] == {"entered": 2, "left:next": 2}
    assert_counters_balance(harness, flow_id)


def test_always_with_a_cooldown_counts_from_the_last_entry(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(reentry_flow({"mode": "always", "cooldown": "PT6H"}, hold="P1D"))
    eva = harness.contact()
    harness.track(eva, "visited")
    harness.advance(timedelta(hours=5))
    harness.track(eva, "visited")  # 5 h after entering: refused
    assert statuses(harness, flow_id) == [RunStatus.WAITING]
    harness.advance(timedelta(hours=1))
    harness.track(eva, "visited")  # 6 h: allowed although the first run still waits
    assert statuses(harness, flow_id) == [RunStatus.WAITING, RunStatus.WAITING]
    harness.advance(timedelta(hours=3))
    harness.track(eva, "visited")  # 3 h after the second entry: refused
    assert len(harness.runs(flow_id)) == 2
    assert counters(harness, live_version(harness, flow_id))["start"] == {"entered": 2, "left:next": 2}
    assert_counters_balance(harness, flow_id)
