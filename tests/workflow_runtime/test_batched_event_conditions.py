"""A batch's conditions read its contacts' event history together (ChunkEvents), and decide exactly as a run's
condition evaluated on its own does: windows relative to the batch's now, counts, `where` rules, the batch's own
events, and an event a step of the batch records."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from tests.workflow_runtime.runtime_support import assert_counters_balance, document, run_of, track_all
from tests.workflow_runtime.test_runtime_branching import condition_flow
from workflow_runtime.engine import conversations
from workflow_runtime.engine.filters import evaluate
from workflow_runtime.engine.subject import ContactSubject
from workflow_runtime.storage.models import Contact, RunStatus

DAY = 24 * 3600
# (name, properties, seconds before now; negative: after now) of each history, one per contact, cycling.
HISTORIES: list[list[tuple[str, dict[str, Any], int]]] = [
    [],
    [("order_paid", {"amount": 30}, 3600)],
    [("order_paid", {"amount": 30}, 7 * DAY)],  # exactly where a P7D window starts: inside
    [("order_paid", {"amount": 30}, 7 * DAY + 1)],  # a second before it: outside
    [("order_paid", {"amount": 0}, DAY), ("order_paid", {"amount": 30}, 30 * DAY)],
    [("order_paid", {"amount": 30}, DAY), ("order_paid", {"amount": 12}, 2 * DAY)],
    [("order_paid", {"amount": 30}, -3600)],  # after now (a client's clock ahead): not yet
    [("order_paid", {"amount": 30}, 0), ("visited", {}, 2 * DAY), ("logged_in", {}, 600)],
    [("visited", {}, 8 * DAY), ("order_paid", {"amount": 30}, DAY), ("order_paid", {"amount": 5}, 3 * DAY),
     ("order_paid", {"amount": 7}, 6 * DAY)],
    [("logged_in", {}, 7200), ("order_paid", {"amount": "30"}, DAY)],  # a string amount is no number
]
RULES = {
    "did within a window, where": {"event": "order_paid", "op": "did", "within": "P7D",
                                   "where": [{"property": "amount", "op": "gt", "value": 0}]},
    "did not, all of history": {"event": "order_paid", "op": "did_not"},
    "at least twice within": {"event": "order_paid", "op": "did", "count": {"op": "gte", "value": 2}, "within": "P7D"},
    "exactly once or a recent login": {"any": [
        {"event": "order_paid", "op": "did", "count": {"op": "eq", "value": 1}, "within": "P30D"},
        {"event": "logged_in", "op": "did", "within": "PT1H"},
    ]},
    # The batch's own `visited` events are stored, so they count: a contact visiting twice in the batch has two.
    "visited at most twice within": {"event": "visited", "op": "did", "count": {"op": "lte", "value": 2},
                                     "within": "P7D"},
    "a calendar window, not": {"not": {"event": "order_paid", "op": "did", "within": "P1M",
                                       "where": [{"property": "amount", "op": "gte", "value": 10}]}},
}


def with_history(harness, histories: list[list[tuple[str, dict[str, Any], int]]]) -> list[int]:  # noqa: ANN001
    """A contact for each history, its events stored (and applied before the test's batch: no flow listens to them)."""
    contacts = []
    for history in histories:
        contact_id = harness.contact()
        for name, properties, seconds_ago in history:
            harness.record_event(contact_id, name, properties, seconds_ago=seconds_ago)
        contacts.append(contact_id)
    harness.drain()
    return contacts


@contextmanager
def chunk_reads(harness) -> Iterator[list[str]]:  # noqa: ANN001
    """The statements that read a chunk's events (ChunkEvents) while the block runs."""
    reads: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: Any) -> None:  # noqa: ANN001
        if statement.lstrip().startswith("SELECT events.contact_id, events.properties, events.timestamp"):
            reads.append(statement)

    event.listen(harness.runtime.engine, "before_cursor_execute", record)
    try:
        yield reads
    finally:
        event.remove(harness.runtime.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_a_batch_takes_the_ports_each_run_evaluated_alone_takes(harness, rule: dict[str, Any]) -> None:  # noqa: ANN001
    flow_id = harness.publish(condition_flow(rule))
    contacts = with_history(harness, HISTORIES * 2)
    # Three contacts visit twice in the batch (two rounds, two runs each), one of them with an earlier visit.
    visitors = contacts + [contacts[0], contacts[7], contacts[8]]
    assert len(visitors) <= 50  # the harness's batch size: one batch job

    with chunk_reads(harness) as reads:
        track_all(harness, visitors, "visited")

    now = harness.clock.now()
    with harness.session() as session:
        alone = {contact_id: evaluate(rule, ContactSubject(session, session.get(Contact, contact_id), now), now)
                 for contact_id in contacts}
    taken = {}
    for run in harness.runs(flow_id):
        assert (run.status, run.entered_at) == (RunStatus.COMPLETED, now)
        taken.setdefault(run.contact_id, set()).add(run.end_reason)
    assert taken == {contact_id: {"yes" if yes else "no"} for contact_id, yes in alone.items()}
    assert set(alone.values()) == {True, False}  # both ports are taken
    # One read per event name (each has one window) for each of the two rounds' runs, not one per run.
    names = {part.get("event") for part in [rule, *rule.get("any", []), rule.get("not", {})]} - {None}
    assert len(reads) == 2 * len(names)
    assert_counters_balance(harness, flow_id)


def test_each_runs_now_sets_its_window(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(condition_flow({"event": "order_paid", "op": "did", "within": "P7D"}))
    [paid] = with_history(harness, [[("order_paid", {}, 6 * DAY)]])
    track_all(harness, [paid], "visited")
    harness.advance(timedelta(days=2))  # the order is now 8 days old
    track_all(harness, [paid], "visited")  # after_exit by default: a second run
    assert [run.end_reason for run in harness.runs(flow_id)] == ["yes", "no"]


def test_an_event_a_step_records_is_seen_by_the_batchs_later_conditions(harness) -> None:  # noqa: ANN001
    """The first run's condition reads the batch's conversation_closed events before the second run's step closes
    its conversation: that contact's events are then read again, and its condition sees the close."""
    flow_id = harness.publish(document(
        "Close, then check",
        {
            "start": ("trigger", {"event": "visited"}),
            "closer": ("condition", {"filter": {"property": "closes", "op": "eq", "value": True}}),
            "close": ("update_conversation", {"status": "closed"}),
            "check": ("condition", {"filter": {"event": "conversation_closed", "op": "did", "within": "PT1H"}}),
            "end_yes": ("exit", {"reason": "yes"}),
            "end_no": ("exit", {"reason": "no"}),
        },
        [("start", "next", "closer"), ("closer", "yes", "close"), ("closer", "no", "check"),
         ("close", "next", "check"), ("check", "yes", "end_yes"), ("check", "no", "end_no")],
    ))
    looker, closer = harness.contact(), harness.contact(properties={"closes": True})
    with harness.runtime.sessions.begin() as session:
        conversations.contact_wrote(session, closer, {"kind": "reply", "body": "hello"}, harness.clock.now())

    with chunk_reads(harness) as reads:
        track_all(harness, [looker, closer], "visited")  # in this order: the looker's run is advanced first

    assert [run_of(harness, flow_id, contact).end_reason for contact in (looker, closer)] == ["no", "yes"]
    assert len(reads) == 2  # the chunk's, when the looker asked; the closer's alone, after its close
    assert_counters_balance(harness, flow_id)
