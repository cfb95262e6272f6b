"""/api/flows: drafts, validation, publishing, versions, diff, import/export, duplicate, delete, the list."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.document import canonical
from tests.workflow_runtime.conftest import Harness
from workflow_runtime.storage.models import Channel, Contact, Flow, FlowVersion, Message, NodeCounter, Run, RunStatus

MakeFlow = Callable[..., dict[str, Any]]

START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def count(session: Session, model: type) -> int:
    session.rollback()  # see what the requests committed
    return session.scalar(select(func.count()).select_from(model))


def test_a_draft_is_created_read_updated_and_deleted(
    client: FlaskClient, admin_headers: dict[str, str], cart_document: dict[str, Any]
) -> None:
    created = client.post("/api/flows", json={"name": "Cart", "document": cart_document}, headers=admin_headers)
    assert created.status_code == 201
    flow = created.json
    assert (flow["name"], flow["status"], flow["live_version"], flow["versions"]) == ("Cart", "draft", None, [])
    assert flow["document"]["name"] == "Cart"  # the flow's name and the document's are one
    assert flow["description"] == cart_document["description"]
    assert flow["validation"] == []

    edited = copy.deepcopy(flow["document"])
    edited["nodes"][1]["config"]["timeout"] = "PT2H"
    updated = client.put(f"/api/flows/{flow['id']}", json={"name": "Cart v2", "description": "", "document": edited},
                         headers=admin_headers)
    assert updated.status_code == 200
    assert updated.json["name"] == "Cart v2" and updated.json["description"] == ""
    assert "description" not in updated.json["document"]
    read = client.get(f"/api/flows/{flow['id']}", headers=admin_headers).json
    assert read["document"]["nodes"][1]["config"]["timeout"] == "PT2H"
    assert read["document"]["name"] == "Cart v2"

    assert client.delete(f"/api/flows/{flow['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/flows/{flow['id']}", headers=admin_headers).status_code == 404


def test_a_new_flow_without_a_document_is_an_empty_draft_that_says_what_is_missing(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    flow = client.post("/api/flows", json={"name": "Welcome series"}, headers=admin_headers).json
    assert flow["document"] == canonical({"schema_version": 2, "name": "Welcome series", "nodes": [], "edges": []})
    assert flow["validation"] and all(error["message"] for error in flow["validation"])


def test_an_unfinished_draft_is_saved_with_its_errors_by_node(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    flow = make_flow(cart_document)
    broken = copy.deepcopy(flow["document"])
    broken["nodes"][1]["config"]["timeout"] = "an hour"
    broken["edges"] = broken["edges"][:-1]
    saved = client.put(f"/api/flows/{flow['id']}", json={"document": broken}, headers=admin_headers)
    assert saved.status_code == 200
    assert saved.json["document"] == canonical(broken)
    by_node = {(error["node_id"], error["pointer"]) for error in saved.json["validation"]}
    assert ("wait_for_payment", "/nodes/1/config/timeout") in by_node
    assert {"code", "node_id", "pointer", "message"} == set(saved.json["validation"][0])

    checked = client.post(f"/api/flows/{flow['id']}/validate", headers=admin_headers).json
    assert checked["valid"] is False
    assert checked["errors"] == saved.json["validation"]


def chat_saying(broadcast_document: dict[str, Any], body: str) -> dict[str, Any]:
    """The manual-trigger flow with a chat message saying `body` before its exit, as node "hello" at /nodes/2."""
    document = copy.deepcopy(broadcast_document)
    document["nodes"][2:2] = [{"id": "hello", "type": "send_chat", "config": {"body": body}}]
    document["edges"][1]["to"] = "hello"
    document["edges"].append({"from": "hello", "port": "next", "to": "done"})
    return document


def test_a_message_printing_a_name_with_no_fallback_warns_and_still_publishes(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any]
) -> None:
    flow = make_flow(chat_saying(broadcast_document, "Hi {{ name }}!"))
    expected = {"node_id": "hello", "pointer": "/nodes/2/config/body", "code": "no_fallback", "severity": "warning"}
    assert [{key: problem[key] for key in expected} for problem in flow["validation"]] == [expected]
    assert 'default("there")' in flow["validation"][0]["message"]

    checked = client.post(f"/api/flows/{flow['id']}/validate", headers=admin_headers).json
    assert checked == {"valid": True, "errors": flow["validation"]}
    published = client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers)
    assert published.status_code == 201 and published.json["version"] == 1

    fixed = make_flow(chat_saying(broadcast_document, 'Hi {{ name | default("there") }}!'))
    assert fixed["validation"] == []


def test_errors_come_before_warnings_and_alone_stop_publishing(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any]
) -> None:
    document = chat_saying(broadcast_document, "Hi {{ name }}!")
    document["nodes"].append({"id": "island", "type": "exit", "config": {}})
    flow = make_flow(document)
    assert [(problem["node_id"], problem.get("severity")) for problem in flow["validation"]] == [
        ("island", None), ("hello", "warning")
    ]
    checked = client.post(f"/api/flows/{flow['id']}/validate", headers=admin_headers).json
    assert checked == {"valid": False, "errors": flow["validation"]}
    refused = client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers)
    assert refused.status_code == 422
    assert [error["node_id"] for error in refused.json["errors"]] == ["island"]


def test_a_document_not_shaped_like_a_flow_is_refused_and_the_draft_kept(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    flow = make_flow(cart_document)
    refused = client.put(f"/api/flows/{flow['id']}", json={"name": "Renamed", "document": {"nodes": "start", "edges": [1]}},
                         headers=admin_headers)
    assert refused.status_code == 422
    assert {(error["field"], error["pointer"]) for error in refused.json["errors"]} == {
        ("document", "/nodes"), ("document", "/edges/0")
    }
    kept = client.get(f"/api/flows/{flow['id']}", headers=admin_headers).json
    assert kept["name"] == flow["name"] and kept["document"] == flow["document"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"name": "Cart", "document": []}, {"document"}),
        ({"name": 7, "description": 8}, {"name", "description"}),
    ],
)
def test_bad_create_payloads_name_their_fields(
    client: FlaskClient, admin_headers: dict[str, str], session: Session, payload: dict[str, Any], fields: set[str]
) -> None:
    response = client.post("/api/flows", json=payload, headers=admin_headers)
    assert response.status_code == 422
    assert {error["field"] for error in response.json["errors"]} == fields
    assert count(session, Flow) == 0


def test_a_draft_update_needs_a_document(client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow,
                                         cart_document: dict[str, Any]) -> None:
    flow = make_flow(cart_document)
    response = client.put(f"/api/flows/{flow['id']}", json={"name": "Only a name"}, headers=admin_headers)
    assert response.status_code == 422
    assert [error["field"] for error in response.json["errors"]] == ["document"]
    assert client.put(f"/api/flows/{flow['id']}", data="not json", headers=admin_headers,
                      content_type="application/json").status_code == 400


@pytest.mark.parametrize("flow_id", [999, 2**31, 10**30])
def test_unknown_flows_are_404_everywhere(client: FlaskClient, admin_headers: dict[str, str], flow_id: int) -> None:
    requests = [
        ("get", ""), ("put", ""), ("patch", ""), ("delete", ""), ("post", "/validate"), ("post", "/publish"),
        ("post", "/pause"), ("post", "/resume"), ("post", "/archive"), ("get", "/versions"), ("get", "/versions/1"),
        ("get", "/diff?from=1&to=draft"), ("get", "/export"), ("post", "/duplicate"), ("post", "/enrol"),
    ]
    bodies = {"put": {"document": {"nodes": []}}, "patch": {"name": "Renamed"}, "post": {"contact_ids": [1]}}
    for method, suffix in requests:
        json_body = bodies.get(method) if suffix in ("", "/enrol") else None
        response = getattr(client, method)(f"/api/flows/{flow_id}{suffix}", json=json_body, headers=admin_headers)
        assert response.status_code == 404, (method, suffix, response.json)
        assert str(flow_id) in response.json["message"]


def test_publishing_an_invalid_draft_is_refused_with_every_error_and_stores_nothing(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any],
    session: Session,
) -> None:
    broken = copy.deepcopy(cart_document)
    broken["nodes"][1]["config"]["timeout"] = "soon"
    broken["nodes"].append({"id": "island", "type": "exit", "config": {}})
    flow = make_flow(broken)
    refused = client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers)
    assert refused.status_code == 422
    located = {(error["node_id"], error["code"]) for error in refused.json["errors"]}
    assert ("wait_for_payment", "duration") in located or ("wait_for_payment", "schema") in located
    assert ("island", "unreachable") in located
    assert all(error["pointer"].startswith("/nodes/") for error in refused.json["errors"])
    assert count(session, FlowVersion) == 0
    assert client.get(f"/api/flows/{flow['id']}", headers=admin_headers).json["status"] == "draft"


def test_publishing_refuses_a_message_template_that_does_not_exist(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(broadcast_document)
    document["nodes"][2:2] = [{"id": "mail", "type": "send_email", "config": {"template_id": 4242}}]
    document["edges"][1]["to"] = "mail"
    document["edges"].append({"from": "mail", "port": "next", "to": "done"})
    flow = make_flow(document)
    assert [error["node_id"] for error in flow["validation"]] == ["mail"]
    refused = client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["pointer"] == "/nodes/2/config/template_id"
    assert "4242" in refused.json["errors"][0]["message"]


def test_publishing_makes_immutable_numbered_versions(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    flow = make_flow(cart_document)
    first = client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers)
    assert first.status_code == 201 and first.json["version"] == 1
    edited = copy.deepcopy(flow["document"])
    edited["nodes"][1]["config"]["timeout"] = "PT3H"
    client.put(f"/api/flows/{flow['id']}", json={"document": edited}, headers=admin_headers)
    assert client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers).json["version"] == 2

    read = client.get(f"/api/flows/{flow['id']}", headers=admin_headers).json
    assert (read["status"], read["live_version"]) == ("live", 2)
    versions = client.get(f"/api/flows/{flow['id']}/versions", headers=admin_headers).json["versions"]
    assert [version["number"] for version in versions] == [1, 2] == [v["number"] for v in read["versions"]]
    one = client.get(f"/api/flows/{flow['id']}/versions/1", headers=admin_headers).json
    assert one["document"]["nodes"][1]["config"]["timeout"] == "PT1H"
    assert client.get(f"/api/flows/{flow['id']}/versions/3", headers=admin_headers).status_code == 404


def test_the_diff_of_two_versions_names_nodes_edges_and_settings_by_pointer(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    flow = make_flow(cart_document, publish=True)
    edited = copy.deepcopy(flow["document"])
    edited["nodes"][1]["config"]["timeout"] = "PT2H"
    removed = edited["nodes"].pop(2)  # "paid", an exit
    edited["nodes"].append({"id": "thanks", "type": "exit", "config": {"reason": "Paid"}})
    edited["edges"] = [edge if edge["to"] != removed["id"] else {**edge, "to": "thanks"} for edge in edited["edges"]]
    edited["settings"]["goal"]["within"] = "P14D"
    client.put(f"/api/flows/{flow['id']}", json={"document": edited}, headers=admin_headers)

    to_draft = client.get(f"/api/flows/{flow['id']}/diff?from=1&to=draft", headers=admin_headers)
    assert to_draft.status_code == 200
    client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers)
    diff = client.get(f"/api/flows/{flow['id']}/diff?from=1&to=2", headers=admin_headers).json
    assert {key: value for key, value in to_draft.json.items() if key != "to"} == {
        key: value for key, value in diff.items() if key != "to"
    }
    assert (diff["from"], diff["to"]) == ("1", "2")
    assert diff["nodes"]["added"] == [{"id": "thanks", "type": "exit", "pointer": f"/nodes/{len(edited['nodes']) - 1}"}]
    assert diff["nodes"]["removed"] == [{"id": "paid", "type": "exit", "pointer": "/nodes/2"}]
    assert diff["nodes"]["changed"] == [{
        "id": "wait_for_payment", "type": "wait_for_event", "pointer": "/nodes/1",
        "changes": [{"op": "changed", "pointer": "/nodes/1/config/timeout", "from": "PT1H", "to": "PT2H"}],
    }]
    assert diff["edges"] == {
        "added": [{"from": "wait_for_payment", "port": "event", "to": "thanks"}],
        "removed": [{"from": "wait_for_payment", "port": "event", "to": "paid"}],
    }
    assert diff["settings"] == [{"op": "changed", "pointer": "/settings/goal/within", "from": "P7D", "to": "P14D"}]
    same = client.get(f"/api/flows/{flow['id']}/diff?from=2&to=2", headers=admin_headers).json
    assert same["nodes"] == {"added": [], "removed": [], "changed": []} and same["settings"] == []


def test_diff_arguments_are_checked(client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow,
                                    cart_document: dict[str, Any]) -> None:
    flow = make_flow(cart_document, publish=True)
    bad = client.get(f"/api/flows/{flow['id']}/diff?from=first&to=draft", headers=admin_headers)
    assert bad.status_code == 422 and [e["field"] for e in bad.json["errors"]] == ["from"]
    missing = client.get(f"/api/flows/{flow['id']}/diff?from=1", headers=admin_headers)
    assert missing.status_code == 422 and [e["field"] for e in missing.json["errors"]] == ["to"]
    unknown = client.get(f"/api/flows/{flow['id']}/diff?from=1&to=9", headers=admin_headers)
    assert unknown.status_code == 404 and "version 9" in unknown.json["message"]


def test_export_downloads_the_document_and_import_makes_a_new_draft_of_it(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    flow = make_flow(cart_document, publish=True)
    exported = client.get(f"/api/flows/{flow['id']}/export", headers=admin_headers)
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == 'attachment; filename="abandoned_cart.json"'
    assert exported.json == canonical(cart_document)
    version = client.get(f"/api/flows/{flow['id']}/export?version=1", headers=admin_headers)
    assert version.headers["Content-Disposition"] == 'attachment; filename="abandoned_cart-v1.json"'
    assert client.get(f"/api/flows/{flow['id']}/export?version=2", headers=admin_headers).status_code == 404
    assert client.get(f"/api/flows/{flow['id']}/export?version=x", headers=admin_headers).status_code == 422

    imported = client.post("/api/flows/import", data=exported.data, content_type="application/json",
                           headers=admin_headers)
    assert imported.status_code == 201
    assert imported.json["id"] != flow["id"] and imported.json["status"] == "draft"
    # The same map under a name of its own: the flow it came from still has its name.
    assert imported.json["name"] == imported.json["document"]["name"] == "Abandoned cart (2)"
    assert imported.json["document"] == {**exported.json, "name": "Abandoned cart (2)"}


def test_importing_a_name_that_is_taken_numbers_it_after_the_first_free_number(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    def imported(document: dict[str, Any]) -> str:
        response = client.post("/api/flows/import", json=document, headers=admin_headers)
        assert response.status_code == 201, response.json
        return response.json["name"]

    assert [imported(cart_document) for _ in range(3)] == ["Abandoned cart", "Abandoned cart (2)", "Abandoned cart (3)"]
    second = next(flow for flow in client.get("/api/flows", headers=admin_headers).json["flows"]
                  if flow["name"] == "Abandoned cart (2)")
    assert client.delete(f"/api/flows/{second['id']}", headers=admin_headers).status_code == 204
    assert imported(cart_document) == "Abandoned cart (2)"  # the first free number, freed by the deletion
    # The export of a copy counts on from the first flow's number, not "Abandoned cart (3) (2)".
    assert imported({**cart_document, "name": "Abandoned cart (3)"}) == "Abandoned cart (4)"
    # A numbered name no flow is the copy of is a name of its own.
    assert [imported({**cart_document, "name": "Sale (2024)"}) for _ in range(2)] == ["Sale (2024)", "Sale (2024) (2)"]


def test_import_upgrades_an_old_document_and_refuses_an_invalid_one(
    client: FlaskClient, admin_headers: dict[str, str], cart_document: dict[str, Any], session: Session
) -> None:
    old = copy.deepcopy(cart_document)
    del old["schema_version"]  # version 1: edges from single-port nodes named no port
    for edge in old["edges"]:
        if edge["from"] == "cart_updated":
            del edge["port"]
    upgraded = client.post("/api/flows/import", json=old, headers=admin_headers)
    assert upgraded.status_code == 201
    assert upgraded.json["document"] == canonical(cart_document)

    invalid = copy.deepcopy(cart_document)
    invalid["nodes"][0]["type"] = "teleport"
    refused = client.post("/api/flows/import", json=invalid, headers=admin_headers)
    assert refused.status_code == 422
    assert {(error["node_id"], error["pointer"], error["code"]) for error in refused.json["errors"]} == {
        (None, "/nodes", "no_trigger"), ("cart_updated", "/nodes/0/type", "unknown_node_type")
    }
    assert client.post("/api/flows/import", json=[1, 2], headers=admin_headers).status_code == 422
    assert count(session, Flow) == 1


def test_duplicate_copies_the_draft_into_a_new_draft_numbered_after_it(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    flow = make_flow(cart_document, publish=True)
    copied = client.post(f"/api/flows/{flow['id']}/duplicate", headers=admin_headers)
    assert copied.status_code == 201
    assert copied.json["name"] == copied.json["document"]["name"] == "Abandoned cart (2)"
    assert (copied.json["status"], copied.json["versions"]) == ("draft", [])
    assert {**copied.json["document"], "name": flow["name"]} == flow["document"]

    again = client.post(f"/api/flows/{flow['id']}/duplicate", headers=admin_headers).json
    of_the_copy = client.post(f"/api/flows/{copied.json['id']}/duplicate", headers=admin_headers).json
    assert (again["name"], of_the_copy["name"]) == ("Abandoned cart (3)", "Abandoned cart (4)")


def test_renaming_changes_the_name_and_description_and_leaves_the_map_and_versions(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any]
) -> None:
    flow = make_flow(cart_document, publish=True)
    renamed = client.patch(f"/api/flows/{flow['id']}", json={"name": "Cart rescue"}, headers=admin_headers)
    assert renamed.status_code == 200
    assert renamed.json["name"] == renamed.json["document"]["name"] == "Cart rescue"
    assert renamed.json["description"] == flow["description"]
    assert {**renamed.json["document"], "name": flow["name"]} == flow["document"]
    assert (renamed.json["status"], renamed.json["live_version"]) == ("live", 1)
    published = client.get(f"/api/flows/{flow['id']}/versions/1", headers=admin_headers).json["document"]
    assert published["name"] == "Abandoned cart"  # a published version is never changed

    described = client.patch(f"/api/flows/{flow['id']}", json={"description": ""}, headers=admin_headers).json
    assert (described["name"], described["description"]) == ("Cart rescue", "")
    assert "description" not in described["document"]
    listed = client.get("/api/flows?q=rescue", headers=admin_headers).json["flows"]
    assert [(row["id"], row["name"]) for row in listed] == [(flow["id"], "Cart rescue")]

    for payload in ({"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"name": 7}):
        refused = client.patch(f"/api/flows/{flow['id']}", json=payload, headers=admin_headers)
        assert refused.status_code == 422 and [error["field"] for error in refused.json["errors"]] == ["name"]
    assert client.get(f"/api/flows/{flow['id']}", headers=admin_headers).json["name"] == "Cart rescue"


def test_a_running_flow_must_be_archived_before_it_is_deleted(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any],
    session: Session,
) -> None:
    flow = make_flow(cart_document, publish=True)
    version_id = session.scalar(select(FlowVersion.id).where(FlowVersion.flow_id == flow["id"]))
    contact = Contact(email="ada@example.com")
    session.add(contact)
    session.flush()
    run = Run(flow_id=flow["id"], flow_version_id=version_id, contact_id=contact.id, status=RunStatus.COMPLETED,
              node_id="cart_updated", path=[["cart_updated", None]], entered_at=START)
    session.add(run)
    session.flush()
    session.add(Message(idempotency_key="sent-once", contact_id=contact.id, run_id=run.id, flow_version_id=version_id,
                        node_id="reminder", channel=Channel.EMAIL, content={}, created_at=START, updated_at=START))
    session.commit()
    refused = client.delete(f"/api/flows/{flow['id']}", headers=admin_headers)
    assert refused.status_code == 409 and "archive it" in refused.json["message"]
    assert count(session, FlowVersion) == 1
    assert client.post(f"/api/flows/{flow['id']}/archive", headers=admin_headers).json["status"] == "archived"
    assert client.delete(f"/api/flows/{flow['id']}", headers=admin_headers).status_code == 204
    assert (count(session, Flow), count(session, FlowVersion), count(session, Run)) == (0, 0, 0)
    # The contact's message history stays, no longer linked to the deleted flow's run and version.
    assert session.execute(select(Message.run_id, Message.flow_version_id)).all() == [(None, None)]


def test_the_list_filters_and_totals_the_trigger_nodes_over_every_version(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, cart_document: dict[str, Any],
    broadcast_document: dict[str, Any], session: Session,
) -> None:
    cart = make_flow(cart_document, publish=True)
    client.post(f"/api/flows/{cart['id']}/publish", headers=admin_headers)
    broadcast = make_flow(broadcast_document)
    v1, v2 = session.scalars(select(FlowVersion.id).where(FlowVersion.flow_id == cart["id"]).order_by(FlowVersion.number))
    rows = [  # (version, node, metric, day, count, amount); only the trigger's rows are the flow's totals
        (v1, "cart_updated", "entered", date(2026, 3, 1), 10, 0),
        (v1, "cart_updated", "entered", date(2026, 3, 2), 5, 0),
        (v1, "cart_updated", "converted", date(2026, 3, 2), 3, Decimal("120.50")),
        (v1, "wait_for_payment", "entered", date(2026, 3, 1), 15, 0),
        (v1, "wait_for_payment", "converted", date(2026, 3, 2), 3, Decimal("120.50")),
        (v2, "cart_updated", "entered", date(2026, 3, 3), 4, 0),
        (v2, "cart_updated", "converted", date(2026, 3, 3), 1, Decimal("9.50")),
        (v2, "cart_updated", "left:next", date(2026, 3, 3), 4, 0),
        # waiting is a gauge kept as daily deltas: 15 - 9 + 2 wait now
        (v1, "wait_for_payment", "waiting", date(2026, 3, 1), 15, 0),
        (v1, "wait_for_payment", "waiting", date(2026, 3, 2), -9, 0),
        (v2, "wait_for_payment", "waiting", date(2026, 3, 3), 2, 0),
    ]
    session.add_all(NodeCounter(flow_version_id=version, node_id=node, metric=metric, day=day, count=n, amount=amount)
                    for version, node, metric, day, n, amount in rows)
    session.commit()

    listed = {flow["id"]: flow for flow in client.get("/api/flows", headers=admin_headers).json["flows"]}
    assert {key: listed[cart["id"]][key] for key in ("status", "live_version", "node_count", "entered", "waiting",
                                                     "converted", "revenue")} == {
        "status": "live", "live_version": 2, "node_count": len(cart_document["nodes"]), "entered": 19, "waiting": 8,
        "converted": 4, "revenue": 130.0,
    }
    assert {key: listed[broadcast["id"]][key] for key in ("entered", "waiting", "live_version")} == {
        "entered": 0, "waiting": 0, "live_version": None}

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/flows{query}", headers=admin_headers)
        assert response.status_code == 200
        return [flow["id"] for flow in response.json["flows"]]

    assert ids("?status=live") == [cart["id"]]
    assert ids("?status=draft") == [broadcast["id"]]
    assert ids("?q=WEBINAR") == [broadcast["id"]]
    assert ids("?q=%25") == []  # a LIKE wildcard is searched for literally
    bad = client.get("/api/flows?status=running", headers=admin_headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "status"
    json.dumps(listed)


def test_the_list_counts_the_runs_waiting_in_a_flow_until_archiving_ends_them(
    client: FlaskClient, admin_headers: dict[str, str], make_flow: MakeFlow, broadcast_document: dict[str, Any],
    harness: Harness,
) -> None:
    flow = make_flow(broadcast_document, publish=True)
    harness.broadcast(flow["id"], contact_ids=[harness.contact() for _ in range(3)])  # they wait a day at "later"

    def waiting() -> int:
        listed = client.get("/api/flows", headers=admin_headers).json["flows"]
        return next(row["waiting"] for row in listed if row["id"] == flow["id"])

    assert waiting() == 3
    assert client.post(f"/api/flows/{flow['id']}/pause", headers=admin_headers).status_code == 200
    assert waiting() == 3  # a paused flow holds its runs
    assert client.post(f"/api/flows/{flow['id']}/archive", headers=admin_headers).status_code == 200
    assert waiting() == 0
    assert [run.status for run in harness.runs(flow["id"])] == [RunStatus.EXITED] * 3
