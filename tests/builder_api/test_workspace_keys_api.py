"""`/api/workspace/keys` and `/install`: the site key, server key and identity secret kept in the database,
rotated from the builder with the old key still accepted for the grace period and refused after it; a key set
by an environment variable is pinned and cannot be rotated there."""
from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from builder_api import accounts
from builder_api.app import create_app
from builder_api.cli import _banner
from builder_api.extensions import db
from builder_api.ingest.verification import user_hash
from builder_api.runtime_access import now
from builder_api.workspace.keys import GRACE_PERIOD, load_keys
from tests.builder_api.conftest import PASSWORD
from tests.conftest import ADMIN_TOKEN, WRITE_KEY
from workflow_runtime.storage.models import WorkspaceKey

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


@pytest.fixture(scope="module")
def rotatable_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app as `make run` makes it: no key set by the environment, so its keys live in the database (its
    generated secrets.json seeds them). It shares the test database with `app`, which migrated it."""
    settings = app.config["AUTOMAP"]
    rotatable = create_app({"instance_path": tmp_path_factory.mktemp("rotatable"), "database_url": settings.database_url,
                            "redis_url": None, "admin_token": ADMIN_TOKEN, "secret_key": settings.secret_key})
    rotatable.config["TESTING"] = True
    yield rotatable
    with rotatable.app_context():
        db.engine.dispose()


@pytest.fixture
def keyed(rotatable_app: Flask, session: Session) -> FlaskClient:
    """A client of `rotatable_app`; `session` empties the tables (workspace_keys too) after the test."""
    return rotatable_app.test_client()


def revealed(client: FlaskClient, name: str) -> str:
    answer = client.get(f"/api/workspace/keys/{name}", headers=ADMIN)
    assert answer.status_code == 200, answer.json
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json["value"]


def rotated(client: FlaskClient, name: str) -> dict[str, Any]:
    answer = client.post(f"/api/workspace/keys/{name}/rotate", headers=ADMIN)
    assert answer.status_code == 200, answer.json
    return answer.json


def track(client: FlaskClient, key: str, **call: Any) -> int:
    body = {"anonymousId": "anon-1", "event": "cart_updated", **call}
    return client.post("/v1/track", json=body, headers=basic(key)).status_code


def test_every_workspace_endpoint_needs_credentials(client: FlaskClient) -> None:
    for method, path in [("get", "/api/workspace/install"), ("get", "/api/workspace/keys"),
                         ("get", "/api/workspace/keys/server_key"), ("post", "/api/workspace/keys/server_key/rotate"),
                         ("get", "/api/workspace/email"), ("post", "/api/workspace/email/test")]:
        answer = getattr(client, method)(path, json={"email": "a@example.com"})
        assert answer.status_code == 401, (method, path)
        wrong = getattr(client, method)(path, json={"email": "a@example.com"}, headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 403, (method, path)


def test_the_install_snippet_loads_the_widget_with_the_site_key(client: FlaskClient) -> None:
    answer = client.get("/api/workspace/install", headers=ADMIN)
    assert answer.status_code == 200
    install = answer.json
    assert install["write_key"] == WRITE_KEY
    assert install["script_url"] == "http://127.0.0.1:5000/widget.js"
    assert install["snippet"] == (  # the README's snippet, with this server's URL and key
        '<script>\n'
        '  !function(w,d,u,k){w.automap=w.automap||function(){(w.automap.q=w.automap.q||[]).push(arguments)};\n'
        '  var s=d.createElement("script");s.async=1;s.src=u;d.head.appendChild(s);w.automap("init",k)}\n'
        f'  (window,document,"http://127.0.0.1:5000/widget.js","{WRITE_KEY}");\n'
        '</script>')
    python = next(example["code"] for example in install["identity_examples"] if example["language"] == "python")
    assert "hmac.new(" in python and "hashlib.sha256" in python
    assert "user_hash" in install["identify_snippet"]


def test_keys_set_by_the_environment_are_listed_as_pinned_and_cannot_be_rotated(client: FlaskClient) -> None:
    listed = client.get("/api/workspace/keys", headers=ADMIN).json
    assert listed["grace_hours"] == 24
    by_name = {key["name"]: key for key in listed["items"]}
    assert by_name["write_key"]["value"] == WRITE_KEY and not by_name["write_key"]["secret"]
    assert by_name["server_key"]["value"] is None and by_name["server_key"]["masked"].endswith("-key")
    assert by_name["server_key"]["pinned_by"] == "AUTOMAP_SERVER_KEY"

    refused = client.post("/api/workspace/keys/server_key/rotate", headers=ADMIN)
    assert refused.status_code == 409
    assert refused.json["message"] == ("The server key is set by AUTOMAP_SERVER_KEY: rotate it in your deployment "
                                       "(change AUTOMAP_SERVER_KEY and restart), not here.")
    assert client.get("/api/workspace/keys/nope", headers=ADMIN).status_code == 404
    assert client.post("/api/workspace/keys/nope/rotate", headers=ADMIN).status_code == 404


def test_keys_no_variable_sets_are_seeded_once_from_the_generated_secrets(keyed: FlaskClient, rotatable_app: Flask,
                                                                         session: Session) -> None:
    settings = rotatable_app.config["AUTOMAP"]
    assert set(settings.generated) >= {"write_key", "server_key", "identity_secret"}
    listed = keyed.get("/api/workspace/keys", headers=ADMIN).json["items"]
    assert [(key["name"], key["pinned_by"], key["rotated_at"]) for key in listed] == [
        ("write_key", None, None), ("server_key", None, None), ("identity_secret", None, None)]
    assert revealed(keyed, "server_key") == settings.server_key
    assert revealed(keyed, "write_key") == settings.write_key
    assert session.query(WorkspaceKey).count() == 3


def test_a_rotated_server_key_still_ingests_during_the_grace_period_and_not_after(keyed: FlaskClient, harness) -> None:
    old = revealed(keyed, "server_key")
    assert track(keyed, old) == 200

    key = rotated(keyed, "server_key")
    new = revealed(keyed, "server_key")
    assert new != old and key["value"] is None and key["masked"].endswith(new[-4:])
    start = harness.clock.now()
    assert key["rotated_at"] == start.isoformat()
    assert key["previous_valid_until"] == (start + GRACE_PERIOD).isoformat()
    assert (track(keyed, old), track(keyed, new)) == (200, 200)

    harness.clock.advance(GRACE_PERIOD - timedelta(seconds=1))
    assert track(keyed, old) == 200
    harness.clock.advance(timedelta(seconds=1))
    assert (track(keyed, old), track(keyed, new)) == (401, 200)
    listed = {key["name"]: key for key in keyed.get("/api/workspace/keys", headers=ADMIN).json["items"]}
    assert listed["server_key"]["previous_valid_until"] is None  # "the old key works until …" is gone


def test_a_rotated_site_key_opens_widget_sessions_and_the_snippet_shows_the_new_one(keyed: FlaskClient,
                                                                                      harness) -> None:
    old = revealed(keyed, "write_key")
    rotated(keyed, "write_key")
    new = revealed(keyed, "write_key")
    assert f'"{new}"' in keyed.get("/api/workspace/install", headers=ADMIN).json["snippet"]
    for key in (old, new):
        assert keyed.post("/widget/session", json={"anonymousId": "a1"}, headers=basic(key)).status_code == 200
        assert track(keyed, key) == 200
    harness.clock.advance(GRACE_PERIOD)
    assert keyed.post("/widget/session", json={"anonymousId": "a1"}, headers=basic(old)).status_code == 401
    assert track(keyed, old) == 401
    assert keyed.post("/widget/session", json={"anonymousId": "a1"}, headers=basic(new)).status_code == 200


def test_a_hash_made_with_the_rotated_identity_secret_verifies_until_the_grace_period_ends(keyed: FlaskClient,
                                                                                          harness) -> None:
    site, old = revealed(keyed, "write_key"), revealed(keyed, "identity_secret")
    rotated(keyed, "identity_secret")
    new = revealed(keyed, "identity_secret")
    for secret in (old, new):
        assert track(keyed, site, userId="u-7", context={"user_hash": user_hash(secret, "u-7")}) == 200
    harness.clock.advance(GRACE_PERIOD)
    assert track(keyed, site, userId="u-7", context={"user_hash": user_hash(old, "u-7")}) == 403
    assert track(keyed, site, userId="u-7", context={"user_hash": user_hash(new, "u-7")}) == 200


def test_rotating_twice_accepts_only_the_key_just_replaced(keyed: FlaskClient, harness) -> None:
    first = revealed(keyed, "server_key")
    rotated(keyed, "server_key")
    second = revealed(keyed, "server_key")
    rotated(keyed, "server_key")
    third = revealed(keyed, "server_key")
    assert (track(keyed, first), track(keyed, second), track(keyed, third)) == (401, 200, 200)


def test_a_logged_in_browser_rotates_only_with_its_csrf_token(keyed: FlaskClient, session: Session) -> None:
    accounts.create_user(session, "owner@example.com", PASSWORD)
    session.commit()
    csrf = keyed.post("/api/session", json={"email": "owner@example.com", "password": PASSWORD}).json["csrf_token"]
    before = revealed(keyed, "server_key")

    assert keyed.post("/api/workspace/keys/server_key/rotate").status_code == 403
    assert keyed.get("/api/workspace/keys/server_key").json["value"] == before  # nothing changed
    answer = keyed.post("/api/workspace/keys/server_key/rotate", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200
    assert keyed.get("/api/workspace/keys/server_key").json["value"] != before


def test_the_banner_prints_the_site_key_in_force_and_not_a_rotated_server_key(
        keyed: FlaskClient, rotatable_app: Flask, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    rotated(keyed, "write_key")
    rotated(keyed, "server_key")
    site_key, server_key = revealed(keyed, "write_key"), revealed(keyed, "server_key")
    settings = rotatable_app.config["AUTOMAP"]
    with rotatable_app.app_context():
        in_force = load_keys(db.session, settings, now())
    _banner(settings, "http://127.0.0.1:5000", None, in_force)
    printed = capsys.readouterr().out
    assert f"Write key    {site_key}" in printed and settings.write_key not in printed
    assert "Server key   on the Settings page, http://127.0.0.1:5000/settings" in printed
    assert server_key not in printed and settings.server_key not in printed
