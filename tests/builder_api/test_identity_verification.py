"""The site key is public: a browser call touches only its own anonymous contact unless the site's backend vouched.

Each test plays the attack reported against /v1 with the site key and shows it refused, then the
legitimate path (context.user_hash from the backend, or the server key) working.
"""
from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from builder_api.ingest.verification import user_hash
from tests.builder_api.widget_support import bearer, greeted, greeting_flow
from tests.conftest import IDENTITY_SECRET, SERVER_KEY, WRITE_KEY
from workflow_runtime.storage.models import AnonymousId, Contact, Event

SITE = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
SERVER = {"Authorization": "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()}


def victim(client: FlaskClient, harness: Any) -> int:
    """A known customer, identified by the shop's backend, with a chat message from a flow."""
    answer = client.post("/v1/identify", json={"userId": "victim-42", "traits": {"email": "victim@example.com",
                                                                                 "name": "Vera"}}, headers=SERVER)
    assert answer.status_code == 200
    with harness.session() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.user_id == "victim-42"))
    harness.publish(greeting_flow())
    greeted(harness, contact_id)
    return contact_id


def link_of(harness: Any, anonymous_id: str) -> int | None:
    with harness.session() as session:
        return session.scalar(select(AnonymousId.contact_id).where(AnonymousId.anonymous_id == anonymous_id))


def email_of(harness: Any, contact_id: int) -> str | None:
    with harness.session() as session:
        return session.get(Contact, contact_id).email


def test_the_site_key_cannot_claim_a_known_user_nor_read_her_chat(client: FlaskClient, harness) -> None:
    vera = victim(client, harness)
    claim = client.post("/v1/identify", json={"userId": "victim-42", "anonymousId": "attacker-aid"}, headers=SITE)
    assert claim.status_code == 403
    assert claim.json["errors"][0]["pointer"] == "/userId"
    assert link_of(harness, "attacker-aid") is None

    token = client.post("/widget/session", json={"anonymousId": "attacker-aid"}, headers=SITE).json["token"]
    assert client.get("/widget/conversation", headers=bearer(token)).json["items"] == []
    rewrite = client.post("/v1/identify", json={"userId": "victim-42", "anonymousId": "attacker-aid",
                                                "traits": {"email": "attacker@example.com"}}, headers=SITE)
    assert rewrite.status_code == 403
    assert email_of(harness, vera) == "victim@example.com"


def test_a_user_hash_from_the_backend_links_the_browser_and_is_not_stored(client: FlaskClient, harness) -> None:
    vera = victim(client, harness)
    call = {"userId": "victim-42", "anonymousId": "vera-browser", "event": "cart_updated",
            "context": {"user_hash": user_hash(IDENTITY_SECRET, "victim-42")}}
    assert client.post("/v1/track", json=call, headers=SITE).status_code == 200
    assert link_of(harness, "vera-browser") == vera
    token = client.post("/widget/session", json={"anonymousId": "vera-browser"}, headers=SITE).json["token"]
    assert [item["kind"] for item in client.get("/widget/conversation", headers=bearer(token)).json["items"]] == [
        "message"]
    with harness.session() as session:
        context = session.scalar(select(Event.context).where(Event.name == "cart_updated"))
    assert "user_hash" not in context


@pytest.mark.parametrize("sent", ["0" * 64, user_hash(IDENTITY_SECRET, "someone-else"), 42])
def test_a_wrong_user_hash_is_403_and_stores_nothing(client: FlaskClient, harness, sent: Any) -> None:
    call = {"userId": "victim-42", "anonymousId": "attacker-aid", "event": "order_paid", "context": {"user_hash": sent}}
    answer = client.post("/v1/track", json=call, headers=SITE)
    assert answer.status_code == 403
    assert answer.json["errors"][0]["pointer"] == "/context/user_hash"
    with harness.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_one_claim_in_a_batch_refuses_the_whole_batch_naming_it(client: FlaskClient, harness) -> None:
    victim(client, harness)
    with harness.session() as session:
        events_before = session.scalar(select(func.count()).select_from(Event))
    batch = [{"type": "track", "anonymousId": "attacker-aid", "event": "page_viewed"},
             {"type": "track", "userId": "victim-42", "anonymousId": "attacker-aid", "event": "order_paid",
              "properties": {"amount": 5000}}]
    answer = client.post("/v1/batch", json={"batch": batch}, headers=SITE)
    assert answer.status_code == 403
    assert answer.json["errors"][0]["pointer"] == "/batch/1/userId"
    with harness.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events_before
    assert link_of(harness, "attacker-aid") is None


def test_the_site_key_cannot_alias_a_known_user_away(client: FlaskClient, harness) -> None:
    victim(client, harness)
    answer = client.post("/v1/alias", json={"previousId": "victim-42", "userId": "attacker"}, headers=SITE)
    assert answer.status_code == 403
    assert answer.json["errors"][0]["pointer"] == "/previousId"
    with harness.session() as session:
        assert session.scalar(select(Contact.user_id).where(Contact.email == "victim@example.com")) == "victim-42"


def test_a_known_visitor_cannot_change_her_address_without_her_user_hash(client: FlaskClient, harness) -> None:
    vera = victim(client, harness)
    linked = {"userId": "victim-42", "anonymousId": "vera-browser",
              "context": {"user_hash": user_hash(IDENTITY_SECRET, "victim-42")}}
    assert client.post("/v1/identify", json=linked, headers=SITE).status_code == 200
    anonymous = client.post("/v1/identify", json={"anonymousId": "vera-browser", "traits": {"email": "x@evil.example"}},
                            headers=SITE)
    assert anonymous.status_code == 403 and anonymous.json["errors"][0]["pointer"] == "/traits/email"
    verified = client.post("/v1/identify", json={**linked, "traits": {"email": "vera@new.example"}}, headers=SITE)
    assert verified.status_code == 200
    assert email_of(harness, vera) == "vera@new.example"


def test_a_new_user_needs_no_hash_unless_the_workspace_requires_it(client: FlaskClient, app, harness) -> None:
    signup = {"userId": "new-7", "anonymousId": "new-browser", "traits": {"email": "new@example.com"}}
    assert client.post("/v1/identify", json=signup, headers=SITE).status_code == 200
    assert link_of(harness, "new-browser") is not None

    settings = app.config["AUTOMAP"]
    app.config["AUTOMAP"] = type(settings)(**{**vars(settings), "require_user_hash": True})
    try:
        other = client.post("/v1/identify", json={"userId": "new-8", "anonymousId": "b-8"}, headers=SITE)
        backend = client.post("/v1/identify", json={"userId": "new-9"}, headers=SERVER)
    finally:
        app.config["AUTOMAP"] = settings
    assert other.status_code == 403 and other.json["errors"][0]["pointer"] == "/context/user_hash"
    assert backend.status_code == 200
