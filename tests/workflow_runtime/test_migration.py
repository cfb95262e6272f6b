"""Publishing v2 of a live flow with a migration plan: contacts waiting in v1 move to v2 (or exit) as the plan says,
their wake-ups kept or recomputed, the counters balanced on every node of both versions, nobody messaged twice; a
repeated or resumed migration moves no one twice; moved contacts go on in v2 and convert there."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.workflow_runtime.conftest import START
from tests.workflow_runtime.runtime_support import (
    advance_to,
    assert_counters_balance,
    counters,
    document,
    track_all,
    version_ids,
)
from workflow_runtime.authoring import flow_store
from workflow_runtime.authoring.migration import (
    Action,
    Choice,
    MigrationMode,
    MigrationPlan,
    PlanRefused,
    Wake,
    next_number,
    preview,
    publish,
)
from workflow_runtime.dispatch import jobs
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.dispatch.wakeups import WAKEUPS_KEY
from workflow_runtime.reports.flow_summary import flow_totals
from workflow_runtime.storage.models import Contact, Flow, FlowMigration, Message, MigrationStatus, Run, RunStatus

DAY = timedelta(days=1)
MOVE = MigrationMode.MOVE
EMAIL = "<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>"


def series(version: int) -> dict[str, Any]:
    """signed_up → welcome email → by plan: pro wait 3 days (v2: 5), free wait 1 day at `old` (v2: `fresh`, a node of
    its own), others wait up to 2 days for order_paid (unchanged) → reminder email → done. Goal: order_paid."""
    nodes: dict[str, tuple[str, dict[str, Any]]] = {
        "start": ("trigger", {"event": "signed_up"}),
        "welcome": ("send_email", {"subject": "Welcome", "body": EMAIL}),
        "route": ("condition", {"filter": {"property": "plan", "op": "eq", "value": "pro"}}),
        "long": ("wait", {"duration": "P3D" if version == 1 else "P5D"}),
        "check": ("condition", {"filter": {"property": "plan", "op": "eq", "value": "free"}}),
        ("old" if version == 1 else "fresh"): ("wait", {"duration": "P1D"}),
        "paid": ("wait_for_event", {"event": "order_paid", "timeout": "P2D"}),
        "thanks": ("exit", {"reason": "paid"}),
        "reminder": ("send_email", {"subject": f"Reminder v{version}", "body": EMAIL}),
        "done": ("exit", {"reason": "reminded"}),
    }
    free = "old" if version == 1 else "fresh"
    edges = [("start", "next", "welcome"), ("welcome", "next", "route"), ("route", "yes", "long"),
             ("route", "no", "check"), ("check", "yes", free), ("check", "no", "paid"), ("long", "next", "reminder"),
             (free, "next", "reminder"), ("paid", "event", "thanks"), ("paid", "timeout", "reminder"),
             ("reminder", "next", "done")]
    return document("Series", nodes, edges, goal={"event": "order_paid", "within": "P7D"})


def start_v1(harness) -> tuple[int, dict[str, list[int]]]:  # noqa: ANN001 - the Harness fixture
    """v1 live with two pro, two free and one other contact waiting in it, entered at START."""
    flow_id = harness.publish(series(1))
    people = {"pro": [harness.contact(properties={"plan": "pro"}) for _ in range(2)],
              "free": [harness.contact(properties={"plan": "free"}) for _ in range(2)],
              "other": [harness.contact(properties={"plan": "other"})]}
    track_all(harness, [contact for group in people.values() for contact in group], "signed_up")
    return flow_id, people


def publish_v2(harness, flow_id: int, plan: MigrationPlan, draft: dict[str, Any] | None = None,  # noqa: ANN001
               queue: bool = True) -> FlowMigration | None:
    """Save v2 (or `draft`) as the draft and publish it with `plan`, as the API does; queue the migration's job."""
    with harness.runtime.sessions.begin() as session:
        flow = session.get(Flow, flow_id)
        flow_store.set_draft(flow, series(2) if draft is None else draft)
        _version, migration = publish(session, flow, plan, harness.clock.now(), harness.clock.now())
        session.expunge_all()
    if migration is not None and queue:
        harness.runtime.jobs.migrate([migration.id])
    return migration


