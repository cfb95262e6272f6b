"""A batch's sends read the statuses of its runs' messages together (ChunkStatuses), and decide exactly as a run
asking alone does: a popup seen (read, clicked, dismissed) lets its run go on, one unseen gets the email; and a
batch that starts runs in several rounds gives each its own id, on SQLite as on PostgreSQL."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from flows.scenarios import all_scenarios
from tests.workflow_runtime.runtime_support import assert_counters_balance, document, track_all
from workflow_runtime.channels.messages import record_status
from workflow_runtime.engine import batches
from workflow_runtime.engine.chunk_statuses import ChunkStatuses, message_key
from workflow_runtime.forecast.replay import off_site
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import Channel, Event, Message, MessageStatus, Run, RunStatus

CART = next(scenario.document for scenario in all_scenarios() if scenario.slug == "abandoned_cart")
CHUNK_READ, READ_ALONE = "SELECT messages.idempotency_key, messages.status", "SELECT messages.status"


@contextmanager
def status_reads(harness) -> Iterator[list[str]]:  # noqa: ANN001
    """The reads of messages' statuses while the block runs: "chunk" (ChunkStatuses) or "alone" (a run's own)."""
    reads: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: Any) -> None:  # noqa: ANN001
        if statement.lstrip().startswith(CHUNK_READ):
            reads.append("chunk")
        elif statement.lstrip().startswith(READ_ALONE):
            reads.append("alone")

    event.listen(harness.runtime.engine, "before_cursor_execute", record)
    try:
        yield reads
    finally:
        event.remove(harness.runtime.engine, "before_cursor_execute", record)


def test_a_batch_of_popup_runs_reads_their_statuses_once_and_each_goes_its_own_way(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(copy.deepcopy(CART))
    shoppers = [harness.contact() for _ in range(8)]
    track_all(harness, shoppers, "cart_updated", {"total": 59.9})
    harness.advance(timedelta(minutes=61))  # the popups are sent
    seen = {shoppers[0]: MessageStatus.READ, shoppers[3]: MessageStatus.CLICKED, shoppers[5]: MessageStatus.DISMISSED,
            shoppers[6]: MessageStatus.DELIVERED}  # delivered is not seen: the email still goes
    with harness.runtime.sessions.begin() as session:
        for contact_id, status in seen.items():
            [popup] = session.scalars(select(Message).where(Message.contact_id == contact_id))
            record_status(session, popup, status, harness.clock.now())

    with status_reads(harness) as reads:
        harness.advance(timedelta(days=1))  # every popup run wakes in one batch and asks how its popup went

    assert reads == ["chunk"]  # one read for the batch, none alone
    for contact_id in shoppers:
        channels = [message.channel for message in harness.messages(contact_id)]
        gone_on = seen.get(contact_id) in (MessageStatus.READ, MessageStatus.CLICKED, MessageStatus.DISMISSED)
        assert channels == ([Channel.POPUP] if gone_on else [Channel.POPUP, Channel.EMAIL]), contact_id
    assert_counters_balance(harness, flow_id)


def test_a_message_stored_after_the_chunk_read_is_not_answered_from_it(harness) -> None:  # noqa: ANN001
    """What the chunk did not find may be a message the batch records later: it says so (None), and the run's
    own look-up (RunContext.message_status) reads it."""
    harness.publish(copy.deepcopy(CART))
    shopper = harness.contact()
    harness.track(shopper, "cart_updated", {"total": 59.9})
    harness.advance(timedelta(minutes=61))
    with harness.runtime.sessions.begin() as session:
        run = session.scalars(select(Run).where(Run.contact_id == shopper)).one()
        statuses = ChunkStatuses(session, [run])
        assert statuses.found(run, "popup") is MessageStatus.SENT
        assert statuses.found(run, "chat") is None  # no chat at this node: read once, for every run of the chunk
        session.add(Message(idempotency_key=message_key(run, "chat"), contact_id=shopper, run_id=run.id,
                            flow_version_id=run.flow_version_id, node_id=run.node_id, channel=Channel.CHAT,
                            status=MessageStatus.SENT, statuses=["sent"], content={}, created_at=harness.clock.now(),
                            updated_at=harness.clock.now()))
        session.flush()
        assert statuses.found(run, "chat") is None


def test_runs_started_in_two_rounds_of_one_batch_get_ids_of_their_own(harness) -> None:  # noqa: ANN001
    """A batch left to advance later (advance_runs=False, as a failed batch's events are applied again) gives ids
    to the runs of its first round without storing them before the second round asks for more."""
    flow_id = harness.publish(document(
        "Every visit",
        {"start": ("trigger", {"event": "visited"}), "pause": ("wait", {"duration": "PT1H"}),
         "done": ("exit", {"reason": "done"})},
        [("start", "next", "pause"), ("pause", "next", "done")],
        reentry={"mode": "always"},
    ))
    visitor, other = harness.contact(), harness.contact()
    with harness.runtime.sessions.begin() as session:
        event_ids = unapplied_events.record(session, [
            Event(contact_id=contact_id, name="visited", properties={}, timestamp=harness.clock.now())
            for contact_id in (visitor, other, visitor)])  # the visitor's second visit is a second round
        effects = batches.process_events(session, event_ids, harness.clock.now(), off_site, advance_runs=False)

    runs = harness.runs(flow_id)
    assert sorted(run.contact_id for run in runs) == sorted([visitor, visitor, other])
    assert sorted(effects.wakeups) == sorted(run.id for run in runs)  # three ids, each a stored run's
    with harness.runtime.sessions.begin() as session:  # what the jobs do with the wake-ups: advance them
        batches.advance_runs(session, list(effects.wakeups), harness.clock.now(), off_site)
    assert {run.status for run in harness.runs(flow_id)} == {RunStatus.WAITING}
    assert_counters_balance(harness, flow_id)
