"""`GET /api/flows/<id>/stats` and the contacts behind a number, over runs the real runtime made."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from builder_api.stats.schemas import FlowStats
from tests.workflow_runtime.runtime_support import document, track_all
from workflow_runtime.authoring import flow_store
from workflow_runtime.channels.messages import record_status
from workflow_runtime.storage.models import Message, MessageStatus

AB = document(
    "Welcome A/B",
    {
        "start": ("trigger", {"event": "signed_up"}),
        "ab": ("split", {"variants": [{"id": "a", "weight": 50}, {"id": "b", "weight": 50}]}),
        "email_a": ("send_email", {"subject": "Welcome", "body": "<mjml>link</mjml>"}),
        "email_b": ("send_email", {"subject": "Welcome", "body": "<mjml>button</mjml>"}),
        "day": ("wait", {"duration": "P1D"}),
        "done": ("exit", {"reason": "welcomed"}),
    },
    [("start", "next", "ab"), ("ab", "a", "email_a"), ("ab", "b", "email_b"),
     ("email_a", "next", "day"), ("email_b", "next", "day"), ("day", "next", "done")],
    goal={"event": "went_to_service", "within": "P7D", "revenue_property": "amount"},
)


@pytest.fixture
def flow(harness):  # noqa: ANN001, ANN201 - the Harness fixture
    """12 sign-ups; the first three convert (amount 20) on day 0 and one clicks its email; the rest wait a day."""
    flow_id = harness.publish(AB)
    contacts = [harness.contact(email=f"c{i}@example.com", name=f"Contact {i}") for i in range(12)]
    track_all(harness, contacts, "signed_up")
    with harness.runtime.sessions.begin() as session:
        message = session.scalars(select(Message).where(Message.contact_id == contacts[0])).one()
        record_status(session, message, MessageStatus.CLICKED, harness.clock.now())
    track_all(harness, contacts[:3], "went_to_service", {"amount": 20})
    return flow_id, contacts


def test_the_stats_of_every_version(client: FlaskClient, admin_headers: dict, flow) -> None:  # noqa: ANN001
    flow_id, _contacts = flow
    response = client.get(f"/api/flows/{flow_id}/stats", headers=admin_headers)
    assert response.status_code == 200, response.json
    body = response.json
    FlowStats().load(body)  # the view sends the runtime's JSON as it is: it must be what the schema documents
    assert (body["flow_id"], body["version"], body["shown_version"], body["from"], body["to"]) == (
        flow_id, None, 1, None, None)
    assert [(v["number"], v["live"], v["entered"], v["waiting"]) for v in body["versions"]] == [(1, True, 12, 9)]
    assert body["totals"] == {"entered": 12, "converted": 3, "conversion_rate": 0.25, "revenue": 60.0}
    assert set(body["nodes"]) == {"start", "ab", "email_a", "email_b", "day", "done"}
    assert body["nodes"]["day"]["waiting"] == 9
    assert body["nodes"]["day"]["exited"] == 3
    assert body["nodes"]["day"]["exited_by"] == {"goal": 3, "exit_rule": 0, "archived": 0, "moved": 0, "operator": 0,
                                                 "unrecorded": 0}
    assert sum(body["nodes"]["ab"]["left"].values()) == 12
    emails = [body["nodes"][node]["channels"] for node in ("email_a", "email_b")]
    assert [set(channels) for channels in emails] == [{"email"}, {"email"}]
    assert sum(channels["email"]["sent"] for channels in emails) == 12
    # no SMTP server: every email waits, but the one whose click was recorded (a click says it arrived)
    assert sum(channels["email"]["queued"] for channels in emails) == 11
    assert body["email_configured"] is False
    assert [v["port"] for v in body["nodes"]["ab"]["variants"]] == ["a", "b"]
    assert body["series"] == [{"day": "2026-03-02", "entered": 12, "converted": 3, "revenue": 60.0}]

    ranged = client.get(f"/api/flows/{flow_id}/stats?version=1&from=2026-03-03&to=2026-03-09", headers=admin_headers).json
    FlowStats().load(ranged)
    assert (ranged["from"], ranged["to"]) == ("2026-03-03", "2026-03-09")
    assert ranged["totals"]["entered"] == 0 and ranged["series"] == []
    assert ranged["nodes"]["day"]["waiting"] == 9, "the gauge at the range's end, not a sum over it"


def test_a_flow_never_published_has_empty_stats(client: FlaskClient, admin_headers: dict, harness) -> None:  # noqa: ANN001
    with harness.runtime.sessions.begin() as session:
        flow_id = flow_store.import_flow(session, AB).id
    body = client.get(f"/api/flows/{flow_id}/stats", headers=admin_headers).json
    FlowStats().load(body)
    assert body["version"] is None and body["nodes"] == {} and body["totals"]["entered"] == 0
    response = client.get(f"/api/flows/{flow_id}/nodes/start/contacts?metric=entered", headers=admin_headers)
    assert response.status_code == 404
    assert "no published version" in response.json["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-09&to=2026-03-01", "to"),
        ("version=0", "version"),
        ("version=first", "version"),
        ("version=99999999999999999999", "version"),
    ],
)
def test_bad_query_strings_are_400_naming_the_field(client: FlaskClient, admin_headers: dict, flow, query: str,
                                                    field: str) -> None:  # noqa: ANN001
    flow_id, _contacts = flow
    response = client.get(f"/api/flows/{flow_id}/stats?{query}", headers=admin_headers)
    assert response.status_code == 400
    assert [error["field"] for error in response.json["errors"]] == [field]


def test_unknown_flows_and_versions_are_404(client: FlaskClient, admin_headers: dict, flow) -> None:  # noqa: ANN001
    flow_id, _contacts = flow
    missing_flow = client.get(f"/api/flows/{flow_id + 100}/stats", headers=admin_headers)
    assert missing_flow.status_code == 404 and f"flow with id {flow_id + 100}" in missing_flow.json["message"]
    missing_version = client.get(f"/api/flows/{flow_id}/stats?version=7", headers=admin_headers)
    assert missing_version.status_code == 404 and "no version 7" in missing_version.json["message"]
    drill = client.get(f"/api/flows/{flow_id}/nodes/start/contacts?metric=entered&version=7", headers=admin_headers)
    assert drill.status_code == 404
    assert client.get("/api/flows/99999999999999999999/stats", headers=admin_headers).status_code == 404


def test_the_contacts_behind_each_number(client: FlaskClient, admin_headers: dict, flow, harness) -> None:  # noqa: ANN001
    flow_id, contacts = flow

    def who(node: str, metric: str, **params: object) -> dict:
        query = "&".join(f"{key}={value}" for key, value in {"metric": metric, **params}.items())
        response = client.get(f"/api/flows/{flow_id}/nodes/{node}/contacts?{query}", headers=admin_headers)
        assert response.status_code == 200, response.json
        return response.json

    entered = who("start", "entered")
    assert entered["total"] == 12
    assert sorted(c["id"] for c in entered["contacts"]) == sorted(contacts)
    assert {c["email"] for c in entered["contacts"]} == {f"c{i}@example.com" for i in range(12)}
    converted = who("day", "converted")
    assert sorted(c["id"] for c in converted["contacts"]) == sorted(contacts[:3])
    assert all(c["at"].startswith("2026-03-02T10:00:00") for c in converted["contacts"])
    assert sorted(c["id"] for c in who("day", "waiting")["contacts"]) == sorted(contacts[3:])
    assert sorted(c["id"] for c in who("day", "exited")["contacts"]) == sorted(contacts[:3])
    assert sorted(c["id"] for c in who("day", "exited:goal")["contacts"]) == sorted(contacts[:3])
    assert who("day", "exited:exit_rule")["total"] == 0

    stats = client.get(f"/api/flows/{flow_id}/stats", headers=admin_headers).json
    for port, count in stats["nodes"]["ab"]["left"].items():
        assert who("ab", f"left:{port}")["total"] == count
    clicker = next(node for node in ("email_a", "email_b") if stats["nodes"][node]["channels"]["email"]["clicked"])
    assert [c["id"] for c in who(clicker, "email:clicked")["contacts"]] == [contacts[0]]
    assert [c["id"] for c in who(clicker, "email:read")["contacts"]] == [contacts[0]]
    assert who(clicker, "email:sent")["total"] == stats["nodes"][clicker]["channels"]["email"]["sent"]
    # clicking implies it was delivered: the clicker's email left the queue, the others wait in it
    queued = who(clicker, "email:queued")
    assert queued["total"] == stats["nodes"][clicker]["channels"]["email"]["queued"]
    assert contacts[0] not in [c["id"] for c in queued["contacts"]]

    first, second = who("start", "entered", limit=5), who("start", "entered", limit=5, offset=5)
    assert first["total"] == second["total"] == 12 and len(first["contacts"]) == len(second["contacts"]) == 5
    assert not {c["id"] for c in first["contacts"]} & {c["id"] for c in second["contacts"]}

    harness.advance(timedelta(days=1))
    assert who("done", "completed", version=1)["total"] == 9
    assert who("day", "waiting")["total"] == 0


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("nodes/nowhere/contacts?metric=entered", 404, None),
        ("nodes/start/contacts?metric=bogus", 400, "metric"),
        ("nodes/day/contacts?metric=email:read", 400, "metric"),
        ("nodes/email_a/contacts?metric=read", 400, "metric"),
        ("nodes/email_a/contacts?metric=popup:read", 400, "metric"),
        ("nodes/ab/contacts?metric=left:c", 400, "metric"),
        ("nodes/start/contacts", 400, "metric"),
        ("nodes/start/contacts?metric=entered&limit=0", 400, "limit"),
        ("nodes/start/contacts?metric=entered&offset=-1", 400, "offset"),
    ],
)
def test_drill_down_refuses_what_it_cannot_list(client: FlaskClient, admin_headers: dict, flow, path: str,
                                                status: int, field: str | None) -> None:  # noqa: ANN001
    flow_id, _contacts = flow
    response = client.get(f"/api/flows/{flow_id}/{path}", headers=admin_headers)
    assert response.status_code == status, response.json
    if field:
        assert [error["field"] for error in response.json["errors"]] == [field]
        assert response.json["message"]


@pytest.mark.parametrize("path", ["/api/flows/1/stats", "/api/flows/1/nodes/start/contacts?metric=entered"])
def test_stats_need_the_admin_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403


def test_the_openapi_document_describes_the_stats(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    assert "/api/flows/{flow_id}/stats" in paths
    assert "/api/flows/{flow_id}/nodes/{node_id}/contacts" in paths


def test_a_node_named_like_a_port_lists_only_its_own_contacts(client: FlaskClient, admin_headers: dict,
                                                             harness) -> None:  # noqa: ANN001
    flow_id = harness.publish(document(
        "Ports and names",
        {"start": ("trigger", {"event": "signed_up"}),
         "ab": ("split", {"variants": [{"id": "a", "weight": 50}, {"id": "b", "weight": 50}]}),
         "b": ("send_chat", {"body": "Hi"}), "end_b": ("exit", {}), "end_a": ("exit", {})},
        [("start", "next", "ab"), ("ab", "a", "b"), ("ab", "b", "end_a"), ("b", "next", "end_b")],
    ))
    contacts = [harness.contact(email=f"p{i}@example.com") for i in range(12)]
    track_all(harness, contacts, "signed_up")
    stats = client.get(f"/api/flows/{flow_id}/stats", headers=admin_headers).json
    assert 0 < stats["nodes"]["b"]["entered"] < 12
    for node, metric in (("b", "entered"), ("ab", "left:b"), ("ab", "left:a")):
        listed = client.get(f"/api/flows/{flow_id}/nodes/{node}/contacts?metric={metric}", headers=admin_headers).json
        expected = stats["nodes"][node]["entered"] if metric == "entered" else stats["nodes"][node]["left"][metric[5:]]
        assert listed["total"] == expected, (node, metric)
