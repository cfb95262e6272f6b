"""schemathesis against the public surface: every `/v1/*` and `/widget/*` operation, with adversarial bodies.

Anyone may call these (the write key is in every page), so besides schemathesis' generated
requests each operation gets bodies made to break a server: times at and past the ends of
the calendar (year 1, 9999, `+275760-09-13`, numbers of twenty digits, dates that do not
exist), values nested 63 to 900 levels deep, texts of 33 KB to 600 KB, arrays of 100,000
items, thousands of keys, numbers past every integer type, NUL characters. Every answer must
be no server error, have a documented status and content type and match its schema. Bodies
nested past what Python's JSON parser reads (2,000 levels and more) are sent as raw text in a
test of their own. `GET /widget/stream` (server-sent events, served apart) is left out.
Derandomized and capped, so it runs the same way each time; one test, a subtest per operation,
as in test_openapi_schemathesis.
"""
from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder_api.widget.tokens import issue_token
from tests.builder_api.widget_support import greeted, greeting_flow, visitor
from tests.conftest import SERVER_KEY, WRITE_KEY
from workflow_runtime.storage.models import Contact, Event

EXAMPLES_PER_OPERATION = 60


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


Body = dict[str, Any]
Mutation = Callable[[Body], None]

TIMES: list[Any] = [
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59-14:00",
    "+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00Z", "275760-09-13T00:00:00Z", "2026-02-30T10:00:00Z",
    "2026-03-02T25:61:61Z", "2026-03-02T10:00:00+99:00", "1970-01-01T00:00:00Z", "", "yesterday",
    10**20, -(10**20), 2**63, -1, 0, 1.7976931348623157e308, True, [], {},
]


def nested(depth: int, as_list: bool) -> Any:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = [value] if as_list else {"a": value}
    return value


def _set(field: str, make: Callable[[], Any]) -> Mutation:
    """Set `field` of the body, and of each batch message, to a fresh `make()`."""
    def mutate(body: Body) -> None:
        body[field] = make()
        for message in body.get("batch", [])[:3] if isinstance(body.get("batch"), list) else []:
            if isinstance(message, dict):
                message[field] = make()
    mutate.__name__ = f"{field}={str(make())[:30]}"
    return mutate


def mutations() -> list[Mutation]:
    """Every way a body is made adversarial (applied to /v1 and /widget bodies alike)."""
    found: list[Mutation] = []
    for field in ("timestamp", "sentAt", "originalTimestamp"):
        found += [_set(field, lambda time=time: copy.deepcopy(time)) for time in TIMES]
    for field in ("properties", "traits", "context", "body", "anonymousId", "status"):
        for depth in (63, 64, 65, 200, 900):
            found.append(_set(field, lambda depth=depth: nested(depth, as_list=False)))
            found.append(_set(field, lambda depth=depth: nested(depth, as_list=True)))
        found += [
            _set(field, lambda: "x" * 33_000),
            _set(field, lambda: "x" * 600_000),
            _set(field, lambda: {"items": list(range(100_000))}),
            _set(field, lambda: {"items": [{"sku": str(i)} for i in range(2_000)]}),
            _set(field, lambda: {f"k{i}": i for i in range(5_000)}),
            _set(field, lambda: {"n": 10**300, "big": 2**63, "small": -(2**63) - 1, "f": 1.7976931348623157e308}),
            _set(field, lambda: {"nul": "a\x00b", "key\x00": 1}),
        ]
    found.append(_set("event", lambda: "e" * 5_000))
    found.append(_set("userId", lambda: 10**30))
    found.append(_set("batch", lambda: [{"type": "track", "anonymousId": f"a{i}", "event": "e"} for i in range(3_000)]))
    return found


MUTATIONS = mutations()


@pytest.fixture
def messages(harness: Any) -> dict[str, int]:  # noqa: F811 - the runtime harness of the API tests
    """Anna's popup and chat message (her token's), Boris's chat message (another visitor's), and no message."""
    harness.publish(greeting_flow())
    anna = greeted(harness, visitor(harness, "anon-anna", name="Anna"))
    boris = greeted(harness, visitor(harness, "anon-boris", name="Boris"))
    return {"popup": anna["popup"].id, "chat": anna["chat"].id, "others": boris["chat"].id, "none": 2_147_483_000}


