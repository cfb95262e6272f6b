"""`/api/api-tokens`: a token is shown once when made, works as a bearer token, and is refused once revoked."""
from __future__ import annotations

from flask.testing import FlaskClient


def test_the_token_endpoints_need_credentials(client: FlaskClient) -> None:
    for method, path in [("get", "/api/api-tokens"), ("post", "/api/api-tokens"),
                         ("post", "/api/api-tokens/1/revoke")]:
        assert getattr(client, method)(path, json={"name": "x"}).status_code == 401, (method, path)


def test_a_token_is_shown_once_works_and_is_refused_once_revoked(client: FlaskClient,
                                                                  admin_headers: dict[str, str]) -> None:
    created = client.post("/api/api-tokens", json={"name": "nightly export"}, headers=admin_headers)
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    secret, token = created.json["secret"], created.json["token"]
    assert secret.startswith(token["prefix"]) and token["name"] == "nightly export" and token["revoked_at"] is None
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/flows", headers=bearer).status_code == 200

    listed = client.get("/api/api-tokens", headers=admin_headers)
    assert [item["id"] for item in listed.json["items"]] == [token["id"]]
    assert secret not in listed.get_data(as_text=True)  # shown once: never again

    revoked = client.post(f"/api/api-tokens/{token['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    assert client.get("/api/flows", headers=bearer).status_code == 403
    assert client.get("/api/api-tokens", headers=admin_headers).json["items"][0]["revoked_at"] is not None


def test_bad_input_is_a_4xx_naming_the_field(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    blank = client.post("/api/api-tokens", json={"name": "   "}, headers=admin_headers)
    assert (blank.status_code, blank.json["errors"][0]["pointer"]) == (400, "/name")
    missing = client.post("/api/api-tokens", json={}, headers=admin_headers)
    assert missing.status_code == 422 and missing.json["errors"][0]["pointer"] == "/name"
    unknown = client.post("/api/api-tokens/999/revoke", headers=admin_headers)
    assert (unknown.status_code, unknown.json["message"]) == (404, "There is no API token with id 999.")
