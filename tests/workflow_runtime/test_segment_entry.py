"""Flows that start when a contact enters a segment, and what publishing checks about references."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows.validation import FlowInvalid
from workflow_runtime.authoring import flow_store
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.engine.segments import membership_changes
from workflow_runtime.storage.models import Flow, RunStatus, Segment, SegmentMembership


def segment_flow(segment_id: int) -> dict:
    return {
        "schema_version": 2,
        "name": "Welcome VIPs",
        "nodes": [
            {"id": "entered", "type": "trigger", "config": {"on": "segment_entered", "segment": segment_id}},
            {"id": "hello", "type": "send_chat", "config": {"body": "Welcome to the VIP club, {{ name }}!"}},
            {"id": "done", "type": "exit", "config": {}},
        ],
        "edges": [
            {"from": "entered", "port": "next", "to": "hello"},
            {"from": "hello", "port": "next", "to": "done"},
        ],
    }


def make_segment(harness, name: str, condition: dict) -> int:
    with harness.runtime.sessions.begin() as session:
        segment = Segment(name=name, filter=condition)
        session.add(segment)
        session.flush()
        return segment.id


def test_entering_a_segment_by_an_event_starts_the_flow_once(harness) -> None:
    big_spenders = make_segment(
        harness, "Paid twice", {"event": "order_paid", "count": {"op": "gte", "value": 2}, "within": "P30D"}
    )
    flow_id = harness.publish(segment_flow(big_spenders))
    anna = harness.contact(email="anna@example.com")

    harness.track(anna, "order_paid", {"amount": 10})
    assert harness.runs(flow_id) == []
    harness.track(anna, "order_paid", {"amount": 20})
    [run] = harness.runs(flow_id)
    assert run.status is RunStatus.COMPLETED
    assert [m.channel.value for m in harness.messages(anna)] == ["chat"]

    harness.track(anna, "order_paid", {"amount": 30})  # still inside: no second entry
    assert len(harness.runs(flow_id)) == 1


def test_time_alone_moves_contacts_out_and_the_sweep_notices(harness) -> None:
    recent = make_segment(harness, "Visited this week", {"event": "page", "within": "P7D"})
    harness.publish(segment_flow(recent))
    boris = harness.contact(email="boris@example.com")
    harness.track(boris, "page", {"url": "/pricing"})
    with harness.session() as session:
        assert session.get(SegmentMembership, (recent, boris)) is not None

    harness.clock.advance(timedelta(days=8))
    scheduler = Scheduler(harness.runtime)
    assert scheduler.sweep_segments() == 1
    harness.drain()
    with harness.session() as session:
        assert session.get(SegmentMembership, (recent, boris)) is None
    assert scheduler.sweep_segments() == 0, "one sweep per period, whichever scheduler asks"


def test_contacts_of_segments_without_live_flows_cost_nothing(harness) -> None:
    make_segment(harness, "Everyone from Kazan", {"property": "city", "op": "eq", "value": "Kazan"})
    carla = harness.contact(email="carla@example.com", properties={"city": "Kazan"})
    harness.track(carla, "page", {})
    with harness.session() as session:
        assert session.query(SegmentMembership).count() == 0
        assert harness.runtime.jobs.refresh_all_segments(session, harness.clock.now()) == 0


@pytest.mark.parametrize(
    ("node", "pointer"),
    [
        ({"id": "entered", "type": "trigger", "config": {"on": "segment_entered", "segment": 999}}, "/nodes/0/config/segment"),
        ({"id": "entered", "type": "trigger", "config": {"event": "signed_up"}}, None),
    ],
)
def test_publishing_refuses_references_to_missing_things(harness, node: dict, pointer: str | None) -> None:
    document = segment_flow(1)
    document["nodes"][0] = node
    document["nodes"][1] = {"id": "hello", "type": "send_email", "config": {"template_id": 404}}
    with harness.runtime.sessions() as session:
        flow = flow_store.import_flow(session, document)
        with pytest.raises(FlowInvalid) as refused:
            flow_store.publish_flow(session, flow)
        found = {(error.node_id, error.pointer) for error in refused.value.errors}
        assert ("hello", "/nodes/1/config/template_id") in found
        if pointer:
            assert ("entered", pointer) in found
        assert "does not exist" in refused.value.errors[0].message
        session.rollback()
        assert session.query(Flow).count() == 0


def test_the_sweep_re_checks_only_the_contacts_whose_membership_changes(harness) -> None:
    """Issue 20: SQL says who enters or leaves; everyone else costs the sweep nothing."""
    recent = make_segment(harness, "Visited this week", {"event": "page", "within": "P7D"})
    flow_id = harness.publish(segment_flow(recent))
    stayers = [harness.contact() for _ in range(5)]
    leaver, newcomer = harness.contact(), harness.contact()
    for contact in (*stayers, leaver):
        harness.track(contact, "page", {})
    harness.clock.advance(timedelta(days=5))
    for contact in stayers:
        harness.track(contact, "page", {})
    # The newcomer's visit is recorded but not applied: no event re-checked it, only the sweep can let it in.
    harness.record_event(newcomer, "page", {})
    harness.clock.advance(timedelta(days=3))  # the leaver's visit is now 8 days old

    with harness.session() as session:
        assert membership_changes(session, harness.clock.now()) == sorted([leaver, newcomer])
        assert harness.runtime.jobs.refresh_all_segments(session, harness.clock.now()) == 1
    harness.drain()
    with harness.session() as session:
        members = set(session.scalars(select(SegmentMembership.contact_id).where(SegmentMembership.segment_id == recent)))
        assert members == {*stayers, newcomer}
        assert membership_changes(session, harness.clock.now()) == []
    assert sorted(run.contact_id for run in harness.runs(flow_id)) == sorted([*stayers, leaver, newcomer])


def test_a_condition_sql_cannot_decide_has_the_sweep_re_check_everyone(harness) -> None:
    since = make_segment(harness, "Signed up on launch day", {"property": "signed_up_on", "op": "eq", "value": "2026-03-01"})
    harness.publish(segment_flow(since))
    contacts = [harness.contact(properties={"signed_up_on": "2026-03-01T00:00:00Z"}) for _ in range(3)]
    with harness.session() as session:
        assert membership_changes(session, harness.clock.now()) is None
        assert harness.runtime.jobs.refresh_all_segments(session, harness.clock.now()) == 1
    harness.drain()
    with harness.session() as session:
        members = set(session.scalars(select(SegmentMembership.contact_id).where(SegmentMembership.segment_id == since)))
    assert members == set(contacts)  # an ISO date compared as a moment, by the evaluator