def migration_of(harness, migration_id: int) -> FlowMigration:  # noqa: ANN001
    with harness.session() as session:
        return session.get(FlowMigration, migration_id)


def where_each_is(harness, flow_id: int) -> dict[int, list[tuple[int, str, str, datetime | None]]]:  # noqa: ANN001
    """Per contact, each of its runs: (version number, status, node, wake-up)."""
    numbers = {version_id: number for number, version_id in enumerate(version_ids(harness, flow_id), start=1)}
    found: dict[int, list[tuple[int, str, str, datetime | None]]] = {}
    for run in harness.runs(flow_id):
        found.setdefault(run.contact_id, []).append((numbers[run.flow_version_id], run.status.value, run.node_id,
                                                     run.wake_at))
    return found


def sends(harness, contact_ids: list[int]) -> Counter[tuple[int, str]]:  # noqa: ANN001
    """(contact, node) → messages in the ledger."""
    with harness.session() as session:
        rows = session.execute(select(Message.contact_id, Message.node_id).where(Message.contact_id.in_(contact_ids)))
        return Counter((contact_id, node_id) for contact_id, node_id in rows)


PLAN = MigrationPlan(MOVE, (Choice(1, "long", "long"), Choice(1, "old", "fresh")))


def test_a_published_v2_moves_the_waiting_contacts_as_mapped_and_they_go_on_in_v2(harness) -> None:  # noqa: ANN001
    flow_id, people = start_v1(harness)
    pro, free, other = people["pro"], people["free"], people["other"]
    harness.advance(timedelta(hours=12))
    harness.runtime.jobs.batch_size = 2  # three chunks for five contacts: each its own transaction
    migration = publish_v2(harness, flow_id, PLAN)
    assert migration is not None and migration.to_move == 5
    harness.drain()

    done = migration_of(harness, migration.id)
    assert (done.status, done.moved, done.exited, done.stayed) == (MigrationStatus.DONE, 5, 0, 0)
    # Wake-ups: the changed wait counted from when they entered it (START), the carried one kept.
    expected = {
        **{contact: [(1, "exited", "long", None), (2, "waiting", "long", START + 5 * DAY)] for contact in pro},
        **{contact: [(1, "exited", "old", None), (2, "waiting", "fresh", START + DAY)] for contact in free},
        **{contact: [(1, "exited", "paid", None), (2, "waiting", "paid", START + 2 * DAY)] for contact in other},
    }
    assert where_each_is(harness, flow_id) == expected
    runs = {(run.contact_id, run.status): run for run in harness.runs(flow_id)}
    for contact in [*pro, *free, *other]:
        old, new = runs[contact, RunStatus.EXITED], runs[contact, RunStatus.WAITING]
        assert old.end_reason.startswith("moved to version 2 at ")
        assert new.context["moved_from"] == {"run_id": old.id, "node_id": old.node_id, "version": 1,
                                             "waiting_since": START.isoformat()}
        assert new.context["trigger"] == old.context["trigger"]
        assert new.goal_event == "order_paid" and new.goal_deadline == START + 7 * DAY
        # The wake-up is mirrored in Redis for the scheduler.
        assert harness.runtime.redis.zscore(WAKEUPS_KEY, str(new.id)) == new.wake_at.timestamp()
    assert runs[other[0], RunStatus.WAITING].waiting_for == "order_paid"

    v1, v2 = version_ids(harness, flow_id)
    assert counters(harness, v1)["long"] == {"entered": 2, "exited": 2, "exited:moved": 2}
    assert counters(harness, v1)["old"] == {"entered": 2, "exited": 2, "exited:moved": 2}
    assert counters(harness, v1)["paid"] == {"entered": 1, "exited": 1, "exited:moved": 1}
    assert counters(harness, v2) == {"long": {"entered": 2, "waiting": 2}, "fresh": {"entered": 2, "waiting": 2},
                                     "paid": {"entered": 1, "waiting": 1}}
    assert_counters_balance(harness, flow_id)

    # The re-entry rule sees the run in v2: signing up again while waiting there enrols no one.
    harness.track(pro[0], "signed_up")
    assert len(where_each_is(harness, flow_id)[pro[0]]) == 2

    # They go on in v2: the free ones wake a day after they entered `old`, the other pays in time.
    advance_to(harness, START + DAY)
    harness.track(other[0], "order_paid", {"amount": 30})
    advance_to(harness, START + 5 * DAY)
    final = {contact: [(version, status, node) for version, status, node, _wake in runs_of]
             for contact, runs_of in where_each_is(harness, flow_id).items()}
    assert final == {**{contact: [(1, "exited", "long"), (2, "completed", "done")] for contact in pro},
                     **{contact: [(1, "exited", "old"), (2, "completed", "done")] for contact in free},
                     **{contact: [(1, "exited", "paid"), (2, "completed", "thanks")] for contact in other}}
    paid = next(run for run in harness.runs(flow_id) if run.contact_id == other[0] and run.flow_version_id == v2)
    assert paid.converted_at == START + DAY
    assert counters(harness, v2)["paid"] == {"entered": 1, "left:event": 1, "converted": 1}
    # The goal credits the nodes the contact passed in each version, and the flow's totals (its trigger) once.
    assert counters(harness, v1)["welcome"]["converted"] == 1
    with harness.session() as session:
        assert flow_totals(session, [flow_id])[flow_id].converted == 1
    assert counters(harness, v2)["reminder"] == {"entered": 4, "left:next": 4, "email:sent": 4, "email:queued": 4}
    # Nobody got a message twice: one welcome (v1) each, one reminder (v2) each but for the one who paid.
    contacts = [*pro, *free, *other]
    assert sends(harness, contacts) == Counter({**{(contact, "welcome"): 1 for contact in contacts},
                                                **{(contact, "reminder"): 1 for contact in [*pro, *free]}})
    with harness.session() as session:
        reminders = session.scalars(select(Message).where(Message.node_id == "reminder"))
        assert {message.flow_version_id for message in reminders} == {v2}
    assert_counters_balance(harness, flow_id)


