"""Pause, resume, archive and enrol through the API, with real RQ workers advancing the runs it queues."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy.orm import Session

from tests.workflow_runtime.conftest import START, Harness
from workflow_runtime.clock import VirtualClock
from workflow_runtime.dispatch import runtime
from workflow_runtime.storage.models import RunStatus, Segment

MakeFlow = Callable[..., dict[str, Any]]


@pytest.fixture
def harness(app: Flask, session: Session) -> Iterator[Harness]:
    """The runtime the API hands runs to: real RQ on Redis (or the embedded stand-in), virtual time."""
    url = os.environ.get("AUTOMAP_REDIS_URL")
    connection = Redis.from_url(url) if url else fakeredis.FakeRedis()
    connection.flushdb()
    clock = VirtualClock(START)
    current = runtime.configure(
        runtime.build(app.config["AUTOMAP"].database_url, connection, clock=clock, batch_size=50)
    )
    yield Harness(current, clock)
    connection.flushdb()
    current.engine.dispose()


def where(harness: Harness, flow_id: int) -> list[tuple[int, RunStatus, str]]:
    return [(run.contact_id, run.status, run.node_id) for run in harness.runs(flow_id)]


def test_enrolled_contacts_are_queued_at_once_and_advanced_by_the_workers(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    chosen = [harness.contact() for _ in range(3)]
    harness.contact()  # not chosen
    response = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": [*chosen, chosen[0]]},
                           headers=admin_headers)
    assert response.status_code == 202
    assert response.json == {"enrolled": 3, "audience": 3}
    assert harness.runtime.jobs.queue.count == 1  # one batch job, not left to the reconciler
    harness.drain()
    assert where(harness, flow["id"]) == [(contact, RunStatus.WAITING, "later") for contact in chosen]

    again = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": chosen}, headers=admin_headers)
    assert again.json == {"enrolled": 0, "audience": 3}  # re-entry after_exit: still running
    harness.advance(timedelta(days=1))
    assert where(harness, flow["id"]) == [(contact, RunStatus.COMPLETED, "done") for contact in chosen]


def test_a_broadcast_to_a_segment_enrols_its_members(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness, session: Session,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    pro = [harness.contact(properties={"plan": "pro"}) for _ in range(2)]
    harness.contact(properties={"plan": "free"})
    segment = Segment(name="Pro", filter={"property": "plan", "op": "eq", "value": "pro"})
    session.add(segment)
    session.commit()
    response = client.post(f"/api/flows/{flow['id']}/enrol", json={"segment_id": segment.id}, headers=admin_headers)
    assert response.status_code == 202
    assert response.json == {"enrolled": 2, "audience": 2}
    harness.drain()
    assert [contact for contact, _status, _node in where(harness, flow["id"])] == pro


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "_schema"),
        ({"contact_ids": [1], "segment_id": 1}, "_schema"),
        ({"contact_ids": []}, "contact_ids"),
        ({"contact_ids": ["1"]}, "contact_ids.0"),
        ({"contact_ids": [2**31]}, "contact_ids.0"),
        ({"segment_id": 999}, "segment_id"),
        ({"contact_ids": [999]}, "contact_ids"),
    ],
)
def test_bad_audiences_are_refused_by_field_and_start_nothing(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness, payload: dict[str, Any], field: str,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    harness.contact()
    response = client.post(f"/api/flows/{flow['id']}/enrol", json=payload, headers=admin_headers)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json["errors"]}
    assert harness.runs(flow["id"]) == []


def test_enrolling_needs_a_live_flow_with_a_manual_trigger(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    cart_document: dict[str, Any], harness: Harness,
) -> None:
    contact = harness.contact()
    draft = make_flow(broadcast_document)
    on_event = make_flow(cart_document, publish=True)
    for flow, reason in ((draft, "publish it"), (on_event, "no manual trigger")):
        response = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": [contact]}, headers=admin_headers)
        assert response.status_code == 409
        assert reason in response.json["message"]
        assert harness.runs(flow["id"]) == []


def test_pause_holds_runs_and_resume_hands_the_due_ones_back_to_the_workers(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    ann, bob = harness.contact(), harness.contact()
    client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": [ann, bob]}, headers=admin_headers)
    harness.drain()

    paused = client.post(f"/api/flows/{flow['id']}/pause", headers=admin_headers)
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    harness.advance(timedelta(days=2))
    assert where(harness, flow["id"]) == [(ann, RunStatus.WAITING, "later"), (bob, RunStatus.WAITING, "later")]
    refused = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": [ann]}, headers=admin_headers)
    assert refused.status_code == 409

    resumed = client.post(f"/api/flows/{flow['id']}/resume", headers=admin_headers)
    assert resumed.status_code == 200 and resumed.json["status"] == "live"
    assert harness.runtime.jobs.queue.count == 1
    harness.drain()
    assert where(harness, flow["id"]) == [(ann, RunStatus.COMPLETED, "done"), (bob, RunStatus.COMPLETED, "done")]


def test_archiving_exits_the_runs_and_status_changes_out_of_order_are_409(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    ann = harness.contact()
    client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": [ann]}, headers=admin_headers)
    harness.drain()
    conflict = client.post(f"/api/flows/{flow['id']}/resume", headers=admin_headers)
    assert conflict.status_code == 409 and "only a paused flow" in conflict.json["message"]

    archived = client.post(f"/api/flows/{flow['id']}/archive", headers=admin_headers)
    assert archived.status_code == 200 and archived.json["status"] == "archived"
    assert where(harness, flow["id"]) == [(ann, RunStatus.EXITED, "later")]
    assert client.post(f"/api/flows/{flow['id']}/pause", headers=admin_headers).status_code == 409
    assert client.post(f"/api/flows/{flow['id']}/archive", headers=admin_headers).status_code == 200

    draft = make_flow(broadcast_document)
    assert client.post(f"/api/flows/{draft['id']}/pause", headers=admin_headers).status_code == 409
    assert client.post(f"/api/flows/{draft['id']}/stop", headers=admin_headers).status_code == 404
