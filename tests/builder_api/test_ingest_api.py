"""The /v1 tracking endpoints over HTTP: Segment's spec, the write key, limits, CORS, and events reaching flows."""
from __future__ import annotations

import base64
import gzip
import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import SERVER_KEY, WRITE_KEY
from tests.workflow_runtime.runtime_support import assert_counters_balance, document
from workflow_runtime.storage.models import AnonymousId, Contact, Event, RunStatus

# Most calls here are a backend's, with the server key; the site key's limits are tested in test_identity_verification.
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{SERVER_KEY}:".encode()).decode()}


def post(client: FlaskClient, path: str, body: Any, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
    return client.post(f"/v1/{path}", json=body, headers={**AUTH, **(headers or {})}, **kwargs)


def stored(harness, model: Any) -> list[Any]:
    with harness.session() as session:
        return list(session.scalars(select(model).order_by(*model.__table__.primary_key.columns)))


def count(harness, model: Any) -> int:
    with harness.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_every_call_type_is_accepted_and_stored(client: FlaskClient, harness) -> None:
    calls = {
        "identify": {"userId": "u-1", "anonymousId": "a-1", "traits": {"email": "anna@example.com", "plan": "pro"}},
        "track": {"userId": "u-1", "event": "cart_updated", "properties": {"total": 12.5}, "messageId": "m-track"},
        "page": {"anonymousId": "a-1", "name": "Home", "properties": {"url": "https://shop.example/?utm_source=ads"}},
        "screen": {"userId": "u-1", "name": "Cart", "properties": None, "context": None},
        "group": {"userId": "u-1", "groupId": "acme", "traits": {"seats": 5}},
        "alias": {"previousId": "a-2", "userId": "u-1"},
    }
    for path, body in calls.items():
        answer = post(client, path, body)
        assert (answer.status_code, answer.json) == (200, {"success": True}), (path, answer.json)

    [anna] = stored(harness, Contact)
    assert (anna.user_id, anna.email, anna.properties) == (
        "u-1", "anna@example.com", {"plan": "pro", "group": {"id": "acme", "seats": 5}})
    assert {link.anonymous_id for link in stored(harness, AnonymousId)} == {"a-1", "a-2"}
    tracked, viewed, screened = stored(harness, Event)
    assert (tracked.name, tracked.properties, tracked.message_id) == ("cart_updated", {"total": 12.5}, "m-track")
    assert (viewed.name, viewed.page_url, viewed.utm_source) == ("page_viewed", "https://shop.example/?utm_source=ads", "ads")
    assert screened.name == "screen_viewed"
    assert tracked.context["ip"] == "127.0.0.1", "the client's address, as Segment fills in a missing context.ip"


def test_a_batch_stores_every_message_with_the_shared_context_and_sent_at(client: FlaskClient, harness) -> None:
    now = harness.clock.now()
    batch = {
        "sentAt": (now + timedelta(minutes=10)).isoformat(),  # the client's clock is 10 minutes fast
        "context": {"library": {"name": "site-widget"}},
        "batch": [
            {"type": "track", "anonymousId": "a", "event": "viewed", "timestamp": (now + timedelta(minutes=9)).isoformat()},
            {"type": "page", "anonymousId": "a", "context": {"page": {"url": "https://shop.example/cart", "title": "Cart"}}},
            {"type": "identify", "anonymousId": "a", "userId": "u-1", "traits": {"name": "Boris"}},
        ],
    }
    assert post(client, "batch", batch).status_code == 200
    viewed, cart = stored(harness, Event)
    assert viewed.timestamp == now - timedelta(minutes=1)
    assert viewed.context["library"] == {"name": "site-widget"}
    assert (cart.page_title, cart.context["library"]) == ("Cart", {"name": "site-widget"})
    [boris] = stored(harness, Contact)
    assert (boris.user_id, boris.name) == ("u-1", "Boris")


def test_a_repeated_message_id_is_stored_once(client: FlaskClient, harness) -> None:
    message = {"type": "track", "userId": "u-1", "event": "order_paid", "messageId": "retry-me"}
    assert post(client, "batch", {"batch": [message, message]}).status_code == 200
    assert post(client, "track", message).status_code == 200
    assert count(harness, Event) == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic " + base64.b64encode(b"wrong-key:").decode()},
                                     {"Authorization": "Bearer " + WRITE_KEY}])