def test_applying_twice_or_resuming_a_crashed_apply_moves_no_one_twice(harness) -> None:  # noqa: ANN001
    flow_id, people = start_v1(harness)
    migration = publish_v2(harness, flow_id, MigrationPlan(MOVE, (Choice(1, "long", "long"), Choice(1, "old", None))))
    assert migration is not None
    harness.runtime.jobs.migrate([migration.id])  # queued twice
    harness.drain()
    first = where_each_is(harness, flow_id)
    v1, v2 = version_ids(harness, flow_id)
    counted = (counters(harness, v1), counters(harness, v2))
    assert [status for _v, status, _n, _w in first[people["free"][0]]] == ["exited"]  # mapped to exit: no new run
    assert counters(harness, v1)["old"] == {"entered": 2, "exited": 2, "exited:moved": 2}
    with harness.session() as session:
        reasons = {run.end_reason for run in session.scalars(select(Run).where(Run.node_id == "old"))}
    assert reasons == {"moved out of the flow when version 2 was published"}

    # A crash after the last chunk committed, before the migration was marked done: it resumes from its start.
    with harness.runtime.sessions.begin() as session:
        session.execute(update(FlowMigration).values(status=MigrationStatus.RUNNING, cursor=0, finished_at=None))
    harness.runtime.jobs.migrate([migration.id])
    harness.drain()
    assert where_each_is(harness, flow_id) == first
    assert (counters(harness, v1), counters(harness, v2)) == counted
    done = migration_of(harness, migration.id)
    assert (done.status, done.moved, done.exited) == (MigrationStatus.DONE, 3, 2)
    assert_counters_balance(harness, flow_id)


