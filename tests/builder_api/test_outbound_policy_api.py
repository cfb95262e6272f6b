"""The canvas learns why a webhook's URL is refused: /api/flows validation and publishing name the URL field by
JSON pointer and say what to do; the allow-list (AUTOMAP_OUTBOUND_ALLOW) lifts the refusal."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from nodes import outbound
from nodes.outbound import STRICT, OutboundPolicy


@pytest.fixture(autouse=True)
def _strict_afterwards() -> Iterator[None]:
    yield
    outbound.configure(STRICT)


def crm_sync(url: str) -> dict[str, Any]:
    return {
        "schema_version": 2,
        "name": "CRM sync",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"event": "signed_up"}},
            {"id": "crm", "type": "webhook", "config": {"url": url}},
            {"id": "done", "type": "exit", "config": {}},
        ],
        "edges": [{"from": "start", "port": "next", "to": "crm"}, {"from": "crm", "port": "next", "to": "done"},
                  {"from": "crm", "port": "failed", "to": "done"}],
    }


def test_a_refused_url_is_shown_on_its_field_and_cannot_be_published(
        client: FlaskClient, admin_headers: dict[str, str]) -> None:
    flow = client.post("/api/flows", json={"name": "CRM sync", "document": crm_sync("http://169.254.169.254/latest/")},
                       headers=admin_headers).json
    [error] = flow["validation"]
    assert (error["node_id"], error["pointer"], error["code"]) == ("crm", "/nodes/1/config/url", "refused_address")
    assert "169.254.169.254 is a link-local address" in error["message"]
    assert "AUTOMAP_OUTBOUND_ALLOW" in error["message"]
    assert client.post(f"/api/flows/{flow['id']}/validate", headers=admin_headers).json["errors"] == [error]
    refused = client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json["errors"][0]["pointer"] == "/nodes/1/config/url"


def test_an_allow_listed_internal_url_publishes(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    outbound.configure(OutboundPolicy.parse(["10.0.0.0/8"]))
    flow = client.post("/api/flows", json={"name": "CRM sync", "document": crm_sync("http://10.1.2.3/hooks/lead")},
                       headers=admin_headers).json
    assert flow["validation"] == []
    assert client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers).status_code == 201
