"""Ids past the tables' 32-bit range, in URLs, query strings and bodies, are refused with a 4xx naming them.

On PostgreSQL such a number overflowed the query's integer parameter (a DataError: a 500); on
SQLite it named nothing. Now a URL id answers 404 before any query, and a body or filter id is
refused by the JSON Schema (`maximum`) with its pointer, so nothing is stored.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder_api.ids import MAX_ID
from tests.builder_api.widget_support import bearer, write_key_auth
from workflow_runtime.storage.models import Flow, Segment

HUGE = [MAX_ID + 1, 2**63, 10**20]


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/flows/{}"), ("put", "/api/flows/{}"), ("post", "/api/flows/{}/publish"),
     ("get", "/api/flows/1/versions/{}"), ("get", "/api/flows/{}/stats"), ("get", "/api/segments/{}"),
     ("get", "/api/segments/{}/preview"), ("delete", "/api/segments/{}"), ("get", "/api/contacts/{}"),
     ("get", "/api/message-templates/{}"), ("post", "/api/message-templates/{}/preview")],
)
def test_an_id_past_the_range_in_a_url_is_a_404(client: FlaskClient, admin_headers: dict[str, str], number: int,
                                                 method: str, path: str) -> None:
    response = getattr(client, method)(path.format(number), json={}, headers=admin_headers)
    assert response.status_code == 404, response.json
    assert f"ids go up to {MAX_ID}" in response.json["message"]


@pytest.mark.parametrize("number", HUGE)
def test_a_widget_message_id_past_the_range_is_a_404(app: Any, client: FlaskClient, number: int) -> None:
    token = client.post("/widget/session", json={"anonymousId": "visitor-1"}, headers=write_key_auth()).json["token"]
    for action, body in (("status", {"status": "read"}), ("replies", {"body": "hello"})):
        response = client.post(f"/widget/messages/{number}/{action}", json=body, headers=bearer(token))
        assert response.status_code == 404, response.json


@pytest.mark.parametrize("number", HUGE)
def test_an_id_past_the_range_in_a_query_is_refused_naming_it(client: FlaskClient, admin_headers: dict[str, str],
                                                              number: int) -> None:
    for path, field in ((f"/api/flows/1/stats?version={number}", "version"),
                        (f"/api/flows/1/nodes/start/contacts?metric=entered&version={number}", "version"),
                        (f"/api/contacts?offset={number}", "offset")):
        response = client.get(path, headers=admin_headers)
        assert response.status_code in (400, 404, 422), (path, response.json)
        if response.status_code != 404:
            assert [error["field"] for error in response.json["errors"]] == [field]


@pytest.mark.parametrize("number", HUGE)
def test_a_segment_id_past_the_range_in_a_filter_is_refused_naming_it(
    client: FlaskClient, admin_headers: dict[str, str], session: Session, number: int
) -> None:
    """The contacts filter and a segment's condition looked the segment up: PostgreSQL failed with a 500."""
    condition = {"any": [{"segment": number, "op": "not_in"}]}
    searched = client.get(f"/api/contacts?filter={quote(json.dumps(condition))}", headers=admin_headers)
    assert searched.status_code == 400, searched.json
    assert [error["pointer"] for error in searched.json["errors"]] == ["/filter/any/0/segment"]

    created = client.post("/api/segments", json={"name": "Ghosts", "filter": condition}, headers=admin_headers)
    assert created.status_code == 422, created.json
    assert [error["pointer"] for error in created.json["errors"]] == ["/filter/any/0/segment"]
    assert session.scalar(select(func.count()).select_from(Segment)) == 0

    counted = {"event": "order_paid", "count": {"op": "gte", "value": number}}
    searched = client.get(f"/api/contacts?filter={quote(json.dumps(counted))}", headers=admin_headers)
    assert searched.status_code == 400, searched.json
    assert [error["pointer"] for error in searched.json["errors"]] == ["/filter/count/value"]


@pytest.mark.parametrize("number", HUGE)
def test_ids_past_the_range_in_a_flow_are_errors_at_their_pointers_and_it_cannot_be_published(
    client: FlaskClient, admin_headers: dict[str, str], session: Session, number: int
) -> None:
    """A send_email node's template_id or a trigger's segment past the range passed validation and was published;
    a run reaching the node then failed its batch on PostgreSQL."""
    document = {
        "schema_version": 2, "name": "Ids",
        "nodes": [{"id": "start", "type": "trigger", "config": {"on": "segment_entered", "segment": number}},
                  {"id": "mail", "type": "send_email", "config": {"template_id": number}},
                  {"id": "end", "type": "exit", "config": {}}],
        "edges": [{"from": "start", "port": "next", "to": "mail"}, {"from": "mail", "port": "next", "to": "end"}],
        "settings": {"frequency_cap": {"max_messages": number, "per": "P1D"}},
    }
    flow = client.post("/api/flows", json={"name": "Ids", "document": document}, headers=admin_headers).json
    checked = client.post(f"/api/flows/{flow['id']}/validate", headers=admin_headers).json
    assert not checked["valid"]
    assert {error["pointer"] for error in checked["errors"]} == {
        "/nodes/0/config/segment", "/nodes/1/config/template_id", "/settings/frequency_cap/max_messages"}
    assert client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers).status_code == 422
    assert session.get(Flow, flow["id"]).live_version_id is None

    enrol = client.post(f"/api/flows/{flow['id']}/enrol", json={"segment_id": number}, headers=admin_headers)
    assert enrol.status_code == 422 and enrol.json["errors"][0]["field"] == "segment_id"
