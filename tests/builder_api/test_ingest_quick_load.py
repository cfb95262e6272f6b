"""The quick loader of tracking calls gives what the marshmallow schemas give, or leaves the call to them."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from builder_api.ingest import routes
from builder_api.ingest.quick_load import load_batch, load_call, quick_load
from builder_api.ingest.schemas import CALL_SCHEMAS, BatchSchema
from tests.builder_api.test_ingest_api import AUTH

COMMON = [
    {"type": "track", "userId": "u-1", "event": "cart_updated", "properties": {"total": 60, "items": [1, 2]},
     "messageId": "m-1", "timestamp": "2026-03-02T10:00:00.000Z", "sentAt": "2026-03-02T10:00:01Z",
     "context": {"userAgent": "Mozilla", "ip": "203.0.113.9", "library": {"name": "analytics-python"}}},
    {"type": "page", "anonymousId": "a-1", "name": "Shop", "properties": {"url": "https://shop.example/p"},
     "context": {"page": {"url": "https://shop.example/p", "title": "P", "extra": 1},
                 "campaign": {"name": "spring", "source": "newsletter"}, "timezone": "Europe/Berlin"}},
    {"type": "screen", "userId": 42, "name": "Home", "category": None, "context": None, "properties": None},
    {"type": "identify", "userId": "u-2", "anonymousId": "a-2",
     "traits": {"email": "a@example.com", "firstName": "Ada", "plan": "pro", "timezone": "Asia/Tokyo"}},
    {"type": "group", "userId": "u-3", "groupId": 7, "traits": {"name": "Acme"}, "integrations": {"All": True}},
    {"type": "alias", "previousId": "a-4", "userId": "u-4", "timestamp": "2026-03-02T10:00:00"},
]

STRINGS = st.one_of(st.sampled_from(["", "x", "Europe/Berlin", "Nowhere/City", "10.0.0.1", "::1", "not-an-ip",
                                     "2026-03-02T10:00:00Z", "2026-03-02 10:00", "2026-13-40T10:00:00", "x" * 201,
                                     "y" * 2001, "track", "page"]), st.text(max_size=5))
VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), STRINGS,
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from(["a", "url", "name"]),
                                                                        STRINGS, max_size=2))
FIELDS = ["type", "userId", "anonymousId", "messageId", "timestamp", "sentAt", "event", "name", "category",
          "properties", "traits", "groupId", "previousId"]
CONTEXT_FIELDS = ["ip", "userAgent", "timezone", "page", "campaign", "locale"]
NESTED_FIELDS = ["url", "title", "name", "source", "email", "phone", "firstName", "timezone", "other"]


def _nested() -> st.SearchStrategy[Any]:
    return st.one_of(VALUES, st.dictionaries(st.sampled_from(NESTED_FIELDS), VALUES, max_size=4))


def _message() -> st.SearchStrategy[dict[str, Any]]:
    """Calls of every type, mostly almost right: each field a likely value or a wrong one."""
    common = st.sampled_from(COMMON)
    changes = st.dictionaries(st.sampled_from(FIELDS), st.one_of(VALUES, st.sampled_from(list(CALL_SCHEMAS))),
                              max_size=3)
    context = st.dictionaries(st.sampled_from(CONTEXT_FIELDS), _nested(), max_size=4)
    traits = st.dictionaries(st.sampled_from(NESTED_FIELDS), VALUES, max_size=3)
    dropped = st.sets(st.sampled_from(FIELDS), max_size=2)
    return st.builds(lambda base, change, ctx, trait, drop: {
        **{key: value for key, value in base.items() if key not in drop}, **change,
        **({"context": ctx} if ctx else {}), **({"traits": trait} if trait else {})},
        common, changes, context, traits, dropped)


def _marshmallow(call_type: Any, message: dict[str, Any]) -> Any:
    try:
        return CALL_SCHEMAS[call_type].load(message)
    except (ValidationError, KeyError, TypeError):
        return "refused"


def test_the_common_calls_take_the_quick_path_and_load_as_the_schemas_load_them() -> None:
    for message in COMMON:
        quick = load_call(message["type"], message)
        assert quick is not None, message
        assert quick == CALL_SCHEMAS[message["type"]].load(message)
    body = {"batch": COMMON, "sentAt": "2026-03-02T10:00:05Z", "context": {"library": {"name": "x"}, "ip": "::1"}}
    assert load_batch(body) == {"batch": BatchSchema().load(body)["batch"]}


def test_the_views_take_the_quick_path_for_well_formed_calls(
        client: FlaskClient, harness, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """/v1/batch and every single-call view hand quick_load a schema it stands in for: a view that
    passed it another would fall back to marshmallow on every call, silently."""
    vouched: list[bool] = []

    def watched(argmap: Any, body: Any) -> Any:
        loaded = quick_load(argmap, body)
        vouched.append(loaded is not None)
        return loaded

    monkeypatch.setattr(routes, "quick_load", watched)
    assert client.post("/v1/batch", json={"batch": COMMON}, headers=AUTH).status_code == 200
    for message in COMMON:
        body = {key: value for key, value in message.items() if key != "type"}
        assert client.post(f"/v1/{message['type']}", json=body, headers=AUTH).status_code == 200, message
    assert vouched == [True] * (1 + len(COMMON))


@settings(max_examples=600, deadline=None)
@given(_message())
def test_whatever_the_quick_path_accepts_the_schemas_load_the_same(message: dict[str, Any]) -> None:
    call_type = message.get("type")
    quick = load_call(call_type, message) if isinstance(call_type, str) else None
    if quick is not None:
        assert quick == _marshmallow(call_type, message)


@settings(max_examples=200, deadline=None)
@given(st.lists(_message(), min_size=1, max_size=3), st.one_of(st.none(), VALUES), st.one_of(st.none(), VALUES))
def test_a_batch_the_quick_path_accepts_loads_as_the_batch_schema_loads_it(messages: list[dict[str, Any]],
                                                                          sent_at: Any, context: Any) -> None:
    body: dict[str, Any] = {"batch": messages}
    if sent_at is not None:
        body["sentAt"] = sent_at
    if context is not None:
        body["context"] = context
    quick = load_batch(body)
    if quick is not None:
        assert quick == {"batch": BatchSchema().load(body)["batch"]}


def test_a_call_the_schemas_refuse_is_left_to_them() -> None:
    bad = [("track", {"userId": "u", "event": ""}), ("track", {"userId": True, "event": "e"}),
           ("page", {"anonymousId": "a", "context": {"ip": "999.1.1.1"}}),
           ("identify", {"userId": "u", "traits": {"timezone": "Mars/Base"}}),
           ("track", {"event": "e"}), ("alias", {"previousId": "p"}),
           ("track", {"userId": "u", "event": "e", "timestamp": "yesterday"})]
    for call_type, message in bad:
        assert load_call(call_type, message) is None
        assert _marshmallow(call_type, message) == "refused"
