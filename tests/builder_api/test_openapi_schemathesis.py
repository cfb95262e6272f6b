"""schemathesis against /api/openapi.json: generated requests (valid and not) to every operation, through WSGI.

Every answer must be no server error, have a documented status and content type, and
match its documented schema; requests that break the schema must be refused with a 4xx.
Not checked: that every schema-valid request is accepted — a flow document, an audience
or a version number can match its OpenAPI schema and still be refused with a 4xx naming
why (no trigger, unknown contact). Generated ids are mapped onto flows that exist (a live
one with two versions, a live broadcast, a draft), so the operations get past their 404s.
Derandomized and capped, so it runs the same way each time. The operations are walked in
one test (a subtest each) because schemathesis' fixture-based pytest loader does not run on pytest 9.
"""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from tests.conftest import ADMIN_TOKEN

EXAMPLES_PER_OPERATION = 20
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def seed_flows(app: Flask, documents: list[dict[str, Any]]) -> list[int]:
    """A live flow per document (the first published twice) and a draft copy of the first; their ids."""
    client = app.test_client()
    ids = []
    for document in documents:
        flow = client.post("/api/flows", json={"name": document["name"], "document": document}, headers=AUTH).json
        assert client.post(f"/api/flows/{flow['id']}/publish", headers=AUTH).status_code == 201
        ids.append(flow["id"])
    assert client.post(f"/api/flows/{ids[0]}/publish", headers=AUTH).status_code == 201
    ids.append(client.post(f"/api/flows/{ids[0]}/duplicate", headers=AUTH).json["id"])
    return ids


def aim(case: schemathesis.Case, flow_ids: list[int]) -> None:
    """Point the generated path ids at flows that exist (and, now and then, at versions and templates that do)."""
    parameters = case.path_parameters or {}
    if isinstance(parameters.get("flow_id"), int):
        parameters["flow_id"] = flow_ids[parameters["flow_id"] % len(flow_ids)]
    if isinstance(parameters.get("number"), int):
        parameters["number"] = parameters["number"] % 3 + 1  # versions 1 and 2 exist, 3 does not
    if isinstance(parameters.get("slug"), str) and len(parameters["slug"]) % 2 == 0:
        parameters["slug"] = "abandoned_cart"


def test_every_operation_answers_as_documented(
    app: Flask, session: Session, subtests: pytest.Subtests, cart_document: dict[str, Any],
    broadcast_document: dict[str, Any],
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        flow_ids = seed_flows(app, [cart_document, broadcast_document])
        with subtests.test(operation.label):
            check_operation(operation, flow_ids)


def check_operation(operation: Any, flow_ids: list[int]) -> None:
    """Send the operation's generated requests, aimed at existing flows, and check every answer."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_documented(case: schemathesis.Case) -> None:
        aim(case, flow_ids)
        case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance])

    answers_as_documented()