def test_a_migration_whose_job_was_lost_is_queued_again_by_the_reconciler(harness) -> None:  # noqa: ANN001
    flow_id, _people = start_v1(harness)
    migration = publish_v2(harness, flow_id, PLAN)
    assert migration is not None
    harness.runtime.redis.flushdb()  # Redis lost its data: the migration's queued job with it
    assert harness.runtime.jobs.queue.count == 0
    Scheduler(harness.runtime).reconcile_all()
    harness.drain()
    done = migration_of(harness, migration.id)
    assert (done.status, done.moved, done.stayed) == (MigrationStatus.DONE, 5, 0)
    assert_counters_balance(harness, flow_id)


def test_the_preview_counts_who_moves_where_and_asks_for_what_changed(harness) -> None:  # noqa: ANN001
    flow_id, _people = start_v1(harness)
    with harness.runtime.sessions.begin() as session:
        flow = session.get(Flow, flow_id)
        flow_store.set_draft(flow, series(2))
        number = next_number(session, flow)
        unplanned = preview(session, flow, flow.draft, number, MigrationPlan(MOVE))
        planned = preview(session, flow, flow.draft, number, PLAN)
        kept = preview(session, flow, flow.draft, number, MigrationPlan())
    assert number == 2
    assert [(row.version, row.node_id, row.change, row.waiting, row.action, row.to, row.wake) for row in unplanned.nodes] == [
        (1, "long", "wait_changed", 2, Action.CHOOSE, None, None),
        (1, "old", "removed", 2, Action.CHOOSE, None, None),
        (1, "paid", "unchanged", 1, Action.MOVE, "paid", Wake.KEPT),
    ]
    assert [row.node_id for row in unplanned.missing] == ["long", "old"]
    assert [(row.node_id, row.action, row.to, row.wake, row.chosen) for row in planned.nodes] == [
        ("long", Action.MOVE, "long", Wake.RECOMPUTED, True),
        ("old", Action.MOVE, "fresh", Wake.RECOMPUTED, True),
        ("paid", Action.MOVE, "paid", Wake.KEPT, False),
    ]
    assert (planned.moving, planned.exiting, planned.staying, planned.missing) == (5, 0, 0, [])
    assert (kept.moving, kept.staying) == (0, 5)
    assert harness.runs(flow_id) and all(run.flow_version_id == version_ids(harness, flow_id)[0]
                                         for run in harness.runs(flow_id))  # nothing written


@pytest.mark.parametrize(("plan", "message"), [
    (MigrationPlan(MOVE, (Choice(1, "long", "long"),)),
     "2 contacts wait at 'old' of version 1, which version 2 no longer has: choose a node of version 2 for them, "
     "or exit."),
    (MigrationPlan(MOVE, (Choice(1, "old", "fresh"),)),
     "2 contacts wait at 'long' of version 1, which version 2 waits differently at: choose a node of version 2 for "
     "them, or exit."),
    (MigrationPlan(MOVE, (*PLAN.choices, Choice(1, "paid", "nowhere"))),
     "The map sends the contacts waiting at 'paid' of version 1 to 'nowhere', which version 2 does not have: pick "
     "one of its nodes, or exit."),
    (MigrationPlan(MOVE, (*PLAN.choices, Choice(1, "ghost", None))),
     "The map names 'ghost' of version 1: version 1 has no such node."),
    (MigrationPlan(MOVE, (*PLAN.choices, Choice(4, "long", None))),
     "The map names version 4, which is not a version of this flow before version 2."),
    (MigrationPlan(MOVE, (Choice(1, "long", "start"), Choice(1, "old", None))),
     "The map sends the contacts waiting at 'long' of version 1 to 'start', a trigger: contacts only enter a flow "
     "there. Pick another node, or exit."),
])
def test_a_plan_missing_a_choice_or_naming_an_unknown_node_is_refused_and_nothing_is_published(
    harness, plan: MigrationPlan, message: str  # noqa: ANN001
) -> None:
    flow_id, _people = start_v1(harness)
    before = where_each_is(harness, flow_id)
    with pytest.raises(PlanRefused) as refused:
        publish_v2(harness, flow_id, plan)
    assert str(refused.value) == message
    assert len(version_ids(harness, flow_id)) == 1
    assert where_each_is(harness, flow_id) == before


