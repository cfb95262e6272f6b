"""The widget's visitor API: tokens, what a visitor may see and touch, statuses and replies counted at the node."""
from __future__ import annotations

import json
import queue
import threading

import httpx
import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from tests.builder_api.widget_support import (
    bearer,
    greeted,
    greeting_flow,
    live_server,
    sse_events,
    visitor,
    write_key_auth,
)
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)


def _token(client: FlaskClient, anonymous_id: str) -> str:
    response = client.post("/widget/session", json={"anonymousId": anonymous_id}, headers=write_key_auth())
    assert response.status_code == 200, response.json
    return response.json["token"]


def test_widget_js_is_a_cacheable_script(client: FlaskClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.cache_control.public and response.cache_control.max_age == 3600
    assert response.headers["ETag"]
    assert client.get("/widget.js", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert b"automap" in response.data


def test_a_session_needs_the_write_key_and_an_anonymous_id(client: FlaskClient) -> None:
    assert client.post("/widget/session", json={"anonymousId": "a1"}).status_code == 401
    assert client.post("/widget/session", json={}, headers=write_key_auth("nope")).status_code == 401
    wrong = client.post("/widget/session", json={"anonymousId": "a1"}, headers=write_key_auth("nope"))
    assert (wrong.status_code, wrong.json["message"]) == (401, "This write key is not valid.")
    missing = client.post("/widget/session", json={}, headers=write_key_auth())
    assert missing.status_code == 422
    assert [error["field"] for error in missing.json["errors"]] == ["anonymousId"]


def test_cross_origin_browsers_may_call_the_widget_api(client: FlaskClient) -> None:
    preflight = client.options("/widget/session", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    })
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_forged_tokens_and_other_visitors_messages_are_refused(app, client: FlaskClient, site_client: httpx.Client,
                                                               harness) -> None:  # noqa: F811
    flow_id = harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    visitor(harness, "anon-boris", name="Boris")
    annas = greeted(harness, anna)
    boris_token = _token(client, "anon-boris")

    forged = URLSafeTimedSerializer("not-the-secret", salt="automap.widget.visitor").dumps({"a": "anon-anna"})
    # One signature character changed (to another than the one it is: the token's time makes it vary).
    tampered = boris_token[:-2] + ("A" if boris_token[-2] != "A" else "B") + boris_token[-1]
    for token in (forged, tampered, "garbage"):
        assert client.get("/widget/conversation", headers=bearer(token)).status_code == 403
        assert site_client.get(f"/widget/stream?token={token}").status_code == 403
        report = client.post(f"/widget/messages/{annas['popup'].id}/status", json={"status": "read"}, headers=bearer(token))
        assert report.status_code == 403
    assert client.get("/widget/conversation").status_code == 403

    # Boris's genuine token cannot touch Anna's messages, nor read them.
    for path, body in ((f"/widget/messages/{annas['popup'].id}/status", {"status": "clicked"}),
                       (f"/widget/messages/{annas['chat'].id}/replies", {"body": "hijack"})):
        refused = client.post(path, json=body, headers=bearer(boris_token))
        assert (refused.status_code, refused.json["message"]) == (403, f"message {path.split('/')[3]} is not addressed to this visitor")
    assert client.get("/widget/conversation", headers=bearer(boris_token)).json == {"items": []}
    assert client.post("/widget/messages/999999/status", json={"status": "read"}, headers=bearer(boris_token)).status_code == 404
    # nothing the forged or foreign tokens tried was counted: both messages are recorded and still queued
    assert harness.counters(flow_id)["popup"] == {"entered": 1, "left:next": 1, "popup:sent": 1, "popup:queued": 1}
    assert harness.counters(flow_id)["chat"] == {"entered": 1, "left:next": 1, "chat:sent": 1, "chat:queued": 1}


@pytest.mark.parametrize("after_reply", ["²", "-1", "1.5", str(2**63), "x"])
def test_a_stream_asked_for_replies_after_no_reply_id_is_a_400_naming_it(client: FlaskClient, site_client: httpx.Client,
                                                                        after_reply: str) -> None:
    token = _token(client, "anon-anna")
    answer = site_client.get("/widget/stream", params={"token": token, "after_reply": after_reply})
    assert answer.status_code == 400, answer.text[:200]
    assert [error["field"] for error in answer.json()["errors"]] == ["after_reply"]


def test_statuses_count_once_at_the_send_node(client: FlaskClient, harness) -> None:  # noqa: F811
    flow_id = harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    popup = greeted(harness, anna)["popup"]
    headers = bearer(_token(client, "anon-anna"))

    path = f"/widget/messages/{popup.id}/status"
    assert client.post(path, json={"status": "read"}, headers=headers).json == {"id": popup.id, "new": ["delivered", "read"]}
    assert client.post(path, json={"status": "clicked"}, headers=headers).json["new"] == ["clicked"]
    assert client.post(path, json={"status": "clicked"}, headers=headers).json["new"] == []
    bad = client.post(path, json={"status": "sent"}, headers=headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "status"
    counters = harness.counters(flow_id)["popup"]
    assert (counters["popup:sent"], counters["popup:delivered"], counters["popup:read"], counters["popup:clicked"]) == (
        1, 1, 1, 1)
    assert "popup:queued" not in counters  # shown: out of the queue


def test_a_dismissed_popup_counts_as_seen(client: FlaskClient, harness) -> None:  # noqa: F811
    flow_id = harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    popup = greeted(harness, anna)["popup"]
    response = client.post(f"/widget/messages/{popup.id}/status", json={"status": "dismissed"},
                           headers=bearer(_token(client, "anon-anna")))
    assert response.json["new"] == ["delivered", "read", "dismissed"]
    assert harness.counters(flow_id)["popup"]["popup:dismissed"] == 1


def test_a_reply_joins_the_conversation_and_counts_as_replied(client: FlaskClient, harness) -> None:  # noqa: F811
    flow_id = harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    chat = greeted(harness, anna)["chat"]
    headers = bearer(_token(client, "anon-anna"))

    blank = client.post(f"/widget/messages/{chat.id}/replies", json={"body": "   "}, headers=headers)
    assert blank.status_code == 422 and blank.json["errors"][0]["field"] == "body"
    reply = client.post(f"/widget/messages/{chat.id}/replies", json={"body": "Where is my order?"}, headers=headers)
    assert reply.status_code == 201 and reply.json["message_id"] == chat.id

    items = client.get("/widget/conversation", headers=headers).json["items"]
    assert [(item["kind"], item["body"]) for item in items] == [("message", "Can I help, Anna?"),
                                                                ("reply", "Where is my order?")]
    assert items[0]["sender_name"] == "Anna"
    counters = harness.counters(flow_id)["chat"]
    assert (counters["chat:delivered"], counters["chat:read"], counters["chat:replied"]) == (1, 1, 1)


def test_the_stream_shows_the_text_rendered_for_its_contact(app, harness) -> None:  # noqa: F811
    harness.publish(greeting_flow({**greeting_flow()["nodes"][1]["config"],
                                   "button": {"text": "Go", "url": "https://shop.example/{{ event.promo_code }}"}}))
    anna = visitor(harness, "anon-anna", name="Anna")
    evil = visitor(harness, "anon-evil", name="Eve")
    greeted(harness, anna)
    popup = greeted(harness, evil, promo_code="x")["popup"]
    assert popup.content["title"] == "Hi {{ name }}"  # the ledger keeps the template

    with live_server(app, AUTOMAP_WIDGET_STREAM_LIFETIME=0.5) as server, httpx.Client(base_url=server.url) as http:
        token = http.post("/widget/session", json={"anonymousId": "anon-anna"}, headers=write_key_auth()).json()["token"]
        with http.stream("GET", "/widget/stream", params={"token": token}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = [event for event in sse_events(response.iter_lines())]
    shown = [json.loads(event["data"]) for event in events]
    assert [(m["channel"], m.get("title") or m["body"]) for m in shown] == [("popup", "Hi Anna"), ("chat", "Can I help, Anna?")]
    assert shown[0]["body"] == "Use CART10 today" and shown[0]["button"] == {"text": "Go", "url": "https://shop.example/CART10"}
    assert "email_fallback" not in shown[0]


def test_the_stream_pushes_a_new_message_to_its_visitor_only(app, harness) -> None:  # noqa: F811
    harness.publish(greeting_flow())
    anna = visitor(harness, "anon-anna", name="Anna")
    visitor(harness, "anon-boris", name="Boris")
    received: dict[str, queue.Queue] = {"anon-anna": queue.Queue(), "anon-boris": queue.Queue()}

    # No heartbeat (which reads the ledger) comes before the stream ends: the message can only be pushed.
    with live_server(app, AUTOMAP_WIDGET_STREAM_LIFETIME=3.0, AUTOMAP_WIDGET_HEARTBEAT=60.0) as server:
        url = server.url
        def listen(anonymous_id: str, ready: threading.Event) -> None:
            with httpx.Client(base_url=url, timeout=10) as http:
                token = http.post("/widget/session", json={"anonymousId": anonymous_id},
                                  headers=write_key_auth()).json()["token"]
                with http.stream("GET", "/widget/stream", params={"token": token}) as response:
                    lines = response.iter_lines()
                    assert next(lines).startswith("retry:")
                    ready.set()
                    for event in sse_events(lines):
                        received[anonymous_id].put(event)

        readies = {name: threading.Event() for name in received}
        threads = [threading.Thread(target=listen, args=(name, readies[name])) for name in received]
        for thread in threads:
            thread.start()
        assert all(ready.wait(10) for ready in readies.values())
        greeted(harness, anna)
        first = received["anon-anna"].get(timeout=2)
        for thread in threads:
            thread.join()
    assert json.loads(first["data"])["title"] == "Hi Anna"
    assert received["anon-boris"].empty()
