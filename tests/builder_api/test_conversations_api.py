"""The operator inbox's API: a visitor writes first, the team answers, notes, assigns, snoozes and closes; who sees
what; the events a conversation records reach flows; response times."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import httpx
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from builder_api import accounts
from builder_api.conversations.stream_tokens import StreamGrant, issue_token
from tests.builder_api.widget_support import bearer, sse_events, visitor, write_key_auth
from tests.workflow_runtime.runtime_support import document
from workflow_runtime.storage.models import Event, InboxAccess, LoginSession, Run

PASSWORD = "correct horse battery"


def _visitor_token(client: FlaskClient, anonymous_id: str) -> str:
    response = client.post("/widget/session", json={"anonymousId": anonymous_id}, headers=write_key_auth())
    assert response.status_code == 200, response.json
    return response.json["token"]


def _writes(client: FlaskClient, token: str, text: str) -> dict[str, Any]:
    response = client.post("/widget/messages", json={"body": text}, headers=bearer(token))
    assert response.status_code == 201, response.json
    return response.json


def _only_conversation(client: FlaskClient, headers: dict[str, str], **query: str) -> dict[str, Any]:
    listed = client.get("/api/conversations", query_string=query, headers=headers)
    assert listed.status_code == 200, listed.json
    [conversation] = listed.json["items"]
    return conversation


def test_a_visitor_writes_first_and_an_operator_answers(client: FlaskClient, harness, admin_headers) -> None:
    flow_id = harness.publish(document("Welcome a question", {
        "start": ("trigger", {"event": "conversation_started"}),
        "end": ("exit", {}),
    }, [("start", "next", "end")]))
    ann = visitor(harness, "anon-ann", name="Ann", email="ann@example.com")
    token = _visitor_token(client, "anon-ann")

    written = _writes(client, token, "Do you ship to Berlin?")
    assert (written["kind"], written["message_id"], written["source"]) == ("reply", None, "widget")
    harness.drain()
    assert [run.contact_id for run in harness.runs(flow_id)] == [ann]  # conversation_started triggered the flow

    conversation = _only_conversation(client, admin_headers)
    assert conversation["contact"] == {"id": ann, "name": "Ann", "email": "ann@example.com", "user_id": None}
    assert (conversation["status"], conversation["unread"], conversation["assignee"]) == ("open", 1, None)
    assert conversation["waiting_since"] == harness.clock.now().isoformat()
    assert conversation["last_item"]["body"] == "Do you ship to Berlin?"

    harness.clock.advance(timedelta(seconds=90))
    answer = client.post(f"/api/conversations/{conversation['id']}/messages", json={"body": "Yes, in 2 days {{ x }}"},
                         headers=admin_headers)
    assert answer.status_code == 201, answer.json
    assert (answer.json["kind"], answer.json["channel"], answer.json["body"]) == ("message", "chat", "Yes, in 2 days {{ x }}")
    assert answer.json["sender_name"] == "The team" and answer.json["operator"] is None
    forward_due = (harness.clock.now() + timedelta(minutes=5)).isoformat()
    assert answer.json["forward"] == {"state": "scheduled", "at": forward_due, "reason": None}

    detail = client.get(f"/api/conversations/{conversation['id']}", headers=admin_headers).json
    assert (detail["unread"], detail["waiting_since"]) == (0, None)
    assert [(item["kind"], item["body"]) for item in detail["items"]] == [
        ("reply", "Do you ship to Berlin?"), ("message", "Yes, in 2 days {{ x }}")]
    seen_by_visitor = client.get("/widget/conversation", headers=bearer(token)).json["items"]
    assert [(item["kind"], item["body"]) for item in seen_by_visitor] == [
        ("reply", "Do you ship to Berlin?"), ("message", "Yes, in 2 days {{ x }}")]

    report = client.get("/api/reports/inbox", headers=admin_headers).json
    assert (report["conversations"], report["replies"]) == (1, 1)
    assert report["first_response"] == {"count": 1, "median_seconds": 90.0, "p90_seconds": 90.0}
    assert report["operators"] == [{"user": None, "replies": 1, "first_responses": 1, "median_reply_seconds": 90.0,
                                    "median_first_response_seconds": 90.0}]
    with harness.session() as session:
        names = list(session.scalars(select(Event.name).where(Event.contact_id == ann).order_by(Event.id)))
    assert names == ["conversation_started", "operator_replied"]


def test_notes_stay_with_the_team_and_closing_then_writing_again_starts_anew(client: FlaskClient, harness,
                                                                               admin_headers) -> None:
    visitor(harness, "anon-bo", name="Bo")
    token = _visitor_token(client, "anon-bo")
    _writes(client, token, "Hello?")
    conversation_id = _only_conversation(client, admin_headers)["id"]

    note = client.post(f"/api/conversations/{conversation_id}/notes", json={"body": "VIP, answer fast"},
                       headers=admin_headers)
    assert note.status_code == 201 and note.json["kind"] == "note"
    assert [item["kind"] for item in client.get("/widget/conversation", headers=bearer(token)).json["items"]] == ["reply"]

    closed = client.patch(f"/api/conversations/{conversation_id}", json={"status": "closed"}, headers=admin_headers)
    assert (closed.json["status"], closed.json["unread"]) == ("closed", 0)
    assert client.get("/api/conversations", headers=admin_headers).json["total"] == 0
    assert client.get("/api/conversations?status=closed", headers=admin_headers).json["total"] == 1

    _writes(client, token, "Me again")
    again = _only_conversation(client, admin_headers)
    assert (again["id"], again["status"], again["unread"]) == (conversation_id, "open", 1)
    with harness.session() as session:
        names = list(session.scalars(select(Event.name).order_by(Event.id)))
    assert names == ["conversation_started", "conversation_closed", "conversation_started"]


def test_snoozing_needs_a_future_time_and_assigning_an_active_user(client: FlaskClient, harness, session: Session,
                                                                   admin_headers) -> None:
    visitor(harness, "anon-cy")
    _writes(client, _visitor_token(client, "anon-cy"), "Anyone there?")
    conversation_id = _only_conversation(client, admin_headers)["id"]
    url = f"/api/conversations/{conversation_id}"

    no_time = client.patch(url, json={"status": "snoozed"}, headers=admin_headers)
    assert no_time.status_code == 400 and no_time.json["errors"][0]["pointer"] == "/snoozed_until"
    nobody = client.patch(url, json={"assignee_id": 999}, headers=admin_headers)
    assert nobody.status_code == 400 and nobody.json["errors"][0]["pointer"] == "/assignee_id"
    assert client.patch("/api/conversations/999", json={"status": "closed"}, headers=admin_headers).status_code == 404

    until = harness.clock.now() + timedelta(hours=1)
    snoozed = client.patch(url, json={"status": "snoozed", "snoozed_until": until.isoformat()}, headers=admin_headers)
    assert (snoozed.status_code, snoozed.json["status"]) == (200, "snoozed")
    assert client.get("/api/conversations", headers=admin_headers).json["total"] == 0
    harness.clock.advance(timedelta(hours=1))
    assert _only_conversation(client, admin_headers)["status"] == "open"  # the snooze ran out

    user = accounts.create_user(session, "dana@example.com", PASSWORD)
    session.commit()
    assigned = client.patch(url, json={"assignee_id": user.id}, headers=admin_headers)
    assert assigned.json["assignee"] == {"id": user.id, "email": "dana@example.com", "name": None}
    assert client.get("/api/conversations/counts", headers=admin_headers).json == {
        "unassigned": 0, "mine": 0, "all": 1, "unread": 1}


def test_a_user_with_assigned_access_sees_only_unassigned_conversations_and_their_own(
        client: FlaskClient, harness, session: Session, admin_headers, throttle) -> None:
    erin = accounts.create_user(session, "erin@example.com", PASSWORD)
    frank = accounts.create_user(session, "frank@example.com", PASSWORD)
    erin.inbox_access = InboxAccess.ASSIGNED
    erin.name = "Erin"
    session.commit()
    for anonymous_id in ("anon-1", "anon-2", "anon-3"):
        visitor(harness, anonymous_id)
        _writes(client, _visitor_token(client, anonymous_id), f"from {anonymous_id}")
    listed = client.get("/api/conversations", headers=admin_headers).json["items"]
    by_text = {item["last_item"]["body"]: item["id"] for item in listed}
    client.patch(f"/api/conversations/{by_text['from anon-1']}", json={"assignee_id": erin.id}, headers=admin_headers)
    client.patch(f"/api/conversations/{by_text['from anon-2']}", json={"assignee_id": frank.id}, headers=admin_headers)

    login = client.post("/api/session", json={"email": "erin@example.com", "password": PASSWORD})
    csrf = {"X-CSRF-Token": login.json["csrf_token"]}
    seen = {item["last_item"]["body"] for item in client.get("/api/conversations").json["items"]}
    assert seen == {"from anon-1", "from anon-3"}
    assert client.get("/api/conversations/counts").json == {"unassigned": 1, "mine": 1, "all": 2, "unread": 2}
    assert client.get(f"/api/conversations/{by_text['from anon-2']}").status_code == 404
    refused = client.post(f"/api/conversations/{by_text['from anon-2']}/messages", json={"body": "hi"}, headers=csrf)
    assert refused.status_code == 404

    mine = client.post(f"/api/conversations/{by_text['from anon-1']}/messages", json={"body": "Erin here"},
                       headers=csrf)
    assert mine.status_code == 201
    assert (mine.json["sender_name"], mine.json["operator"]["email"]) == ("Erin", "erin@example.com")
    changed = client.patch(f"/api/users/{frank.id}", json={"name": "Frank", "inbox_access": "assigned"},
                           headers=admin_headers)
    assert (changed.json["name"], changed.json["inbox_access"]) == ("Frank", "assigned")


def test_bad_input_is_refused_naming_the_field(client: FlaskClient, harness, admin_headers) -> None:
    visitor(harness, "anon-dee")
    token = _visitor_token(client, "anon-dee")
    blank = client.post("/widget/messages", json={"body": "   "}, headers=bearer(token))
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "body"
    unknown = client.post("/widget/messages", json={"body": "hi"}, headers=bearer(_visitor_token(client, "anon-new")))
    assert unknown.status_code == 409
    assert client.post("/api/conversations", json={"contact_id": 12345, "body": "hi"},
                       headers=admin_headers).status_code == 404
    view = client.get("/api/conversations?view=everyone", headers=admin_headers)
    assert view.status_code == 422 and view.json["errors"][0]["field"] == "view"
    window = client.get("/api/reports/inbox?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", headers=admin_headers)
    assert window.status_code == 422


def test_an_operator_may_write_first(client: FlaskClient, harness, admin_headers) -> None:
    gus = visitor(harness, "anon-gus", email=None)
    started = client.post("/api/conversations", json={"contact_id": gus, "body": "Need a hand?"}, headers=admin_headers)
    assert started.status_code == 201, started.json
    [item] = started.json["items"]
    assert (item["body"], item["forward"]) == ("Need a hand?", None)  # no email address: nothing to forward
    harness.drain()
    with harness.session() as session:
        assert session.scalars(select(Run)).all() == []
        assert list(session.scalars(select(Event.name))) == ["operator_replied"]


def test_the_inbox_stream_tells_each_operator_what_they_may_see_as_it_happens(
        client: FlaskClient, site_client: httpx.Client, harness, session: Session, admin_headers) -> None:
    hana = accounts.create_user(session, "hana@example.com", PASSWORD)
    hana.inbox_access = InboxAccess.ASSIGNED
    ivan = accounts.create_user(session, "ivan@example.com", PASSWORD)
    session.commit()
    visitor(harness, "anon-kim")
    visitor(harness, "anon-lou")
    kim, lou = _visitor_token(client, "anon-kim"), _visitor_token(client, "anon-lou")
    _writes(client, lou, "first")
    lous = _only_conversation(client, admin_headers)["id"]
    client.patch(f"/api/conversations/{lous}", json={"assignee_id": ivan.id}, headers=admin_headers)

    tokens = {"admin": client.post("/api/conversations/stream-token", headers=admin_headers).json["token"]}
    with client.application.test_request_context():
        tokens["hana"] = issue_token(StreamGrant(hana.id))
    received: dict[str, list[dict[str, Any]]] = {"admin": [], "hana": []}
    wanted = {"admin": 4, "hana": 2}
    ready = {name: threading.Event() for name in received}

    def listen(name: str) -> None:
        with site_client.stream("GET", "/inbox/stream", params={"token": tokens[name]}) as response:
            assert response.status_code == 200
            for event in sse_events(response.iter_lines()):
                if event.get("event") == "ready":
                    ready[name].set()
                elif event.get("event") == "conversation":
                    received[name].append(json.loads(event["data"]))
                    if len(received[name]) == wanted[name]:
                        return

    threads = [threading.Thread(target=listen, args=(name,), daemon=True) for name in received]
    for thread in threads:
        thread.start()
    assert all(event.wait(10) for event in ready.values())
    _writes(client, lou, "second, for Ivan only")
    _writes(client, kim, "hello from Kim")
    answer = client.post(f"/api/conversations/{lous}/messages", json={"body": "Ivan's answer"}, headers=admin_headers)
    assert answer.status_code == 201
    _writes(client, kim, "bye")
    for thread in threads:
        thread.join(10)

    assert [notice["item"]["body"] for notice in received["admin"]] == [
        "second, for Ivan only", "hello from Kim", "Ivan's answer", "bye"]
    assert [notice["item"]["body"] for notice in received["hana"]] == ["hello from Kim", "bye"]  # not Ivan's

    assert site_client.get("/inbox/stream", params={"token": "forged"}).status_code == 403
    accounts.disable_user(session, "hana@example.com")
    session.commit()
    assert site_client.get("/inbox/stream", params={"token": tokens["hana"]}).status_code == 403


def test_a_stream_token_ends_with_the_login_or_api_token_it_was_issued_on(
        app, client: FlaskClient, site_client: httpx.Client, session: Session, throttle) -> None:  # noqa: ANN001
    joe = accounts.create_user(session, "joe@example.com", PASSWORD)
    row, api_token = accounts.create_token(session, "wallboard")
    session.commit()

    def opens(token: str) -> int:
        with site_client.stream("GET", "/inbox/stream", params={"token": token}) as response:
            return response.status_code

    csrf = {"X-CSRF-Token": client.post("/api/session", json={"email": "joe@example.com", "password": PASSWORD})
            .json["csrf_token"]}
    joes = client.post("/api/conversations/stream-token", headers=csrf).json["token"]
    wallboards = client.post("/api/conversations/stream-token", headers=bearer(api_token)).json["token"]
    assert (opens(joes), opens(wallboards)) == (200, 200)
    assert client.delete("/api/session", headers=csrf).status_code == 204
    accounts.revoke_token(session, row.id)
    session.commit()
    assert (opens(joes), opens(wallboards)) == (403, 403), "logged out and revoked: not an hour later"

    client.post("/api/session", json={"email": "joe@example.com", "password": PASSWORD})
    login = session.scalar(select(LoginSession).where(LoginSession.user_id == joe.id))
    with app.test_request_context():
        live, ended = (issue_token(StreamGrant(joe.id, login_session_id=login.id, login_expires=int(time.time()) + shift))
                       for shift in (60, -1))
        shapes = [URLSafeTimedSerializer(app.config["AUTOMAP"].secret_key, salt="automap.inbox.stream").dumps(payload)
                  for payload in ({"u": "1"}, {"u": None, "x": 1}, {"t": 1}, [1])]
    assert [opens(token) for token in (live, ended, *shapes)] == [200] + [403] * 5, "a login past its lifetime ends"


def test_a_visitor_flooding_the_inbox_is_cut_off_alone(app, client: FlaskClient, harness) -> None:
    visitor(harness, "anon-flood")
    visitor(harness, "anon-calm")
    flood, calm = _visitor_token(client, "anon-flood"), _visitor_token(client, "anon-calm")
    saved, app.config["AUTOMAP_WIDGET_MESSAGE_RATE"] = app.config["AUTOMAP_WIDGET_MESSAGE_RATE"], "3 per minute"
    try:
        answers = [client.post("/widget/messages", json={"body": f"spam {n}"}, headers=bearer(flood)) for n in range(4)]
        assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
        assert int(answers[-1].headers["Retry-After"]) > 0
        assert client.post("/widget/messages", json={"body": "hello"}, headers=bearer(calm)).status_code == 201
    finally:
        app.config["AUTOMAP_WIDGET_MESSAGE_RATE"] = saved


def test_a_user_who_sees_assigned_conversations_cannot_widen_their_own_view(
        client: FlaskClient, harness, session: Session, admin_headers, throttle) -> None:
    gia = accounts.create_user(session, "gia@example.com", PASSWORD)
    gia.inbox_access = InboxAccess.ASSIGNED
    hal = accounts.create_user(session, "hal@example.com", PASSWORD)
    session.commit()
    kit = visitor(harness, "anon-kit")
    _writes(client, _visitor_token(client, "anon-kit"), "for Hal only")
    conversation_id = _only_conversation(client, admin_headers)["id"]
    client.patch(f"/api/conversations/{conversation_id}", json={"assignee_id": hal.id}, headers=admin_headers)

    csrf = {"X-CSRF-Token": client.post("/api/session", json={"email": "gia@example.com", "password": PASSWORD})
            .json["csrf_token"]}
    assert client.get("/api/users").status_code == 200  # the team, to assign from
    for method, path, body in (("PATCH", f"/api/users/{gia.id}", {"inbox_access": "all"}),
                               ("POST", "/api/users", {"email": "new@example.com", "password": PASSWORD}),
                               ("POST", "/api/api-tokens", {"name": "mine"}),
                               ("GET", "/api/workspace/keys", None)):
        refused = client.open(path, method=method, json=body, headers=csrf)
        assert refused.status_code == 403, (path, refused.json)
    assert client.get(f"/api/contacts/{kit}/conversation").status_code == 404
    card = client.get(f"/api/contacts/{kit}").json
    assert all(message["replies"] == [] for message in card["messages"])


def test_many_visitors_of_one_address_are_cut_off_together(app, client: FlaskClient, harness) -> None:
    tokens = []
    for number in range(4):
        visitor(harness, f"anon-nat-{number}")
        tokens.append(_visitor_token(client, f"anon-nat-{number}"))
    saved, app.config["AUTOMAP_WIDGET_ADDRESS_MESSAGE_RATE"] = app.config["AUTOMAP_WIDGET_ADDRESS_MESSAGE_RATE"], \
        "3 per minute"
    try:
        answers = [client.post("/widget/messages", json={"body": "hi"}, headers=bearer(token)) for token in tokens]
        assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    finally:
        app.config["AUTOMAP_WIDGET_ADDRESS_MESSAGE_RATE"] = saved


def test_times_beyond_the_calendar_are_refused_naming_them(client: FlaskClient, harness, admin_headers) -> None:
    visitor(harness, "anon-tim")
    _writes(client, _visitor_token(client, "anon-tim"), "when?")
    conversation_id = _only_conversation(client, admin_headers)["id"]
    snooze = client.patch(f"/api/conversations/{conversation_id}", headers=admin_headers,
                          json={"status": "snoozed", "snoozed_until": "9999-12-31T23:00:00-05:00"})
    assert snooze.status_code == 422 and snooze.json["errors"][0]["field"] == "snoozed_until"
    before_the_calendar = client.get("/api/reports/inbox?from=0001-01-01T00:00:00%2B05:00", headers=admin_headers)
    assert before_the_calendar.status_code == 422 and before_the_calendar.json["errors"][0]["field"] == "from"
    near_its_start = client.get("/api/reports/inbox?to=0001-01-05T00:00:00Z", headers=admin_headers)
    assert (near_its_start.status_code, near_its_start.json["from"]) == (200, "0001-01-01T00:00:00+00:00")
