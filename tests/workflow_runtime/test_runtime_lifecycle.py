"""A flow's life: pause and resume, archive, publishing a new version, and enrolling contacts by hand."""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from tests.workflow_runtime.runtime_support import (
    assert_counters_balance,
    counters,
    document,
    live_version,
    run_of,
    track_all,
    version_ids,
)
from workflow_runtime.authoring import flow_store
from workflow_runtime.engine import lifecycle
from workflow_runtime.storage.models import BroadcastStatus, Flow, FlowStatus, RunStatus


def nurture_flow(trigger: dict[str, Any] | None = None, subject: str = "Day one", mail_id: str = "mail") -> dict[str, Any]:
    """trigger → wait 1 day → email → wait for a reply up to 2 days → exit."""
    return document(
        "Nurture",
        {
            "start": ("trigger", trigger or {"event": "signed_up"}),
            "day": ("wait", {"duration": "P1D"}),
            mail_id: ("send_email", {"subject": subject, "body": "<mjml></mjml>"}),
            "reply": ("wait_for_event", {"event": "replied", "timeout": "P2D"}),
            "answered": ("exit", {"reason": "answered"}),
            "silent": ("exit", {"reason": "silent"}),
        },
        [("start", "next", "day"), ("day", "next", mail_id), (mail_id, "next", "reply"),
         ("reply", "event", "answered"), ("reply", "timeout", "silent")],
    )


def change_status(harness, flow_id: int, change: str) -> list[int]:  # noqa: ANN001 - the Harness fixture
    """Pause, resume or archive the flow in a transaction; resume queues the runs it returns, as the API does."""
    with harness.runtime.sessions.begin() as session:
        flow = session.get(Flow, flow_id)
        if change == "pause":
            lifecycle.pause_flow(flow)
            return []
        if change == "archive":
            return [lifecycle.archive_flow(session, flow, harness.clock.now())]
        due = lifecycle.resume_flow(session, flow, harness.clock.now())
    harness.runtime.jobs.advance(due)
    harness.drain()
    return due


