"""Exactly-once: a job queued twice, an event replayed, or delivered to two workers at once changes nothing twice."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import event as sa_event

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
)
from workflow_runtime.dispatch import jobs
from workflow_runtime.engine.batches import process_events
from workflow_runtime.storage.models import RunStatus


def drip_flow(reentry: str = "after_exit") -> dict[str, Any]:
    """signed_up → chat → wait 1 h → email → exit; goal order_paid with revenue."""
    return document(
        "Drip",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "hello": ("send_chat", {"body": "Hi!"}),
            "hold": ("wait", {"duration": "PT1H"}),
            "mail": ("send_email", {"subject": "Tips", "body": "<mjml></mjml>"}),
            "end": ("exit", {"reason": "done"}),
        },
        [("start", "next", "hello"), ("hello", "next", "hold"), ("hold", "next", "mail"), ("mail", "next", "end")],
        reentry={"mode": reentry},
        goal={"event": "order_paid", "within": "P7D", "revenue_property": "amount", "exit_on_goal": False},
    )


def snapshot(harness, flow_id: int, contact_id: int) -> tuple[Any, ...]:  # noqa: ANN001
    """Everything a duplicate could change: messages, runs and counters."""
    return (
        [(m.node_id, m.channel, m.created_at) for m in harness.messages(contact_id)],
        [(r.id, r.status, r.node_id, r.path, r.converted_at, r.revenue) for r in harness.runs(flow_id)],
        counters(harness, live_version(harness, flow_id)),
    )


def test_an_advance_job_queued_twice_sends_once(harness) -> None:  # noqa: ANN001 - the Harness fixture
    flow_id = harness.publish(drip_flow())
    ann = harness.contact()
    harness.track(ann, "signed_up")
    run_id = run_of(harness, flow_id, ann).id

    harness.clock.advance(timedelta(hours=1))
    harness.runtime.jobs.advance([run_id])  # e.g. a re-delivered job, queued before the tick's own
    harness.runtime.jobs.advance([run_id])
    harness.drain()  # the tick queues a third
    assert [m.node_id for m in harness.messages(ann)] == ["hello", "mail"]
    before = snapshot(harness, flow_id, ann)

    harness.runtime.jobs.advance([run_id])  # after it all ran
    harness.drain()
    assert snapshot(harness, flow_id, ann) == before
    mail = counters(harness, live_version(harness, flow_id))["mail"]
    assert mail == {"entered": 1, "email:sent": 1, "email:queued": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_an_advance_job_for_a_waiting_run_that_is_not_due_does_nothing(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(drip_flow())
    bob = harness.contact()
    harness.track(bob, "signed_up")
    before = snapshot(harness, flow_id, bob)
    harness.runtime.jobs.advance([run_of(harness, flow_id, bob).id] * 2)
    harness.drain()
    assert snapshot(harness, flow_id, bob) == before
    assert run_of(harness, flow_id, bob).node_id == "hold"
    assert_counters_balance(harness, flow_id)


def test_an_event_job_queued_twice_enrols_and_converts_once(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(drip_flow(reentry="always"))  # "always" would gladly start a second run
    cid = harness.contact()
    signed_up = harness.record_event(cid, "signed_up")
    harness.runtime.jobs.apply_events([signed_up])
    harness.runtime.jobs.apply_events([signed_up])
    harness.drain()
    assert len(harness.runs(flow_id)) == 1
    assert [m.node_id for m in harness.messages(cid)] == ["hello"]

    paid = harness.record_event(cid, "order_paid", {"amount": 30})
    harness.runtime.jobs.apply_events([paid, paid])
    harness.runtime.jobs.apply_events([paid])
    harness.drain()
    before = snapshot(harness, flow_id, cid)
    stats = counters(harness, live_version(harness, flow_id))
    assert stats["start"] == {"entered": 1, "left:next": 1, "converted": 1}
    assert run_of(harness, flow_id, cid).revenue == 30

    harness.runtime.jobs.apply_events([signed_up, paid])  # replayed later, e.g. by a re-run import
    harness.drain()
    assert snapshot(harness, flow_id, cid) == before
    harness.advance(timedelta(hours=1))
    assert [m.node_id for m in harness.messages(cid)] == ["hello", "mail"]
    assert_counters_balance(harness, flow_id)


def test_an_event_delivered_to_two_workers_at_once_is_applied_once(harness) -> None:  # noqa: ANN001
    """Worker B reads the event as unprocessed, then worker A applies and commits it before B goes on."""
    flow_id = harness.publish(drip_flow(reentry="always"))
    dora = harness.contact()
    event_id = harness.record_event(dora, "signed_up")
    engine = harness.runtime.engine
    b_read_it, a_committed = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def pause_b_after_reading_events(conn, cursor, statement, *args: Any) -> None:  # noqa: ANN001
        if threading.current_thread().name == "worker-b" and "FROM events" in statement and not b_read_it.is_set():
            b_read_it.set()
            a_committed.wait(timeout=5)

    def worker_b() -> None:
        try:
            outcome["steps"] = jobs.process_events([event_id])
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = error

    sa_event.listen(engine, "after_cursor_execute", pause_b_after_reading_events)
    try:
        thread = threading.Thread(target=worker_b, name="worker-b", daemon=True)
        thread.start()
        assert b_read_it.wait(timeout=5)
        with harness.runtime.sessions.begin() as session:  # worker A
            process_events(session, [event_id], harness.clock.now(), lambda _contact_id, _now: False)
        a_committed.set()
        thread.join(timeout=10)
    finally:
        sa_event.remove(engine, "after_cursor_execute", pause_b_after_reading_events)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome

    assert [run.status for run in harness.runs(flow_id)] == [RunStatus.WAITING]
    assert [m.node_id for m in harness.messages(dora)] == ["hello"]
    assert counters(harness, live_version(harness, flow_id))["start"] == {"entered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)
