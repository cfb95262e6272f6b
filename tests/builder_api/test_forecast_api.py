"""`POST /api/flows/<id>/forecast` and `GET /api/flows/<id>/forecasts/<fid>`: 202, progress, the result, every 4xx;
and `automap flows forecast`."""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.scenarios.scenario_support import SCENARIOS
from tests.workflow_runtime.forecast_support import WINDOW_START, live_scenario
from workflow_runtime.authoring import flow_store
from workflow_runtime.forecast.forecasts import LOST_AFTER
from workflow_runtime.storage.models import Flow, Forecast

DAYS = 4


@pytest.fixture
def cart(harness) -> tuple[int, Any]:  # noqa: ANN001 - the Harness fixture
    """The abandoned cart, live over DAYS days of generated history; the clock then stands an hour into the next."""
    flow_id, window = live_scenario(harness, "abandoned_cart", contacts=30, days=DAYS)
    harness.advance(timedelta(hours=1))
    return flow_id, window


def test_a_forecast_is_queued_then_done_with_its_figures(client: FlaskClient, admin_headers: dict[str, str], harness,  # noqa: ANN001
                                                         cart: tuple[int, Any]) -> None:
    flow_id, _window = cart
    asked = client.post(f"/api/flows/{flow_id}/forecast", json={"version": 1, "days": DAYS}, headers=admin_headers)

    assert asked.status_code == 202, asked.json
    assert asked.headers["Location"] == f"/api/flows/{flow_id}/forecasts/{asked.json['id']}"
    assert asked.json["status"] == "queued" and asked.json["progress"] == 0.0 and asked.json["result"] is None
    assert asked.json["window_start"].startswith(WINDOW_START.date().isoformat())

    harness.drain()  # the worker runs the forecast's job
    done = client.get(asked.headers["Location"], headers=admin_headers)

    assert done.status_code == 200
    assert done.json["status"] == "done" and done.json["progress"] == 1.0 and done.json["error"] is None
    assert done.json["events_replayed"] == done.json["events_total"] == done.json["result"]["events"] > 0
    result = done.json["result"]
    assert result["difference"] == {}  # the version that ran, over the window it ran in
    assert result["nodes"]["cart_updated"]["entered"] == result["live"]["nodes"]["cart_updated"]["entered"] > 0
    assert any("current" in note or "as they are now" in note for note in result["notes"])


def test_a_draft_forecast_shows_what_changes(client: FlaskClient, admin_headers: dict[str, str], harness,  # noqa: ANN001
                                             cart: tuple[int, Any]) -> None:
    flow_id, _window = cart
    draft = copy.deepcopy(SCENARIOS["abandoned_cart"])
    draft["settings"]["exit_when"] = []  # no longer ends the runs of those who unsubscribe
    for node in draft["nodes"]:
        if node["id"] == "promo_popup":
            node["config"].pop("email_fallback_after")  # no email after the popup
            node["config"].pop("email_fallback")
    with harness.runtime.sessions.begin() as session:
        flow_store.set_draft(session.get(Flow, flow_id), draft)

    asked = client.post(f"/api/flows/{flow_id}/forecast", json={"days": DAYS}, headers=admin_headers)
    assert asked.status_code == 202 and asked.json["version"] is None
    harness.drain()
    result = client.get(asked.headers["Location"], headers=admin_headers).json["result"]

    assert result["nodes"]["promo_popup"]["channels"]["email"]["sent"] == 0
    assert result["difference"]["promo_popup"]["email.sent"] == -result["live"]["nodes"]["promo_popup"]["channels"]["email"]["sent"]


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"version": 7}, 404, "has no version 7"),
    ({"version": 0}, 422, "published version number"),
    ({"version": "latest"}, 422, "published version number"),
    ({"days": 0}, 422, "days: Must be greater than or equal to 1"),
    ({"days": 400}, 422, "less than or equal to 366"),
    ({"days": 3, "from": "2026-03-01", "to": "2026-03-02"}, 422, "either days or from and to"),
    ({"from": "2026-03-01"}, 422, "from and to together"),
    ({"from": "2026-03-05", "to": "2026-03-01"}, 400, "before from"),
    ({"from": "2099-01-01", "to": "2099-01-02"}, 400, "not in the past"),
    ({"from": "2020-01-01", "to": "2026-03-01"}, 400, "longer than 366 days"),
])
def test_bad_input_is_a_4xx_with_a_sentence(client: FlaskClient, admin_headers: dict[str, str],
                                             cart: tuple[int, Any], body: dict[str, Any], status: int,
                                             says: str) -> None:
    flow_id, _window = cart
    answer = client.post(f"/api/flows/{flow_id}/forecast", json=body, headers=admin_headers)
    assert answer.status_code == status, answer.json
    assert says in str(answer.json)


