"""Who may call /api: bearer tokens (admin or `automap tokens create`), or a login session with CSRF."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from click.testing import Result
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builder_api.conftest import PASSWORD
from workflow_runtime.storage.models import ApiToken, Flow, User


def flow_count(session: Session) -> int:
    session.rollback()  # see what other transactions committed
    return session.scalar(select(func.count()).select_from(Flow))


def test_every_api_route_needs_credentials(client: FlaskClient) -> None:
    for method, path in [("get", "/api/flows"), ("post", "/api/flows"), ("get", "/api/flows/1"),
                         ("get", "/api/scenarios"), ("post", "/api/scenarios/abandoned_cart/import")]:
        response = getattr(client, method)(path, json={})
        assert response.status_code == 401, (method, path)
        assert "Authorization: Bearer" in response.json["message"]
        assert "POST /api/session" in response.json["message"]


def test_the_document_and_login_need_none(client: FlaskClient) -> None:
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/session").status_code == 401  # nobody logged in: an answer, not a refusal


def test_a_wrong_bearer_token_is_forbidden_and_other_schemes_unauthorised(client: FlaskClient) -> None:
    assert client.get("/api/flows", headers={"Authorization": "Bearer not-a-token"}).status_code == 403
    assert client.get("/api/flows", headers={"Authorization": "Basic dGVzdDp0ZXN0"}).status_code == 401
    assert client.get("/api/flows", headers={"Authorization": "Bearer "}).status_code == 401


def test_api_tokens_work_until_revoked_and_only_their_hash_is_kept(
    client: FlaskClient, cli: Callable[..., Result], session: Session
) -> None:
    created = cli("tokens", "create", "--name", "nightly export")
    assert created.exit_code == 0, created.output
    token = re.search(r"^(am_\S+)$", created.output, re.MULTILINE).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/flows", headers=headers).status_code == 200

    stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.token_hash, stored.prefix} and token.startswith(stored.prefix)
    listed = cli("tokens", "list")
    assert "nightly export" in listed.output and token not in listed.output

    assert cli("tokens", "revoke", str(stored.id)).exit_code == 0
    refused = client.get("/api/flows", headers=headers)
    assert refused.status_code == 403
    assert "revoked" in refused.json["message"]
    assert cli("tokens", "revoke", "999").exit_code != 0


def test_a_token_needs_a_name(cli: Callable[..., Result]) -> None:
    result = cli("tokens", "create", "--name", "  ")
    assert result.exit_code == 2
    assert "name" in result.output


def test_users_are_created_with_a_hashed_password(cli: Callable[..., Result], session: Session) -> None:
    assert cli("users", "create", "--email", "Ann@Example.com", "--password", PASSWORD).exit_code == 0
    user = session.scalars(select(User)).one()
    assert user.email == "ann@example.com"
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
    assert "ann@example.com" in cli("users", "list").output

    again = cli("users", "create", "--email", "ann@example.com", "--password", PASSWORD)
    assert again.exit_code == 2 and "already" in again.output
    short = cli("users", "create", "--email", "bob@example.com", "--password", "short")
    assert short.exit_code == 2 and "at least 8" in short.output
    not_email = cli("users", "create", "--email", "bob", "--password", PASSWORD)
    assert not_email.exit_code == 2 and "not an email" in not_email.output


def test_login_sets_a_protected_cookie_and_returns_the_csrf_token(client: FlaskClient, logged_in: str) -> None:
    cookie = client.get_cookie("automap_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    current = client.get("/api/session")
    assert current.status_code == 200
    assert current.json["user"]["email"] == "marketer@example.com"
    assert current.json["csrf_token"] == logged_in
    assert client.get("/api/flows").status_code == 200


def test_wrong_logins_are_refused_alike(client: FlaskClient, logged_in: str) -> None:
    client.delete("/api/session", headers={"X-CSRF-Token": logged_in})
    for email, password in [("marketer@example.com", "wrong password"), ("nobody@example.com", PASSWORD)]:
        response = client.post("/api/session", json={"email": email, "password": password})
        assert response.status_code == 401
        assert response.json["message"] == "The email or password is wrong."
    assert client.get("/api/flows").status_code == 401


def test_a_bad_login_payload_names_the_fields(client: FlaskClient) -> None:
    response = client.post("/api/session", json={"email": 42})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"email", "password"}


def test_cookie_writes_need_the_csrf_token_and_are_not_applied_without_it(
    client: FlaskClient, logged_in: str, session: Session
) -> None:
    payload = {"name": "Welcome"}
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        refused = client.post("/api/flows", json=payload, headers=headers)
        assert refused.status_code == 403
        assert "X-CSRF-Token" in refused.json["message"]
    assert flow_count(session) == 0
    created = client.post("/api/flows", json=payload, headers={"X-CSRF-Token": logged_in})
    assert created.status_code == 201
    assert flow_count(session) == 1


def test_a_bearer_request_needs_no_csrf_token(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    assert client.post("/api/flows", json={"name": "Scripted"}, headers=admin_headers).status_code == 201


def test_logout_needs_the_csrf_token_and_ends_the_session(client: FlaskClient, logged_in: str) -> None:
    assert client.delete("/api/session").status_code == 403
    assert client.get("/api/session").status_code == 200
    assert client.delete("/api/session", headers={"X-CSRF-Token": logged_in}).status_code == 204
    assert client.get("/api/session").status_code == 401
    assert client.get("/api/flows").status_code == 401
    assert client.delete("/api/session").status_code == 204  # logging out twice is harmless


def test_a_deleted_users_cookie_no_longer_works(client: FlaskClient, logged_in: str, session: Session) -> None:
    session.delete(session.scalars(select(User)).one())
    session.commit()
    assert client.get("/api/flows").status_code == 401
    assert client.get("/api/session").status_code == 401
