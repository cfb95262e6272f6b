"""A bad run or event never stalls the others: what fails alone is parked with its traceback, the rest commits.

Faults are injected where a bug would sit (a node's behaviour, an event's goal logic) by patching
that one function for one contact or one event; everything else is the real runtime: jobs through
RQ, batches in one transaction, the database of the run (SQLite, or PostgreSQL in CI).
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from nodes.update_contact import UpdateContact
from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    assert_no_failed_jobs,
    document,
    run_of,
    track_all,
)
from workflow_runtime.dispatch import dead_letters
from workflow_runtime.engine import events
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import Failure, FailureKind, FailureState, RunStatus

POISON = "poison@example.com"


def tagging_flow() -> dict[str, Any]:
    """On `signed_up`: tag the contact, wait a day, end. Its goal is `order_paid`."""
    flow = document(
        "Tagging",
        {
            "start": ("trigger", {"event": "signed_up"}),
            "tag": ("update_contact", {"add_tags": ["new"]}),
            "rest": ("wait", {"duration": "P1D"}),
            "end": ("exit", {}),
        },
        [("start", "next", "tag"), ("tag", "next", "rest"), ("rest", "next", "end")],
    )
    flow["settings"] = {"goal": {"event": "order_paid", "within": "P7D", "revenue_property": "amount", "exit_on_goal": False}}
    return flow


@pytest.fixture
def broken_for_poison(monkeypatch: pytest.MonkeyPatch) -> None:
    """update_contact raises for the poisoned contact only, as a bug in a node would."""
    real = UpdateContact.execute.__func__

    def execute(cls: type[UpdateContact], ctx: Any, config: Any) -> Any:
        if ctx._contact.email == POISON:
            raise ZeroDivisionError("a bug in the node")
        return real(cls, ctx, config)

    monkeypatch.setattr(UpdateContact, "execute", classmethod(execute))


def _people(harness: Any) -> tuple[list[int], int]:
    innocent = [harness.contact() for _ in range(4)]
    poisoned = harness.contact(email=POISON)
    return innocent, poisoned


def test_a_run_whose_step_fails_is_parked_and_the_rest_of_its_batch_goes_on(harness, broken_for_poison) -> None:
    flow_id = harness.publish(tagging_flow())
    innocent, poisoned = _people(harness)
    track_all(harness, [*innocent[:2], poisoned, *innocent[2:]], "signed_up")  # one batch, the poison in the middle

    assert_no_failed_jobs(harness)
    for contact_id in innocent:
        run = run_of(harness, flow_id, contact_id)
        assert (run.status, run.node_id) == (RunStatus.WAITING, "rest")
    parked = run_of(harness, flow_id, poisoned)
    assert (parked.status, parked.node_id) == (RunStatus.ERRORED, "tag")
    assert parked.end_reason == "error at tag: ZeroDivisionError: a bug in the node"
    counters = harness.counters(flow_id)
    assert counters["tag"] == {"entered": 5, "left:next": 4, "errored": 1}
    assert_counters_balance(harness, flow_id)
    with harness.session() as session:
        [failure] = session.scalars(select(Failure))
        assert (failure.kind, failure.item_id, failure.node_id, failure.state) == (
            FailureKind.RUN, parked.id, "tag", FailureState.QUARANTINED)
        assert failure.contact_id == poisoned and failure.attempts == 1
        assert "ZeroDivisionError: a bug in the node" in failure.traceback and "in execute" in failure.traceback
        assert unapplied_events.count(session) == 0  # every event applied, the poisoned contact's too


def test_a_parked_run_retried_once_its_cause_is_fixed_goes_on_from_where_it_failed(
        harness, monkeypatch: pytest.MonkeyPatch, broken_for_poison) -> None:
    flow_id = harness.publish(tagging_flow())
    innocent, poisoned = _people(harness)
    track_all(harness, [*innocent, poisoned], "signed_up")
    with harness.session() as session:
        [failure_id] = session.scalars(select(Failure.id))

    with harness.runtime.sessions.begin() as session:  # retried while still broken: quarantined again
        reopened = dead_letters.retry(session, [failure_id], harness.clock.now())
    dead_letters.queue(harness.runtime.jobs, reopened.values())
    harness.drain()
    assert run_of(harness, flow_id, poisoned).status is RunStatus.ERRORED
    with harness.session() as session:
        assert (session.get(Failure, failure_id).attempts, session.get(Failure, failure_id).state) == (
            2, FailureState.QUARANTINED)

    monkeypatch.undo()  # the node is fixed (a deploy)
    with harness.runtime.sessions.begin() as session:
        reopened = dead_letters.retry(session, [failure_id], harness.clock.now())
    assert list(reopened) == [failure_id]
    dead_letters.queue(harness.runtime.jobs, reopened.values())
    harness.drain()
    run = run_of(harness, flow_id, poisoned)
    assert (run.status, run.node_id, run.end_reason) == (RunStatus.WAITING, "rest", None)
    assert harness.counters(flow_id)["tag"] == {"entered": 5, "left:next": 5}
    assert_counters_balance(harness, flow_id)
    with harness.session() as session:
        assert session.get(Failure, failure_id).state is FailureState.RETRIED


def test_a_discarded_run_stays_errored(harness, broken_for_poison) -> None:
    flow_id = harness.publish(tagging_flow())
    innocent, poisoned = _people(harness)
    track_all(harness, [*innocent, poisoned], "signed_up")
    with harness.runtime.sessions.begin() as session:
        [failure_id] = session.scalars(select(Failure.id))
        assert dead_letters.discard(session, [failure_id], harness.clock.now()) == [failure_id]
        assert dead_letters.discard(session, [failure_id], harness.clock.now()) == []  # once
        assert dead_letters.retry(session, [failure_id], harness.clock.now()) == {}
    assert run_of(harness, flow_id, poisoned).status is RunStatus.ERRORED
    assert_counters_balance(harness, flow_id)


def test_an_event_that_fails_alone_is_quarantined_and_the_others_of_its_batch_are_applied(
        harness, monkeypatch: pytest.MonkeyPatch) -> None:
    flow_id = harness.publish(tagging_flow())
    innocent, poisoned = _people(harness)
    track_all(harness, [*innocent, poisoned], "signed_up")
    real = events.credit_goals

    def credit_goals(session: Any, runs: Any, event: Any, properties: dict[str, Any], now: Any,
                     effects: Any) -> None:
        if properties.get("amount") == "poison":
            raise ValueError("a bug in goal crediting")
        real(session, runs, event, properties, now, effects)

    monkeypatch.setattr(events, "credit_goals", credit_goals)
    track_all(harness, [*innocent, poisoned], "order_paid",
              [{"amount": 10}, {"amount": 20}, {"amount": 30}, {"amount": 40}, {"amount": "poison"}])

    assert_no_failed_jobs(harness)
    for contact_id in innocent:
        assert run_of(harness, flow_id, contact_id).converted_at is not None
    assert run_of(harness, flow_id, poisoned).converted_at is None
    assert harness.revenue(flow_id, "start") == 100
    with harness.session() as session:
        [failure] = session.scalars(select(Failure).where(Failure.kind == FailureKind.EVENT))
        assert (failure.contact_id, failure.error) == (poisoned, "ValueError: a bug in goal crediting")
        assert unapplied_events.count(session) == 0  # quarantined: out of the queue, not re-queued for ever

    monkeypatch.undo()
    with harness.runtime.sessions.begin() as session:
        reopened = dead_letters.retry(session, [failure.id], harness.clock.now())
    dead_letters.queue(harness.runtime.jobs, reopened.values())
    harness.drain()
    assert run_of(harness, flow_id, poisoned).converted_at is not None  # "poison" is no amount: no revenue
    assert harness.revenue(flow_id, "start") == 100
    assert_counters_balance(harness, flow_id)


def test_an_event_whose_woken_run_fails_is_applied_and_only_the_run_is_parked(harness, broken_for_poison) -> None:
    """The event's batch fails in a run it started; applied again without advancing, the event commits
    (the run is started, its enrolment counted) and the run's own job parks it."""
    flow_id = harness.publish(tagging_flow())
    poisoned = harness.contact(email=POISON)
    track_all(harness, [poisoned], "signed_up")
    run = run_of(harness, flow_id, poisoned)
    assert (run.status, run.node_id) == (RunStatus.ERRORED, "tag")
    with harness.session() as session:
        assert [(f.kind, f.item_id) for f in session.scalars(select(Failure))] == [(FailureKind.RUN, run.id)]
        assert unapplied_events.count(session) == 0
    assert_counters_balance(harness, flow_id)