def test_a_paused_flow_holds_its_runs_and_resume_continues_them(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(nurture_flow())
    version = live_version(harness, flow_id)
    ann, bob = harness.contact(), harness.contact()
    track_all(harness, [ann, bob], "signed_up")
    change_status(harness, flow_id, "pause")

    harness.advance(timedelta(days=1, hours=1))  # both wake-ups fall due, and are claimed, while paused
    assert harness.messages(ann) == harness.messages(bob) == []
    runs = harness.runs(flow_id)
    assert {(run.status, run.node_id) for run in runs} == {(RunStatus.WAITING, "day")}
    assert all(run.wake_at <= harness.clock.now() for run in runs)
    assert counters(harness, version)["day"] == {"entered": 2, "waiting": 2}
    assert harness.runtime.wakeups.count() == 0  # nothing left in Redis: resume must hand them back

    due = change_status(harness, flow_id, "resume")
    assert sorted(due) == sorted(run.id for run in runs)
    for contact in (ann, bob):
        [mail] = harness.messages(contact)
        assert mail.created_at == harness.clock.now()  # sent on resume, not back-dated
        assert run_of(harness, flow_id, contact).node_id == "reply"
    assert counters(harness, version)["day"] == {"entered": 2, "left:next": 2}
    harness.advance(timedelta(days=2))
    assert {run.end_reason for run in harness.runs(flow_id)} == {"silent"}
    assert_counters_balance(harness, flow_id)


def test_events_while_paused_enrol_no_one(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(nurture_flow())
    change_status(harness, flow_id, "pause")
    cid = harness.contact()
    harness.track(cid, "signed_up")
    assert harness.runs(flow_id) == []
    assert change_status(harness, flow_id, "resume") == []
    assert harness.runs(flow_id) == []  # the event was not kept for later
    harness.track(cid, "signed_up")
    assert [run.node_id for run in harness.runs(flow_id)] == ["day"]
    assert_counters_balance(harness, flow_id)


@pytest.mark.parametrize(("replied_after", "port"), [(timedelta(days=1), "event"), (timedelta(days=3), "timeout")])
def test_an_awaited_event_while_paused_counts_only_before_the_timeout(harness, replied_after: timedelta, port: str) -> None:  # noqa: ANN001
    flow_id = harness.publish(nurture_flow())
    dan = harness.contact()
    harness.track(dan, "signed_up")
    harness.advance(timedelta(days=1))  # mailed; now waiting for a reply until day 3
    change_status(harness, flow_id, "pause")
    harness.advance(replied_after)
    harness.track(dan, "replied")
    assert run_of(harness, flow_id, dan).status is RunStatus.WAITING  # held while paused
    change_status(harness, flow_id, "resume")
    run = run_of(harness, flow_id, dan)
    assert (run.status, run.path[-2][:2]) == (RunStatus.COMPLETED, ["reply", port])
    assert_counters_balance(harness, flow_id)


def test_archiving_exits_every_unfinished_run(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(nurture_flow())
    version = live_version(harness, flow_id)
    contacts = [harness.contact() for _ in range(3)]
    harness.track(contacts[0], "signed_up")
    harness.advance(timedelta(days=1))  # contact 0 is waiting for a reply
    harness.track(contacts[1], "signed_up")  # contact 1 waits a day
    change_status(harness, flow_id, "pause")  # archiving a paused flow works too
    assert change_status(harness, flow_id, "archive") == [2]

    runs = harness.runs(flow_id)
    assert [(run.status, run.node_id, run.end_reason) for run in runs] == [
        (RunStatus.EXITED, "reply", "flow archived"), (RunStatus.EXITED, "day", "flow archived"),
    ]
    stats = counters(harness, version)
    assert stats["reply"] == {"entered": 1, "exited": 1, "exited:archived": 1}
    assert stats["day"] == {"entered": 2, "left:next": 1, "exited": 1, "exited:archived": 1}
    harness.track(contacts[2], "signed_up")
    harness.track(contacts[0], "replied")
    harness.advance(timedelta(days=5))
    assert len(harness.runs(flow_id)) == 2
    assert [len(harness.messages(c)) for c in contacts] == [1, 0, 0]
    with harness.session() as session:
        assert session.get(Flow, flow_id).status is FlowStatus.ARCHIVED
    assert_counters_balance(harness, flow_id)


def test_a_new_version_takes_new_contacts_while_running_ones_finish_on_theirs(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(nurture_flow(subject="Old subject"))
    old_version = live_version(harness, flow_id)
    old_timer, new_comer = harness.contact(), harness.contact()
    harness.track(old_timer, "signed_up")

    with harness.runtime.sessions.begin() as session:
        flow = session.get(Flow, flow_id)
        flow.draft = copy.deepcopy(nurture_flow(subject="New subject", mail_id="mail_v2"))
        flow_store.publish_flow(session, flow)
    new_version = live_version(harness, flow_id)
    assert version_ids(harness, flow_id) == [old_version, new_version]
    harness.track(new_comer, "signed_up")
    harness.advance(timedelta(days=1))

    [old_mail] = harness.messages(old_timer)
    [new_mail] = harness.messages(new_comer)
    assert (old_mail.node_id, old_mail.content["subject"], old_mail.flow_version_id) == ("mail", "Old subject", old_version)
    assert (new_mail.node_id, new_mail.content["subject"], new_mail.flow_version_id) == ("mail_v2", "New subject", new_version)
    harness.track(old_timer, "replied")
    harness.advance(timedelta(days=2))
    old_run, new_run = run_of(harness, flow_id, old_timer), run_of(harness, flow_id, new_comer)
    assert (old_run.flow_version_id, old_run.end_reason) == (old_version, "answered")
    assert (new_run.flow_version_id, new_run.end_reason) == (new_version, "silent")
    assert counters(harness, old_version)["mail"] == {"entered": 1, "email:sent": 1, "email:queued": 1, "left:next": 1}
    assert "mail_v2" not in counters(harness, old_version)
    assert counters(harness, new_version)["mail_v2"] == {"entered": 1, "email:sent": 1, "email:queued": 1,
                                                         "left:next": 1}
    assert counters(harness, new_version)["start"] == {"entered": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_contacts_are_enrolled_by_hand_on_a_manual_trigger(harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(nurture_flow(trigger={"on": "manual"}))
    chosen = [harness.contact() for _ in range(3)]
    other = harness.contact()
    harness.track(other, "signed_up")  # a manual flow enrols no one on events
    assert harness.runs(flow_id) == []

    sent = harness.broadcast(flow_id, contact_ids=[*chosen, chosen[0]])
    assert (sent.status, sent.to_scan, sent.audience, sent.enrolled) == (BroadcastStatus.DONE, 3, 3, 3)
    assert [(run.contact_id, run.status, run.node_id) for run in harness.runs(flow_id)] == [
        (contact, RunStatus.WAITING, "day") for contact in chosen
    ]
    assert all(run.context == {"trigger": {"manual": True, "broadcast": sent.id}} for run in harness.runs(flow_id))

    again = harness.broadcast(flow_id, contact_ids=chosen)  # after_exit: running contacts are not enrolled twice
    assert (again.status, again.audience, again.enrolled) == (BroadcastStatus.DONE, 3, 0)
    harness.advance(timedelta(days=1))
    assert [len(harness.messages(contact)) for contact in chosen] == [1, 1, 1]
    assert counters(harness, live_version(harness, flow_id))["start"] == {"entered": 3, "left:next": 3}
    assert_counters_balance(harness, flow_id)


def test_enrolling_into_a_paused_flow_or_one_without_a_manual_trigger_is_refused(harness) -> None:  # noqa: ANN001
    event_flow = harness.publish(nurture_flow())
    manual_flow = harness.publish(nurture_flow(trigger={"on": "manual"}))
    change_status(harness, manual_flow, "pause")
    contact = harness.contact()
    for flow_id, says in ((event_flow, "no manual trigger"), (manual_flow, "is paused")):
        with pytest.raises(lifecycle.LifecycleError, match=says):
            harness.broadcast(flow_id, contact_ids=[contact])
    assert harness.runs(event_flow) == harness.runs(manual_flow) == []


def test_a_deleted_flows_run_ids_are_never_given_again_so_no_email_is_skipped_as_sent(harness) -> None:  # noqa: ANN001
    """The send ledger keeps a deleted flow's messages, and their keys name their runs: a new run given a deleted
    run's id would find its email "already sent" at a node of the same id (flows from one template share them)."""
    kept, deleted = harness.publish(nurture_flow()), harness.publish(nurture_flow())
    ann = harness.contact()
    track_all(harness, [ann], "signed_up")  # a run in each flow, the deleted flow's the newest
    harness.advance(timedelta(days=1, hours=1))
    assert len(harness.messages(ann)) == 2
    deleted_run_ids = {run.id for run in harness.runs(deleted)}
    change_status(harness, deleted, "archive")
    with harness.runtime.sessions.begin() as session:
        lifecycle.delete_flow(session, session.get(Flow, deleted))

    bob = harness.contact()
    track_all(harness, [bob], "signed_up")
    harness.advance(timedelta(days=1, hours=1))

    assert run_of(harness, kept, bob).id not in deleted_run_ids
    [mail] = harness.messages(bob)
    assert mail.node_id == "mail"
    assert counters(harness, live_version(harness, kept))["mail"]["email:sent"] == 2
    assert_counters_balance(harness, kept)
