"""The HTTP surface the foundation ships: health, and the node catalogue behind the admin token."""
from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from nodes import registry


def test_healthz_reports_the_backends(client: FlaskClient, app: Flask) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == app.config["AUTOMAP"].database_backend


def test_the_admin_api_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/api/node-types")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json["message"]


def test_a_wrong_token_is_forbidden(client: FlaskClient) -> None:
    for header in ("Bearer nope", "Bearer test-admin-token-and-more", "Basic dGVzdDp0ZXN0"):
        response = client.get("/api/node-types", headers={"Authorization": header})
        assert response.status_code in (401, 403), header
        assert response.is_json


def test_node_types_serve_the_whole_catalogue(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/node-types", headers=admin_headers)
    assert response.status_code == 200
    served = response.json["node_types"]
    assert [t["type"] for t in served] == [t.type for t in registry.all_types()]
    by_type = {t["type"]: t for t in served}
    assert by_type["wait_for_event"]["ports"] == ["event", "timeout"]
    assert by_type["condition"]["ports"] == ["yes", "no"]
    assert by_type["split"]["port_source"] == {"list": "variants", "id": "id", "label": "label"}
    assert by_type["wait_for_event"]["port_labels"] == {"event": "Event came", "timeout": "Timed out"}
    assert by_type["trigger"]["is_entry"] is True
    assert by_type["exit"]["ports"] == []
    # The response schema (NodeTypeInfo) serves every key a node type declares, none dropped.
    assert all(set(by_type[t.type]) == set(t.describe()) for t in registry.all_types())
    json.dumps(served)


def test_unknown_paths_answer_json_404(client: FlaskClient) -> None:
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.json["status"] == 404


def test_every_config_ref_resolves_within_the_response(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    body = client.get("/api/node-types", headers=admin_headers).json
    served_ids = set(body["schemas"])

    def refs(value: object) -> list[str]:
        if isinstance(value, dict):
            own = [value["$ref"]] if "$ref" in value else []
            return own + [r for v in value.values() for r in refs(v)]
        if isinstance(value, list):
            return [r for v in value for r in refs(v)]
        return []

    all_refs = refs([t["config_schema"] for t in body["node_types"]])
    assert all_refs, "config schemas share definitions by $ref"
    assert {ref.split("#")[0] for ref in all_refs if not ref.startswith("#")} <= served_ids


def test_the_openapi_document_describes_the_api(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/node-types" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert client.get("/api/docs").status_code == 200