def test_a_missing_or_wrong_write_key_is_401(client: FlaskClient, harness, headers: dict[str, str]) -> None:
    answer = client.post("/v1/track", json={"userId": "u", "event": "x"}, headers=headers)
    assert answer.status_code == 401
    assert "write key" in answer.json["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert count(harness, Event) == 0


def test_a_beacon_sends_text_plain_json_with_the_write_key_inside(client: FlaskClient, harness) -> None:
    body = json.dumps({"writeKey": WRITE_KEY, "anonymousId": "a", "event": "left_page"})
    answer = client.post("/v1/track", data=body, content_type="text/plain;charset=UTF-8")
    assert answer.status_code == 200
    wrong = client.post("/v1/track", data=json.dumps({"writeKey": "nope", "anonymousId": "a", "event": "x"}),
                        content_type="text/plain")
    assert wrong.status_code == 401
    assert [e.name for e in stored(harness, Event)] == ["left_page"]


def test_a_gzipped_batch_is_accepted(client: FlaskClient, harness) -> None:
    body = gzip.compress(json.dumps({"batch": [{"type": "track", "userId": "u", "event": "zipped"}]}).encode())
    answer = client.post("/v1/batch", data=body, headers={**AUTH, "Content-Encoding": "gzip",
                                                           "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert [e.name for e in stored(harness, Event)] == ["zipped"]
    broken = client.post("/v1/batch", data=b"not gzip", headers={**AUTH, "Content-Encoding": "gzip"})
    assert broken.status_code == 400 and "gzip" in broken.json["message"]


def test_values_postgresql_cannot_store_are_422_however_the_body_is_sent(client: FlaskClient, harness) -> None:
    """A NUL character or NaN fails the write half-way on PostgreSQL: refused first, whichever way the JSON came."""
    message = {"type": "track", "userId": "u", "event": "nul\u0000here", "properties": {"total": float("nan")}}
    beacon = json.dumps({"writeKey": WRITE_KEY, **message})
    zipped = gzip.compress(json.dumps({"batch": [message]}).encode())
    answers = [
        client.post("/v1/track", data=beacon, content_type="text/plain"),
        client.post("/v1/batch", data=zipped, headers={**AUTH, "Content-Encoding": "gzip",
                                                       "Content-Type": "application/json"}),
    ]
    for answer, prefix in zip(answers, ["", "/batch/0"]):
        assert answer.status_code == 422, answer.json
        assert {error["pointer"] for error in answer.json["errors"]} == {f"{prefix}/event", f"{prefix}/properties/total"}
    assert count(harness, Event) == 0


def test_oversize_requests_and_messages_are_refused_with_their_size(client: FlaskClient, harness) -> None:
    big = "x" * (33 * 1024)
    single = post(client, "track", {"userId": "u", "event": "big", "properties": {"blob": big}})
    assert single.status_code == 413
    assert "32 KB" in single.json["message"] and "/v1/batch" in single.json["message"]

    huge = [{"type": "track", "userId": "u", "event": "e", "properties": {"blob": "y" * 30_000}} for _ in range(18)]
    batch = post(client, "batch", {"batch": huge})
    assert batch.status_code == 413 and "500 KB" in batch.json["message"]

    messages = [{"type": "track", "userId": "u", "event": "ok"} for _ in range(4)]
    messages[3]["properties"] = {"blob": big}
    one_too_big = post(client, "batch", {"batch": messages})
    assert one_too_big.status_code == 400
    [error] = one_too_big.json["errors"]
    assert error["pointer"] == "/batch/3" and "32 KB" in error["message"]

    bomb = gzip.compress(json.dumps({"batch": [{"type": "track", "userId": "u", "event": "z" * 200}] * 5000}).encode())
    assert len(bomb) < 500 * 1024
    zipped = client.post("/v1/batch", data=bomb, headers={**AUTH, "Content-Encoding": "gzip"})
    assert zipped.status_code == 413 and "decompressed" in zipped.json["message"]
    assert count(harness, Event) == 0


@pytest.mark.parametrize(("path", "body", "pointer"), [
    ("track", {"userId": "u"}, "/event"),
    ("track", {"event": "x"}, "/userId"),
    ("track", {"userId": "u", "event": "x", "properties": [1, 2]}, "/properties"),
    ("track", {"userId": "u", "event": "x", "timestamp": "last tuesday"}, "/timestamp"),
    ("track", {"userId": {"id": 1}, "event": "x"}, "/userId"),
    ("track", {"userId": "u", "event": "x" * 201}, "/event"),
    ("page", {"anonymousId": "a", "context": {"page": {"url": 42}}}, "/context/page/url"),
    ("page", {"anonymousId": "a", "context": {"campaign": {"source": "s" * 201}}}, "/context/campaign/source"),
    ("track", {"userId": "u", "event": "x", "context": {"ip": "999.1.1.1"}}, "/context/ip"),
    ("track", {"userId": "u", "event": "x", "context": {"timezone": "Moon/Base"}}, "/context/timezone"),
    ("identify", {"userId": "u", "traits": {"email": ["a@b.c"]}}, "/traits/email"),
    ("identify", {"userId": "u", "traits": "vip"}, "/traits"),
    ("group", {"userId": "u"}, "/groupId"),
    ("alias", {"userId": "u"}, "/previousId"),
    ("batch", {"batch": {"type": "track"}}, "/batch"),
    ("batch", {"batch": [{"type": "track", "userId": "u", "event": "ok"}] * 3 + [{"type": "track", "userId": "u"}]},
     "/batch/3/event"),
    ("batch", {"batch": [{"type": "purchase", "userId": "u"}]}, "/batch/0/type"),
    ("batch", {"batch": ["track"]}, "/batch/0"),
])
def test_malformed_calls_are_400_naming_the_field(client: FlaskClient, harness, path: str, body: Any,
                                                   pointer: str) -> None:
    answer = post(client, path, body)
    assert answer.status_code == 400, answer.json
    assert pointer in [error["pointer"] for error in answer.json["errors"]], answer.json
    assert pointer.lstrip("/").replace("/", ".") in answer.json["message"]
    assert count(harness, Event) == count(harness, Contact) == 0, "a batch with one bad message stores nothing"


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b"\xff\xfe", b'{"n": ' + b"9" * 5000 + b"}",
                                  b'{"a": ' + b"[" * 15_000 + b"]" * 15_000 + b"}"])
def test_a_body_that_is_not_a_json_object_is_400(client: FlaskClient, harness, data: bytes) -> None:
    answer = client.post("/v1/track", data=data, headers={**AUTH, "Content-Type": "application/json"})
    assert answer.status_code == 400 and "JSON" in answer.json["message"]


def test_browsers_on_any_site_may_call_it(client: FlaskClient, harness) -> None:
    preflight = client.options("/v1/batch", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    for headers in (AUTH, {}):  # an accepted call and a refused one both let the page read the answer
        answer = client.post("/v1/track", json={"anonymousId": "a", "event": "x"},
                             headers={**headers, "Origin": "https://shop.example"})
        assert answer.headers["Access-Control-Allow-Origin"] in ("*", "https://shop.example")


def test_a_tracked_event_enrols_the_contact_and_the_runtime_advances_it(client: FlaskClient, harness) -> None:
    flow_id = harness.publish(document(
        "Abandoned cart",
        {"cart": ("trigger", {"on": "event", "event": "cart_updated",
                              "where": [{"property": "total", "op": "gt", "value": 0}]}),
         "paid": ("wait_for_event", {"event": "order_paid", "timeout": "PT1H"}),
         "popup": ("send_popup", {"size": "small", "title": "Your cart", "body": "Take 10% off: CART10"}),
         "done": ("exit", {})},
        [("cart", "next", "paid"), ("paid", "event", "done"), ("paid", "timeout", "popup"), ("popup", "next", "done")],
        goal={"event": "order_paid", "within": "P7D", "revenue_property": "amount"},
    ))
    assert post(client, "track", {"anonymousId": "visitor", "event": "cart_updated", "properties": {"total": 0}}).status_code == 200
    assert post(client, "track", {"anonymousId": "visitor", "event": "cart_updated", "properties": {"total": 80}}).status_code == 200
    harness.drain()
    [run] = harness.runs(flow_id)
    assert (run.status, run.node_id) == (RunStatus.WAITING, "paid")

    harness.advance(timedelta(hours=1, minutes=1))
    [popup] = harness.messages(run.contact_id)
    assert popup.content["body"] == "Take 10% off: CART10"

    assert post(client, "track", {"anonymousId": "visitor", "event": "order_paid", "properties": {"amount": 80}}).status_code == 200
    harness.drain()
    [run] = harness.runs(flow_id)
    assert run.converted_at is not None and float(run.revenue) == 80.0
    assert harness.counters(flow_id)["cart"]["converted"] == 1
    assert_counters_balance(harness, flow_id)
