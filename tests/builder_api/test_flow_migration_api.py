"""Publishing through the API with a migration plan: the preview a dialog renders ("N contacts waiting at X (v1) →
Y"), plans refused with the node named, the move done by jobs after the answer, its progress, and the body-less
publish as before; real RQ workers, virtual time."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.workflow_runtime.conftest import START, Harness
from tests.workflow_runtime.runtime_support import assert_counters_balance, track_all
from tests.workflow_runtime.test_migration import series
from workflow_runtime.storage.models import RunStatus

MakeFlow = Callable[..., dict[str, Any]]
MAP = [{"version": 1, "node_id": "long", "to": "long"}, {"version": 1, "node_id": "old", "to": "fresh"}]


@pytest.fixture
def waiting(client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, harness: Harness) -> int:
    """Version 1 live with two pro, two free and one other contact waiting in it, and version 2 as the draft."""
    flow = make_flow(series(1), publish=True)
    plans = ["pro", "pro", "free", "free", "other"]
    track_all(harness, [harness.contact(properties={"plan": plan}) for plan in plans], "signed_up")
    saved = client.put(f"/api/flows/{flow['id']}", json={"document": series(2)}, headers=admin_headers)
    assert saved.status_code == 200, saved.json
    harness.advance(timedelta(hours=12))
    return int(flow["id"])


def positions(harness: Harness, flow_id: int) -> list[tuple[int, str, str]]:
    return sorted((run.contact_id, run.status.value, run.node_id) for run in harness.runs(flow_id))


def test_the_preview_lists_who_waits_where_and_what_the_plan_must_choose(
    client: FlaskClient, admin_headers: dict[str, str], waiting: int, harness: Harness,
) -> None:
    before = positions(harness, waiting)
    asked = client.post(f"/api/flows/{waiting}/migration-preview", json={"migration": {"mode": "move"}},
                        headers=admin_headers)
    assert asked.status_code == 200, asked.json
    rows = [(row["version"], row["node_id"], row["label"], row["change"], row["waiting"], row["action"], row["to"],
             row["wake"]) for row in asked.json["nodes"]]
    assert rows == [(1, "long", "Wait", "wait_changed", 2, "choose", None, None),
                    (1, "old", "Wait", "removed", 2, "choose", None, None),
                    (1, "paid", "Wait for event", "unchanged", 1, "move", "paid", "kept")]
    assert {key: asked.json[key] for key in ("mode", "to_version", "moving", "exiting", "staying", "complete")} == {
        "mode": "move", "to_version": 2, "moving": 1, "exiting": 0, "staying": 4, "complete": False}
    assert asked.json["missing"] == [{"version": 1, "node_id": "long"}, {"version": 1, "node_id": "old"}]

    chosen = client.post(f"/api/flows/{waiting}/migration-preview", headers=admin_headers, json={"migration": {
        "mode": "move", "map": [MAP[0], {"version": 1, "node_id": "old", "exit": True}]}})
    assert chosen.status_code == 200, chosen.json
    assert [(row["node_id"], row["action"], row["to"], row["wake"], row["chosen"]) for row in chosen.json["nodes"]] == [
        ("long", "move", "long", "recomputed", True), ("old", "exit", None, None, True),
        ("paid", "move", "paid", "kept", False)]
    assert (chosen.json["moving"], chosen.json["exiting"], chosen.json["complete"]) == (3, 2, True)

    kept = client.post(f"/api/flows/{waiting}/migration-preview", headers=admin_headers)  # no body: keep
    assert (kept.status_code, kept.json["mode"], kept.json["moving"], kept.json["staying"]) == (200, "keep", 0, 5)
    assert {row["action"] for row in kept.json["nodes"]} == {"stay"}
    assert positions(harness, waiting) == before  # nothing written
    assert client.get(f"/api/flows/{waiting}/versions", headers=admin_headers).json["versions"][-1]["number"] == 1


def test_publishing_with_a_move_plan_answers_at_once_and_jobs_move_the_contacts(
    client: FlaskClient, admin_headers: dict[str, str], waiting: int, harness: Harness,
) -> None:
    published = client.post(f"/api/flows/{waiting}/publish", json={"migration": {"mode": "move", "map": MAP}},
                            headers=admin_headers)
    assert published.status_code == 201, published.json
    assert published.json["version"] == 2
    migration = published.json["migration"]
    assert {key: migration[key] for key in ("to_version", "status", "to_move", "moved", "exited", "progress")} == {
        "to_version": 2, "status": "queued", "to_move": 5, "moved": 0, "exited": 0, "progress": 0.0}
    assert migration["choices"] == MAP
    assert {status for _contact, status, _node in positions(harness, waiting)} == {"waiting"}  # not in the request
    assert harness.runtime.jobs.queue.count == 1

    harness.drain()
    progress = client.get(f"/api/flows/{waiting}/migrations/{migration['id']}", headers=admin_headers)
    assert progress.status_code == 200
    assert {key: progress.json[key] for key in ("status", "moved", "exited", "stayed", "progress")} == {
        "status": "done", "moved": 5, "exited": 0, "stayed": 0, "progress": 1.0}
    waiting_now = sorted((run.node_id, run.wake_at) for run in harness.runs(waiting) if run.status is RunStatus.WAITING)
    assert waiting_now == [("fresh", START + timedelta(days=1))] * 2 + [("long", START + timedelta(days=5))] * 2 + [
        ("paid", START + timedelta(days=2))]
    assert_counters_balance(harness, waiting)


@pytest.mark.parametrize(("plan", "status", "node_id", "message"), [
    ({"mode": "move", "map": MAP[:1]}, 422, "old",
     "The draft was not published: 2 contacts wait at 'old' of version 1, which version 2 no longer has: choose a "
     "node of version 2 for them, or exit."),
    ({"mode": "move", "map": [*MAP, {"version": 1, "node_id": "paid", "to": "nowhere"}]}, 422, "paid",
     "The draft was not published: The map sends the contacts waiting at 'paid' of version 1 to 'nowhere', which "
     "version 2 does not have: pick one of its nodes, or exit."),
    ({"mode": "keep", "map": MAP}, 422, None,
     "The draft was not published: A keep plan leaves every contact on the version they entered: leave out the map, "
     "or set mode to move."),
    ({"mode": "move", "map": [{"version": 1, "node_id": "old", "to": "fresh", "exit": True}]}, 422, None,
     "The request is not valid: migration.map.0._schema: Give either `to` (a node of the new version) or "
     "`exit: true`."),
    ({"mode": "sideways"}, 422, None, "The request is not valid: migration.mode: Must be one of: keep, move."),
])
def test_a_refused_plan_names_the_node_and_publishes_nothing(
    client: FlaskClient, admin_headers: dict[str, str], waiting: int, harness: Harness,
    plan: dict[str, Any], status: int, node_id: str | None, message: str,
) -> None:
    before = positions(harness, waiting)
    refused = client.post(f"/api/flows/{waiting}/publish", json={"migration": plan}, headers=admin_headers)
    assert (refused.status_code, refused.json["message"]) == (status, message)
    assert refused.json["errors"][0].get("node_id") == node_id
    assert client.get(f"/api/flows/{waiting}/versions", headers=admin_headers).json["versions"][-1]["number"] == 1
    assert positions(harness, waiting) == before
    assert harness.runtime.jobs.queue.count == 0


def test_a_body_less_publish_keeps_everyone_on_their_version(
    client: FlaskClient, admin_headers: dict[str, str], waiting: int, harness: Harness,
) -> None:
    before = positions(harness, waiting)
    published = client.post(f"/api/flows/{waiting}/publish", headers=admin_headers)
    assert (published.status_code, published.json["version"], published.json["migration"]) == (201, 2, None)
    harness.drain()
    assert positions(harness, waiting) == before
    assert client.get(f"/api/flows/{waiting}/migrations/1", headers=admin_headers).status_code == 404


def test_a_first_publish_with_a_move_plan_has_no_one_to_move(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, harness: Harness,
) -> None:
    flow = make_flow(series(1))
    published = client.post(f"/api/flows/{flow['id']}/publish", json={"migration": {"mode": "move"}},
                            headers=admin_headers)
    assert published.status_code == 201, published.json
    harness.drain()
    done = client.get(f"/api/flows/{flow['id']}/migrations/{published.json['migration']['id']}", headers=admin_headers)
    assert {key: done.json[key] for key in ("to_version", "status", "to_move", "moved", "stayed", "progress")} == {
        "to_version": 1, "status": "done", "to_move": 0, "moved": 0, "stayed": 0, "progress": 1.0}
