"""`/api/users`: list, create, disable and set a password, by the rules the `automap users` commands follow;
nobody disables the user they are logged in as."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from builder_api import accounts
from tests.builder_api.conftest import PASSWORD

NEW_PASSWORD = "a brand new secret"


def create(client: FlaskClient, headers: dict[str, str], email: str = "anna@example.com",
           password: str = PASSWORD) -> dict:
    answer = client.post("/api/users", json={"email": email, "password": password}, headers=headers)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_the_user_endpoints_need_credentials(client: FlaskClient) -> None:
    for method, path in [("get", "/api/users"), ("post", "/api/users"), ("post", "/api/users/1/disable"),
                         ("post", "/api/users/1/password")]:
        assert getattr(client, method)(path, json={}).status_code == 401, (method, path)


def test_a_user_is_created_listed_and_can_log_in(client: FlaskClient, admin_headers: dict[str, str],
                                                 throttle) -> None:
    created = create(client, admin_headers, email="  Anna@Example.com ")
    assert (created["email"], created["last_login_at"], created["disabled_at"], created["is_you"]) == (
        "anna@example.com", None, None, False)
    assert client.post("/api/session", json={"email": "anna@example.com", "password": PASSWORD}).status_code == 200
    [listed] = client.get("/api/users", headers=admin_headers).json["items"]
    assert listed["id"] == created["id"] and listed["last_login_at"] is not None
    assert "password" not in str(listed)


def test_bad_input_is_a_4xx_naming_the_field(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    create(client, admin_headers)
    taken = client.post("/api/users", json={"email": "anna@example.com", "password": PASSWORD}, headers=admin_headers)
    assert (taken.status_code, taken.json["message"]) == (409, "There is already a user with the email anna@example.com.")
    short = client.post("/api/users", json={"email": "boris@example.com", "password": "short"}, headers=admin_headers)
    assert (short.status_code, short.json["errors"][0]["pointer"]) == (400, "/password")
    not_email = client.post("/api/users", json={"email": "boris", "password": PASSWORD}, headers=admin_headers)
    assert (not_email.status_code, not_email.json["errors"][0]["pointer"]) == (400, "/email")
    missing = client.post("/api/users", json={"email": "boris@example.com"}, headers=admin_headers)
    assert missing.status_code == 422 and missing.json["errors"][0]["pointer"] == "/password"
    unknown = client.post("/api/users/999/disable", headers=admin_headers)
    assert (unknown.status_code, unknown.json["message"]) == (404, "There is no user with id 999.")


def test_a_disabled_user_can_no_longer_log_in_and_is_logged_out(client: FlaskClient, app,
                                                                 admin_headers: dict[str, str], throttle) -> None:
    anna = create(client, admin_headers)
    browser = app.test_client()
    assert browser.post("/api/session", json={"email": "anna@example.com", "password": PASSWORD}).status_code == 200
    disabled = client.post(f"/api/users/{anna['id']}/disable", headers=admin_headers)
    assert disabled.status_code == 200 and disabled.json["disabled_at"] is not None
    assert browser.get("/api/flows").status_code == 401
    assert browser.post("/api/session", json={"email": "anna@example.com", "password": PASSWORD}).status_code == 401

    # Enabled again, the old password works; an unknown id is a 404.
    enabled = client.post(f"/api/users/{anna['id']}/enable", headers=admin_headers)
    assert enabled.status_code == 200 and enabled.json["disabled_at"] is None
    assert browser.post("/api/session", json={"email": "anna@example.com", "password": PASSWORD}).status_code == 200
    assert client.post("/api/users/9999/enable", headers=admin_headers).status_code == 404


def test_a_user_cannot_disable_themself(client: FlaskClient, session: Session, logged_in: str,
                                        admin_headers: dict[str, str]) -> None:
    me = accounts.find_user(session, "marketer@example.com")
    [listed] = client.get("/api/users").json["items"]
    assert listed["is_you"] is True
    refused = client.post(f"/api/users/{me.id}/disable", headers={"X-CSRF-Token": logged_in})
    assert refused.status_code == 409
    assert refused.json["message"].startswith("You are logged in as marketer@example.com: you cannot disable yourself.")
    session.refresh(me)
    assert me.disabled_at is None
    assert client.get("/api/flows").status_code == 200  # still logged in

    other = create(client, {"X-CSRF-Token": logged_in}, email="boris@example.com")
    assert client.post(f"/api/users/{other['id']}/disable", headers={"X-CSRF-Token": logged_in}).status_code == 200
    assert client.post(f"/api/users/{other['id']}/disable").status_code == 403  # no CSRF token: refused


def test_a_new_password_replaces_the_old_and_ends_the_sessions(client: FlaskClient, app,
                                                               admin_headers: dict[str, str], throttle) -> None:
    anna = create(client, admin_headers)
    browser = app.test_client()
    assert browser.post("/api/session", json={"email": "anna@example.com", "password": PASSWORD}).status_code == 200
    short = client.post(f"/api/users/{anna['id']}/password", json={"password": "short"}, headers=admin_headers)
    assert (short.status_code, short.json["errors"][0]["pointer"]) == (400, "/password")
    answer = client.post(f"/api/users/{anna['id']}/password", json={"password": NEW_PASSWORD}, headers=admin_headers)
    assert answer.status_code == 200
    assert browser.get("/api/flows").status_code == 401
    assert browser.post("/api/session", json={"email": "anna@example.com", "password": PASSWORD}).status_code == 401
    assert browser.post("/api/session", json={"email": "anna@example.com",
                                              "password": NEW_PASSWORD}).status_code == 200