def test_contacts_mapped_to_a_node_that_does_not_wait_run_it_at_once_in_v2(harness) -> None:  # noqa: ANN001
    flow_id, people = start_v1(harness)
    publish_v2(harness, flow_id, MigrationPlan(MOVE, (Choice(1, "long", "long"), Choice(1, "old", "reminder"))))
    harness.drain()
    v1, v2 = version_ids(harness, flow_id)
    for contact in people["free"]:
        assert [(version, status, node) for version, status, node, _wake in where_each_is(harness, flow_id)[contact]] \
            == [(1, "exited", "old"), (2, "completed", "done")]
    assert counters(harness, v2)["reminder"] == {"entered": 2, "left:next": 2, "email:sent": 2, "email:queued": 2}
    assert sends(harness, people["free"]) == Counter({(contact, node): 1 for contact in people["free"]
                                                      for node in ("welcome", "reminder")})
    assert_counters_balance(harness, flow_id)


def popup_flow(title: str) -> dict[str, Any]:
    """signed_up → a popup emailed if unread after a day → done."""
    popup = {"size": "small", "title": title, "body": "Hello", "email_fallback_after": "P1D",
             "email_fallback": {"subject": "You missed this", "body": EMAIL}}
    return document("Popup", {"start": ("trigger", {"event": "signed_up"}), "pop": ("send_popup", popup),
                              "done": ("exit", {"reason": "shown"})},
                    [("start", "next", "pop"), ("pop", "next", "done")])


def test_a_contact_waiting_on_a_messages_fallback_keeps_its_version_and_gets_each_message_once(
    harness  # noqa: ANN001
) -> None:
    flow_id = harness.publish(popup_flow("v1"))
    contact = harness.contact()
    harness.track(contact, "signed_up")
    [held] = harness.runs(flow_id)
    assert (held.status, held.node_state) == (RunStatus.WAITING, {"popup_sent": True})
    migration = publish_v2(harness, flow_id, MigrationPlan(MOVE), draft=popup_flow("v2"))
    assert migration is not None and migration.to_move == 0
    harness.drain()
    done = migration_of(harness, migration.id)
    assert (done.status, done.moved, done.stayed) == (MigrationStatus.DONE, 0, 1)
    harness.advance(DAY)  # unread: the fallback email goes, from v1, once
    v1, _v2 = version_ids(harness, flow_id)
    [run] = harness.runs(flow_id)
    assert (run.flow_version_id, run.status, run.node_id) == (v1, RunStatus.COMPLETED, "done")
    assert [(message.channel.value, message.flow_version_id) for message in harness.messages(contact)] == [
        ("popup", v1), ("email", v1)]
    assert_counters_balance(harness, flow_id)


@pytest.mark.parametrize("held", ["run", "contact"])
def test_a_run_another_job_holds_is_moved_by_the_next_sweep_not_lost(harness, held: str) -> None:  # noqa: ANN001
    if harness.runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no row is ever held by another job")
    flow_id, people = start_v1(harness)
    migration = publish_v2(harness, flow_id, PLAN, queue=False)
    assert migration is not None
    [busy] = [run for run in harness.runs(flow_id) if run.contact_id == people["pro"][0]]
    with harness.runtime.sessions.begin() as holder:  # an advance batch holding the run, or an event batch its contact
        locked = select(Run).where(Run.id == busy.id) if held == "run" else \
            select(Contact).where(Contact.id == busy.contact_id)
        holder.execute(locked.with_for_update(key_share=held == "contact"))
        while migration_of(harness, migration.id).sweep == 1:
            jobs.migrate_runs(migration.id)
        assert migration_of(harness, migration.id).moved == 4
        assert [status for _v, status, _n, _w in where_each_is(harness, flow_id)[busy.contact_id]] == ["waiting"]
    harness.drain()  # the next sweep, the lock released
    done = migration_of(harness, migration.id)
    assert (done.status, done.sweep, done.moved, done.stayed) == (MigrationStatus.DONE, 2, 5, 0)
    assert [(version, status) for version, status, _n, _w in where_each_is(harness, flow_id)[busy.contact_id]] == [
        (1, "exited"), (2, "waiting")]
    assert_counters_balance(harness, flow_id)