def test_a_draft_that_does_not_validate_is_refused_with_its_errors_by_node(
        client: FlaskClient, admin_headers: dict[str, str], harness) -> None:  # noqa: ANN001
    broken = copy.deepcopy(SCENARIOS["abandoned_cart"])
    broken["edges"] = [edge for edge in broken["edges"] if edge["from"] != "give_promo_code"]
    with harness.runtime.sessions.begin() as session:
        flow_id = flow_store.create_flow(session, "Broken cart", broken).id

    answer = client.post(f"/api/flows/{flow_id}/forecast", json={"days": 3}, headers=admin_headers)

    assert answer.status_code == 422
    assert answer.json["message"].startswith("The draft cannot be forecast.")
    assert "give_promo_code" in {error.get("node_id") for error in answer.json["errors"]}


def test_unknown_flows_and_forecasts_are_404(client: FlaskClient, admin_headers: dict[str, str],
                                              cart: tuple[int, Any]) -> None:
    flow_id, _window = cart
    assert client.post("/api/flows/9999/forecast", json={}, headers=admin_headers).status_code == 404
    asked = client.post(f"/api/flows/{flow_id}/forecast", json={"version": 1, "days": 2}, headers=admin_headers)
    assert client.get(f"/api/flows/{flow_id}/forecasts/9999", headers=admin_headers).status_code == 404
    other = client.get(f"/api/flows/{flow_id + 1}/forecasts/{asked.json['id']}", headers=admin_headers)
    assert other.status_code == 404 and "has no forecast" in other.json["message"]
    assert client.post(f"/api/flows/{flow_id}/forecast", json={}).status_code == 401


def test_the_cli_prints_the_table(cli, cart: tuple[int, Any]) -> None:  # noqa: ANN001 - the cli fixture
    flow_id, _window = cart
    printed = cli("flows", "forecast", str(flow_id), "--version", "1", "--days", str(DAYS))
    assert printed.exit_code == 0, printed.output
    for heading in ("node", "entered", "left by port", "waiting", "sent", "converted", "revenue"):
        assert heading in printed.output
    for node in SCENARIOS["abandoned_cart"]["nodes"]:
        assert node["id"] in printed.output
    assert "(live" not in printed.output  # the version that ran: no difference to show
    assert "as they are now" in printed.output  # the notes follow the table
    refused = cli("flows", "forecast", "9999")
    assert refused.exit_code != 0 and "no flow with id 9999" in refused.output


def test_a_forecast_whose_worker_stopped_says_so(client: FlaskClient, admin_headers: dict[str, str], harness,  # noqa: ANN001
                                                 cart: tuple[int, Any]) -> None:
    flow_id, _window = cart
    asked = client.post(f"/api/flows/{flow_id}/forecast", json={"version": 1, "days": 2}, headers=admin_headers)
    with harness.runtime.sessions.begin() as session:  # queued (or running) and untouched for longer than LOST_AFTER
        forecast = session.get(Forecast, asked.json["id"])
        forecast.touched_at -= LOST_AFTER + timedelta(seconds=1)

    shown = client.get(asked.headers["Location"], headers=admin_headers).json

    assert shown["status"] == "failed"
    assert shown["error"] == "The worker running this forecast stopped before it finished: ask for it again."


def test_one_forecast_runs_at_a_time_so_replays_never_hold_back_live_work(
        client: FlaskClient, admin_headers: dict[str, str], harness, cart: tuple[int, Any]) -> None:  # noqa: ANN001
    """A second forecast, of any flow, waits for the first to finish (or its worker to be lost): a replay takes its
    worker for as long as it runs, and in embedded mode that worker is the one applying contacts' events."""
    flow_id, _window = cart
    first = client.post(f"/api/flows/{flow_id}/forecast", json={"version": 1, "days": 2}, headers=admin_headers)
    busy = client.post(f"/api/flows/{flow_id}/forecast", json={"days": 2}, headers=admin_headers)
    assert (first.status_code, busy.status_code) == (202, 409)
    assert busy.json["message"].startswith(f"Forecast {first.json['id']} (of flow {flow_id}) is still queued")

    harness.drain()  # the first is done: another may start
    assert client.post(f"/api/flows/{flow_id}/forecast", json={"days": 2}, headers=admin_headers).status_code == 202
    with harness.runtime.sessions.begin() as session:  # its worker is lost: no longer in the way
        for forecast in session.query(Forecast).filter(Forecast.status == "queued"):
            forecast.touched_at -= LOST_AFTER + timedelta(seconds=1)
    assert client.post(f"/api/flows/{flow_id}/forecast", json={"days": 2}, headers=admin_headers).status_code == 202
