"""`/api/failures` and `automap failures`: see what failed alone, retry it once fixed, or discard it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from flask.testing import FlaskClient

from tests.workflow_runtime.runtime_support import run_of, track_all
from tests.workflow_runtime.test_fault_isolation import POISON, broken_for_poison, tagging_flow  # noqa: F401
from workflow_runtime.storage.models import RunStatus


@pytest.fixture
def parked(harness: Any, broken_for_poison: None) -> tuple[int, int]:  # noqa: F811
    """A live flow whose update_contact step failed for one contact of five: (flow id, that contact)."""
    flow_id = harness.publish(tagging_flow())
    contacts = [harness.contact() for _ in range(4)] + [harness.contact(email=POISON)]
    track_all(harness, contacts, "signed_up")
    return flow_id, contacts[-1]


def test_failures_are_listed_with_where_and_why_and_shown_with_their_traceback(
        client: FlaskClient, admin_headers: dict[str, str], parked: tuple[int, int]) -> None:
    assert client.get("/api/failures").status_code == 401
    listed = client.get("/api/failures", headers=admin_headers).json
    assert listed["total"] == 1
    [failure] = listed["items"]
    assert (failure["kind"], failure["node_id"], failure["contact_id"], failure["state"], failure["attempts"]) == (
        "run", "tag", parked[1], "quarantined", 1)
    assert failure["error"] == "ZeroDivisionError: a bug in the node" and "traceback" not in failure
    assert failure["node_label"] == "Update contact"  # the step by the name its card shows (no label: its type's)
    detail = client.get(f"/api/failures/{failure['id']}", headers=admin_headers).json
    assert "Traceback (most recent call last)" in detail["traceback"] and detail["node_label"] == "Update contact"
    assert client.get("/api/failures", query_string={"state": "retried"}, headers=admin_headers).json["total"] == 0
    assert client.get("/api/failures/999999", headers=admin_headers).status_code == 404
    bad = client.get("/api/failures", query_string={"state": "lost"}, headers=admin_headers)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "state"


def test_a_retry_through_the_api_moves_the_run_on_once_its_cause_is_fixed(
        client: FlaskClient, admin_headers: dict[str, str], parked: tuple[int, int], harness: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    flow_id, contact_id = parked
    [failure] = client.get("/api/failures", headers=admin_headers).json["items"]
    monkeypatch.undo()  # the node is fixed
    answer = client.post("/api/failures/retry", json={"ids": [failure["id"], 999999]}, headers=admin_headers)
    assert answer.status_code == 200 and answer.json == {"retried": [failure["id"]]}
    harness.drain()
    assert (run_of(harness, flow_id, contact_id).status, run_of(harness, flow_id, contact_id).node_id) == (
        RunStatus.WAITING, "rest")
    again = client.post("/api/failures/retry", json={"ids": [failure["id"]]}, headers=admin_headers)
    assert again.json == {"retried": []}  # not quarantined any more
    empty = client.post("/api/failures/retry", json={"ids": []}, headers=admin_headers)
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "ids"


def test_the_cli_lists_retries_and_discards(cli: Callable[..., Result], parked: tuple[int, int], harness: Any) -> None:
    flow_id, contact_id = parked
    listed = cli("failures", "list")
    assert listed.exit_code == 0 and "ZeroDivisionError" in listed.output and "1 of 1" in listed.output
    assert "at 'Update contact' (tag)" in listed.output
    assert cli("failures", "retry").exit_code == 2  # ids or --all
    shown = cli("failures", "show", "1")
    assert shown.exit_code == 0 and "Traceback" in shown.output
    discarded = cli("failures", "discard", "--all")
    assert discarded.exit_code == 0 and "discarded 1" in discarded.output
    assert run_of(harness, flow_id, contact_id).status is RunStatus.ERRORED
    assert "0 of 0" in cli("failures", "list").output
