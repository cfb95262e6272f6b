"""A contact's journeys through the API: the path with times, the rule that decided, the variant, the messages, the
goal credit — and operator actions (move, skip a wait, exit, restart) with reasons, in the audit log, keeping every
node's counters balanced."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.workflow_runtime.conftest import Harness
from tests.workflow_runtime.runtime_support import assert_counters_balance
from workflow_runtime.storage.models import RunStatus

MakeFlow = Callable[..., dict[str, Any]]
RULE = {"all": [{"property": "plan", "op": "eq", "value": "pro"}, {"event": "order_paid", "op": "did"}]}
VARIANTS = {"a": "Plain link", "b": "Button"}

JOURNEY = {
    "schema_version": 2,
    "name": "Journey",
    "settings": {"goal": {"event": "order_paid", "within": "P7D", "revenue_property": "amount"}},
    "nodes": [
        {"id": "signup", "type": "trigger", "position": {"x": 0, "y": 0}, "config": {"on": "event", "event": "signed_up"}},
        {"id": "check", "type": "condition", "position": {"x": 200, "y": 0}, "config": {"filter": RULE}},
        {"id": "done_yes", "type": "exit", "position": {"x": 400, "y": -100}, "config": {"reason": "pro buyer"}},
        {"id": "ab", "type": "split", "position": {"x": 400, "y": 100},
         "config": {"variants": [{"id": key, "label": label, "weight": 50} for key, label in VARIANTS.items()]}},
        {"id": "chat", "type": "send_chat", "position": {"x": 600, "y": 100}, "config": {"body": "Hi {{ name }}"}},
        {"id": "hold", "type": "wait", "position": {"x": 800, "y": 100}, "config": {"duration": "P1D"}},
        {"id": "done", "type": "exit", "position": {"x": 1000, "y": 100}, "config": {"reason": "greeted"}},
    ],
    "edges": [
        {"from": "signup", "port": "next", "to": "check"},
        {"from": "check", "port": "yes", "to": "done_yes"},
        {"from": "check", "port": "no", "to": "ab"},
        {"from": "ab", "port": "a", "to": "chat"},
        {"from": "ab", "port": "b", "to": "chat"},
        {"from": "chat", "port": "next", "to": "hold"},
        {"from": "hold", "port": "next", "to": "done"},
    ],
}


def _signed_up(harness: Harness, **fields: Any) -> int:
    contact = harness.contact(**fields)
    harness.track(contact, "signed_up")
    return contact


def _journeys(client: FlaskClient, headers: dict[str, str], contact: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/contacts/{contact}/journeys", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["journeys"]


def _act(client: FlaskClient, headers: dict[str, str], contact: int, run_id: int, **body: Any) -> Any:
    return client.post(f"/api/contacts/{contact}/journeys/{run_id}/actions", json=body, headers=headers)


def test_the_journey_shows_each_step_with_its_time_the_deciding_rule_the_variant_and_the_messages(
        client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, harness: Harness) -> None:
    flow = make_flow(JOURNEY, publish=True)
    started = harness.clock.now()
    anna = _signed_up(harness, name="Anna", properties={"plan": "pro"})  # pro, but has not paid: the second rule fails
    harness.advance(timedelta(days=1))
    harness.track(anna, "order_paid", {"amount": 30})

    [journey] = _journeys(client, admin_headers, anna)
    [run] = harness.runs(flow["id"])
    at, woke = (time.strftime("%Y-%m-%dT%H:%M:%S") for time in (started, started + timedelta(days=1)))
    assert {key: journey[key] for key in ("run_id", "flow_id", "flow_name", "version", "status", "node_id")} == {
        "run_id": run.id, "flow_id": flow["id"], "flow_name": "Journey", "version": 1, "status": "completed",
        "node_id": "done"}
    steps = [(step["node_id"], step["entered_at"][:19], step["left_at"] and step["left_at"][:19], step["port"])
             for step in journey["steps"]]
    variant = journey["steps"][2]["port"]
    assert steps == [("signup", at, at, "next"), ("check", at, at, "no"), ("ab", at, at, variant),
                     ("chat", at, at, "next"), ("hold", at, woke, "next"), ("done", woke, woke, None)]
    check = journey["steps"][1]
    assert check["rule"] == {"pointer": "/filter/all/1", "rule": {"event": "order_paid", "op": "did"}}
    assert journey["steps"][2]["port_label"] == VARIANTS[variant]
    assert [(message["channel"], message["statuses"]) for message in journey["steps"][3]["messages"]] == [
        ("chat", ["sent"])]
    assert all(step["messages"] == [] for index, step in enumerate(journey["steps"]) if index != 3)
    # The order came after the run ended, within the goal's window: the goal credits it, with the order's amount.
    assert journey["goal"] | {"converted_at": journey["goal"]["converted_at"][:19]} == {
        "event": "order_paid", "deadline": journey["goal"]["deadline"], "converted_at": woke, "revenue": 30.0}
    assert journey["goal"]["deadline"][:19] == (started + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")
    assert journey["actions"] == [] and journey["moved_from"] is None and journey["moved_to"] is None


def test_an_operator_skips_a_wait_moves_exits_and_restarts_runs_each_recorded_with_a_reason(
        client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, harness: Harness) -> None:
    flow = make_flow(JOURNEY, publish=True)
    skip, move, leave = (_signed_up(harness, name=name) for name in ("Skip", "Move", "Leave"))
    runs = {run.contact_id: run.id for run in harness.runs(flow["id"])}
    harness.advance(timedelta(hours=1))

    skipped = _act(client, admin_headers, skip, runs[skip], action="skip_wait", reason="  asked to go on  ")
    assert skipped.status_code == 201, skipped.json
    assert {key: skipped.json[key] for key in ("action", "actor", "reason", "from_node_id", "to_node_id", "new_run_id")} \
        == {"action": "skip_wait", "actor": "the admin token", "reason": "asked to go on", "from_node_id": "hold",
            "to_node_id": None, "new_run_id": None}
    harness.drain()  # the run was queued: it leaves the wait now, a day early
    [journey] = _journeys(client, admin_headers, skip)
    assert (journey["status"], journey["node_id"], journey["steps"][-2]["port"]) == ("completed", "done", "next")
    assert [action["action"] for action in journey["actions"]] == ["skip_wait"]

    moved = _act(client, admin_headers, move, runs[move], action="move", node_id="chat", reason="send it again")
    assert moved.status_code == 201, moved.json
    new_run = moved.json["new_run_id"]
    harness.drain()
    newer, older = _journeys(client, admin_headers, move)
    assert (older["run_id"], older["status"], older["node_id"]) == (runs[move], "exited", "hold")
    assert older["end_reason"] == "moved to chat by an operator" and older["moved_to"] == new_run
    assert (newer["run_id"], newer["status"], newer["node_id"]) == (new_run, "waiting", "hold")
    assert newer["moved_from"] == {"run_id": runs[move], "node_id": "hold"}
    assert [step["node_id"] for step in newer["steps"]] == ["chat", "hold"]
    assert len(newer["steps"][0]["messages"]) == 1  # sent again: a new run, a message of its own
    assert [(a["action"], a["to_node_id"], a["new_run_id"]) for a in older["actions"]] == [("move", "chat", new_run)]

    left = _act(client, admin_headers, leave, runs[leave], action="exit", reason="asked to stop")
    assert left.status_code == 201, left.json
    [journey] = _journeys(client, admin_headers, leave)
    assert (journey["status"], journey["end_reason"]) == ("exited", "exited by an operator: asked to stop")

    restarted = _act(client, admin_headers, skip, runs[skip], action="restart", reason="start over")
    assert restarted.status_code == 201, restarted.json
    harness.drain()
    again, first = _journeys(client, admin_headers, skip)
    assert (first["status"], again["status"], again["node_id"]) == ("completed", "waiting", "hold")
    assert [step["node_id"] for step in again["steps"]][:2] == ["signup", "check"]
    assert again["goal"]["deadline"][:19] == (harness.clock.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")

    # A run that began where it was moved to restarts at the flow's trigger, not there.
    again = _act(client, admin_headers, move, new_run, action="restart", reason="once more from the top")
    assert again.status_code == 201, again.json
    harness.drain()
    latest = _journeys(client, admin_headers, move)[0]
    assert (latest["run_id"], [step["node_id"] for step in latest["steps"]][:2]) == (again.json["new_run_id"],
                                                                                    ["signup", "check"])

    stats = client.get(f"/api/flows/{flow['id']}/stats", headers=admin_headers).json["nodes"]["hold"]
    assert stats["exited_by"] | {"unrecorded": 0} == {"goal": 0, "exit_rule": 0, "archived": 0, "moved": 2,
                                                      "operator": 1, "unrecorded": 0}
    assert_counters_balance(harness, flow["id"])
    by_status = sorted(run.status.value for run in harness.runs(flow["id"]))
    assert by_status == ["completed", "exited", "exited", "exited", "waiting", "waiting"]
    assert all(run.status is not RunStatus.ACTIVE for run in harness.runs(flow["id"]))


def test_actions_the_run_cannot_take_are_refused_naming_why(
        client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, harness: Harness) -> None:
    flow = make_flow(JOURNEY, publish=True)
    anna, bea = _signed_up(harness, name="Anna"), _signed_up(harness, name="Bea")
    runs = {run.contact_id: run.id for run in harness.runs(flow["id"])}

    def refused(contact: int, run_id: int, status: int, **body: Any) -> str:
        response = _act(client, admin_headers, contact, run_id, **{"reason": "because", **body})
        assert response.status_code == status, response.json
        return response.json["message"]

    assert "no run" in refused(anna, runs[bea], 404, action="exit")  # another contact's run
    assert "no run" in refused(anna, 10**9, 404, action="exit")
    response = _act(client, admin_headers, anna, runs[anna], action="move", node_id="nowhere", reason="x")
    assert response.status_code == 400 and response.json["message"] == "Version 1 of the flow has no node 'nowhere'."
    assert response.json["errors"][0]["field"] == "node_id" and "'nowhere'" in response.json["errors"][0]["message"]
    response = _act(client, admin_headers, anna, runs[anna], action="move", reason="x")
    assert (response.status_code, response.json["errors"][0]["field"]) == (400, "node_id")
    response = _act(client, admin_headers, anna, runs[anna], action="exit", node_id="chat", reason="x")
    assert (response.status_code, response.json["errors"][0]["field"]) == (400, "node_id")
    for reason in ("", "   ", "x" * 1001):
        response = _act(client, admin_headers, anna, runs[anna], action="exit", reason=reason)
        assert (response.status_code, response.json["errors"][0]["field"]) == (400, "reason")
    assert "trigger" in refused(anna, runs[anna], 409, action="move", node_id="signup")

    assert _act(client, admin_headers, anna, runs[anna], action="exit", reason="done").status_code == 201
    assert "already ended" in refused(anna, runs[anna], 409, action="exit")
    assert "not waiting" in refused(anna, runs[anna], 409, action="skip_wait")
    assert "restart" in refused(anna, runs[anna], 409, action="move", node_id="chat")

    client.post(f"/api/flows/{flow['id']}/archive", headers=admin_headers)
    assert "archived" in refused(anna, runs[anna], 409, action="restart")
    assert client.get(f"/api/contacts/{anna}/journeys").status_code == 401
    assert _act(client, {}, anna, runs[anna], action="exit", reason="x").status_code == 401
    assert client.get("/api/contacts/999999/journeys", headers=admin_headers).status_code == 404
    assert_counters_balance(harness, flow["id"])
