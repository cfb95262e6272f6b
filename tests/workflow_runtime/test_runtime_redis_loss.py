"""Redis is only a mirror: after a flush or a lost job, the reconciler rebuilds due work from the database."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    track_all,
)
from workflow_runtime.dispatch.scheduler import Scheduler, queue_due_runs
from workflow_runtime.storage.models import RunStatus


def reminder_flow() -> dict[str, Any]:
    """signed_up → wait for activated up to 2 h → (event) exit / (timeout) email → wait 1 day → email → exit."""
    return document(
        "Activation reminder",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "activated": ("wait_for_event", {"event": "activated", "timeout": "PT2H"}),
            "done": ("exit", {"reason": "activated"}),
            "nudge": ("send_email", {"subject": "Need a hand?", "body": "<mjml></mjml>"}),
            "later": ("wait", {"duration": "P1D"}),
            "nudge2": ("send_email", {"subject": "Still here", "body": "<mjml></mjml>"}),
            "end": ("exit", {"reason": "nudged"}),
        },
        [("start", "next", "activated"), ("activated", "event", "done"), ("activated", "timeout", "nudge"),
         ("nudge", "next", "later"), ("later", "next", "nudge2"), ("nudge2", "next", "end")],
    )


def enrol(harness, how_many: int) -> tuple[int, list[int]]:  # noqa: ANN001 - the Harness fixture
    flow_id = harness.publish(reminder_flow())
    contacts = [harness.contact() for _ in range(how_many)]
    track_all(harness, contacts, "signed_up")
    assert harness.runtime.wakeups.count() == how_many
    return flow_id, contacts


def test_after_redis_is_flushed_reconcile_all_brings_every_wake_up_back(harness, redis_connection) -> None:  # noqa: ANN001
    flow_id, contacts = enrol(harness, 5)
    harness.track(contacts[0], "activated")
    harness.advance(timedelta(hours=2))  # contacts 1-4 are mailed and wait a day in `later`
    assert {len(harness.messages(c)) for c in contacts[1:]} == {1}

    redis_connection.flushdb()
    assert harness.runtime.wakeups.count() == 0
    harness.advance(timedelta(days=1))  # nothing wakes: Redis forgot them
    assert {len(harness.messages(c)) for c in contacts[1:]} == {1}
    assert {run.node_id for run in harness.runs(flow_id)} == {"done", "later"}

    assert Scheduler(harness.runtime).reconcile_all() == 4  # only unfinished runs with a wake-up
    harness.advance(timedelta(seconds=1))
    assert {len(harness.messages(c)) for c in contacts[1:]} == {2}
    assert [run.end_reason for run in harness.runs(flow_id)] == ["activated", "nudged", "nudged", "nudged", "nudged"]
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["later"] == {"entered": 4, "left:next": 4}
    assert stats["nudge2"] == {"entered": 4, "email:sent": 4, "email:queued": 4, "left:next": 4}
    assert_counters_balance(harness, flow_id)


def test_a_flush_before_the_wake_ups_are_due_loses_nothing_either(harness, redis_connection) -> None:  # noqa: ANN001
    flow_id, contacts = enrol(harness, 3)
    redis_connection.flushdb()
    Scheduler(harness.runtime).reconcile_all()
    harness.track(contacts[0], "activated")  # push wake-ups never needed Redis
    harness.advance(timedelta(hours=2))
    assert [len(harness.messages(c)) for c in contacts] == [0, 1, 1]
    assert counters(harness, live_version(harness, flow_id))["activated"] == {"entered": 3, "left:event": 1, "left:timeout": 2}
    assert_counters_balance(harness, flow_id)


def test_a_lost_job_is_recovered_by_reconcile_overdue_after_the_grace_period(harness) -> None:  # noqa: ANN001
    flow_id, contacts = enrol(harness, 4)
    harness.clock.advance(timedelta(hours=2))
    assert queue_due_runs(harness.runtime, harness.clock.now()) == 4  # claimed: gone from the sorted set, into a job ...
    assert harness.runtime.jobs.queue.count == 1
    harness.runtime.jobs.queue.empty()  # ... which a dying worker takes with it
    assert harness.runtime.wakeups.count() == 0
    harness.drain()
    assert all(harness.messages(c) == [] for c in contacts)

    scheduler = Scheduler(harness.runtime)  # grace: 60 s
    harness.advance(timedelta(seconds=59))
    assert scheduler.reconcile_overdue() == 0  # due for 59 s: maybe just slow, not lost
    harness.advance(timedelta(seconds=1))
    assert scheduler.reconcile_overdue() == 4
    harness.drain()
    assert all(len(harness.messages(c)) == 1 for c in contacts)
    runs = harness.runs(flow_id)
    assert {(run.status, run.node_id) for run in runs} == {(RunStatus.WAITING, "later")}
    assert counters(harness, live_version(harness, flow_id))["activated"] == {"entered": 4, "left:timeout": 4}

    assert scheduler.reconcile_overdue() == 0  # nothing overdue any more: the pass is idempotent
    harness.advance(timedelta(days=1))
    assert all(len(harness.messages(c)) == 2 for c in contacts)
    assert_counters_balance(harness, flow_id)
