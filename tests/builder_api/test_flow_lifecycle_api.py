"""Pause, resume, archive and enrol through the API, with real RQ workers advancing the runs it queues."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import fakeredis
import pytest
from click.testing import Result
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


def test_enrolling_answers_at_once_with_a_broadcast_its_jobs_enrol_and_advance(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    chosen = [harness.contact() for _ in range(3)]
    harness.contact()  # not chosen
    response = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": [*chosen, chosen[0]]},
                           headers=admin_headers)
    assert response.status_code == 202
    assert response.headers["Location"] == f"/api/broadcasts/{response.json['id']}"
    assert {key: response.json[key] for key in ("status", "chosen", "to_scan", "scanned", "enrolled", "progress")} == {
        "status": "queued", "chosen": 3, "to_scan": 3, "scanned": 0, "enrolled": 0, "progress": 0.0}
    assert harness.runs(flow["id"]) == []  # nothing enrolled inside the request
    assert harness.runtime.jobs.queue.count == 1  # the broadcast's job, not left to the reconciler
    harness.drain()
    assert where(harness, flow["id"]) == [(contact, RunStatus.WAITING, "later") for contact in chosen]
    done = client.get(response.headers["Location"], headers=admin_headers).json
    assert {key: done[key] for key in ("status", "scanned", "audience", "enrolled", "kept_out", "progress")} == {
        "status": "done", "scanned": 3, "audience": 3, "enrolled": 3, "kept_out": 0, "progress": 1.0}

    again = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": chosen}, headers=admin_headers)
    harness.drain()
    second = client.get(again.headers["Location"], headers=admin_headers).json
    assert (second["audience"], second["enrolled"], second["kept_out"]) == (3, 0, 3)  # re-entry after_exit: running
    listed = client.get(f"/api/broadcasts?flow_id={flow['id']}", headers=admin_headers).json
    assert [item["id"] for item in listed["items"]] == [second["id"], done["id"]] and listed["total"] == 2
    harness.advance(timedelta(days=1))
    assert where(harness, flow["id"]) == [(contact, RunStatus.COMPLETED, "done") for contact in chosen]


def test_a_broadcast_to_a_segment_enrols_its_members_chunk_by_chunk(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness, session: Session,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    contacts = [harness.contact(properties={"plan": "pro" if number % 3 else "free"}) for number in range(120)]
    pro = [contact for number, contact in enumerate(contacts) if number % 3]
    segment = Segment(name="Pro", filter={"property": "plan", "op": "eq", "value": "pro"})
    session.add(segment)
    session.commit()
    response = client.post(f"/api/flows/{flow['id']}/enrol", json={"segment_id": segment.id}, headers=admin_headers)
    assert response.status_code == 202 and response.json["to_scan"] == 120
    location = response.headers["Location"]

    # The first chunk: the first 50 members (the batch size), selected in SQL; the contacts up to the 50th are examined.
    harness.worker.work(burst=True, max_jobs=1, logging_level="WARNING")
    first = client.get(location, headers=admin_headers).json
    examined = contacts.index(pro[49]) + 1
    assert (first["status"], first["scanned"], first["progress"]) == ("running", examined, examined / 120)
    assert first["audience"] == first["enrolled"] == 50
    harness.drain()
    done = client.get(location, headers=admin_headers).json
    assert (done["status"], done["scanned"], done["audience"], done["enrolled"]) == ("done", 120, 80, 80)
    assert [contact for contact, _status, _node in where(harness, flow["id"])] == pro


def test_a_segment_sql_cannot_decide_is_sent_by_the_evaluator_a_chunk_at_a_time(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness, session: Session,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    # An ISO date compared as a moment (engine.filter_sql leaves it to the evaluator): the same instant, written twice.
    days = ["2026-03-01T00:00:00Z", "2026-03-01T01:00:00+01:00", "2026-03-02T00:00:00Z"] * 40
    contacts = [harness.contact(properties={"signed_up_on": day}) for day in days]
    launch = [contact for contact, day in zip(contacts, days, strict=True) if day.startswith("2026-03-01")]
    segment = Segment(name="Launch day", filter={"property": "signed_up_on", "op": "eq", "value": "2026-03-01T00:00:00Z"})
    session.add(segment)
    session.commit()
    location = client.post(f"/api/flows/{flow['id']}/enrol", json={"segment_id": segment.id},
                           headers=admin_headers).headers["Location"]
    harness.worker.work(burst=True, max_jobs=1, logging_level="WARNING")  # 50 contacts examined in Python
    first = client.get(location, headers=admin_headers).json
    assert (first["scanned"], first["audience"]) == (50, len([c for c in launch if c <= contacts[49]]))
    harness.drain()
    done = client.get(location, headers=admin_headers).json
    assert (done["status"], done["scanned"], done["audience"], done["enrolled"]) == ("done", 120, 80, 80)
    assert [contact for contact, _status, _node in where(harness, flow["id"])] == launch


def test_a_lost_or_repeated_broadcast_job_enrols_no_one_twice(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    chosen = [harness.contact() for _ in range(120)]
    response = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": chosen}, headers=admin_headers)
    harness.runtime.jobs.queue.empty()  # the job was lost with Redis
    broadcast_id = response.json["id"]
    harness.runtime.jobs.enrol_broadcasts([broadcast_id, broadcast_id])  # the reconciler, twice
    harness.drain()
    done = client.get(response.headers["Location"], headers=admin_headers).json
    assert (done["status"], done["audience"], done["enrolled"]) == ("done", 120, 120)
    assert sorted(contact for contact, _status, _node in where(harness, flow["id"])) == chosen


def test_a_broadcast_waits_while_its_flow_is_paused_and_fails_when_it_is_archived(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    chosen = [harness.contact() for _ in range(120)]
    response = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": chosen}, headers=admin_headers)
    location = response.headers["Location"]
    harness.worker.work(burst=True, max_jobs=1, logging_level="WARNING")
    client.post(f"/api/flows/{flow['id']}/pause", headers=admin_headers)
    harness.drain()
    paused = client.get(location, headers=admin_headers).json
    assert (paused["status"], paused["enrolled"]) == ("running", 50)

    client.post(f"/api/flows/{flow['id']}/resume", headers=admin_headers)  # queues the broadcast again
    harness.drain()
    assert client.get(location, headers=admin_headers).json["enrolled"] == 120

    other = client.post(f"/api/flows/{flow['id']}/enrol", json={"contact_ids": chosen}, headers=admin_headers)
    client.post(f"/api/flows/{flow['id']}/archive", headers=admin_headers)
    harness.drain()
    failed = client.get(other.headers["Location"], headers=admin_headers).json
    assert failed["status"] == "failed" and "archived" in failed["error"] and failed["enrolled"] == 0


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


def test_the_cli_sends_a_broadcast_and_follows_it_to_the_end(
    cli: Callable[..., Result], make_flow: MakeFlow, broadcast_document: dict[str, Any], harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    chosen = [harness.contact() for _ in range(3)]
    refused = cli("broadcasts", "send", str(flow["id"]), "--contact", "999999")
    assert refused.exit_code == 1 and "There is no contact with id 999999" in refused.output

    # The command polls until the workers are done; RQ's worker wants the main thread, so the command gets another.
    results: list[Result] = []
    command = threading.Thread(target=lambda: results.append(
        cli("broadcasts", "send", str(flow["id"]), *(f"--contact={contact}" for contact in chosen))))
    command.start()
    harness.drain_until(lambda: not command.is_alive())
    command.join()
    followed = results[0]
    assert followed.exit_code == 0, followed.output
    assert "done, 3 of 3 examined, 3 in the audience, 3 enrolled, 0 kept out" in followed.output

    queued = cli("broadcasts", "send", str(flow["id"]), "--no-wait", f"--contact={chosen[0]}")
    assert "queued, 0 of 1 examined" in queued.output
    harness.drain()
    listed = cli("broadcasts", "list", "--flow", str(flow["id"])).output.splitlines()
    assert len(listed) == 2 and "done, 1 of 1 examined, 1 in the audience, 0 enrolled, 1 kept out" in listed[0]