def test_every_public_operation_answers_as_documented(
    app: Flask, session: Session, subtests: pytest.Subtests, messages: dict[str, int],
) -> None:
    with app.test_request_context():
        token = issue_token("anon-anna")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [
        operation for operation in (result.ok() for result in schema.get_all_operations())
        if operation.path.startswith(("/v1/", "/widget/"))
    ]
    assert {operation.path for operation in operations} >= {
        "/v1/identify", "/v1/track", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/batch",
        "/widget/session", "/widget/conversation", "/widget/messages/{message_id}/status",
        "/widget/messages/{message_id}/replies",
    }
    for operation in operations:  # tests/conftest.py lifts the rate limit on /widget/session for the fuzzing
        with subtests.test(operation.label):
            check_operation(operation, token, list(messages.values()))


def check_operation(operation: Any, token: str, message_ids: list[int]) -> None:
    """Send generated requests, some made adversarial, with the credentials the operation takes; check each answer."""

    @given(case=operation.as_strategy(), mutation=st.none() | st.sampled_from(MUTATIONS), server_key=st.booleans(),
           who=st.sampled_from([None, "anon-anna", "anon-new"]))
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_documented(case: schemathesis.Case, mutation: Mutation | None, server_key: bool,
                              who: str | None) -> None:
        if operation.path.startswith("/v1/"):
            headers = basic(SERVER_KEY if server_key else WRITE_KEY)
        elif operation.path == "/widget/session":
            headers = basic(WRITE_KEY)
        else:
            headers = {"Authorization": f"Bearer {token}"}
        parameters = case.path_parameters or {}
        if isinstance(parameters.get("message_id"), int):
            parameters["message_id"] = message_ids[parameters["message_id"] % len(message_ids)]
        if operation.path.startswith("/v1/") and who is not None:
            name(case.body, who)
        if mutation is not None and isinstance(case.body, dict):
            mutation(case.body)
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    answers_as_documented()


def name(body: Any, anonymous_id: str) -> None:
    """Give a generated call (and each message of a batch) the anonymousId the API asks for and the OpenAPI schema
    cannot say it does (a userId or an anonymousId), so more bodies reach the code behind the validation."""
    calls = body.get("batch") if isinstance(body, dict) and isinstance(body.get("batch"), list) else [body]
    for call in calls:
        if isinstance(call, dict) and not call.get("userId") and not call.get("anonymousId"):
            call["anonymousId"] = anonymous_id


PUBLIC_POSTS = ["/v1/identify", "/v1/track", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/batch",
                "/widget/session", "/widget/messages/1/status", "/widget/messages/1/replies"]


@pytest.mark.parametrize("path", PUBLIC_POSTS)
@pytest.mark.parametrize("depth", [2_000, 15_000])  # 15,000: past any recursion limit, under 32 KB
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_bodies_nested_past_the_json_parser_are_a_400_and_store_nothing(
    app: Flask, client: FlaskClient, session: Session, path: str, depth: int, content_type: str,
) -> None:
    with app.test_request_context():
        token = issue_token("anon-anna")
    headers = {"Authorization": f"Bearer {token}"} if path.startswith("/widget/messages") else basic(WRITE_KEY)
    deep = "[" * depth + "]" * depth
    body = '{"anonymousId": "a1", "event": "e", "batch": [], "properties": ' + deep + "}"
    response = client.post(path, data=body, content_type=content_type, headers=headers)
    assert response.status_code in (400, 415, 422), (response.status_code, response.json)
    if content_type == "application/json" or path.startswith("/v1/"):
        assert response.status_code == 400 and "nested" in response.json["message"], response.json
    assert session.scalar(select(func.count()).select_from(Event)) == 0
    assert session.scalar(select(func.count()).select_from(Contact)) == 0
