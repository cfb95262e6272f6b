"""Values no database can store are refused with 422 before any view runs, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_runtime.storage.models import Flow


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "Cart\x00"}, "/name"),
        ({"name": "Cart", "document": {"nodes": [{"id": "a\ud800"}]}}, "/document/nodes/0/id"),
        ({"name": "Cart", "document": {"nodes": [], "x\x00": 1}}, "/document/x\x00"),
        ({"name": "Cart", "document": {"nodes": [], "settings": {"weight": float("nan")}}}, "/document/settings/weight"),
    ],
)
def test_unstorable_body_values_are_named_and_nothing_is_written(
    client: FlaskClient, admin_headers: dict[str, str], session: Session, body: dict[str, Any], pointer: str
) -> None:
    response = client.post("/api/flows", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert [(error["pointer"], error["location"]) for error in response.json["errors"]] == [(pointer, "json")]
    assert session.scalar(select(func.count()).select_from(Flow)) == 0


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b'{"name": "Cart", "document": {"weight": 1e999}}', "/document/weight"),
        (b'{"name": "Cart", "document": {"weight": -Infinity}}', "/document/weight"),
        (b'{"name": "Cart", "document": {"weight": ' + b"9" * 400 + b'.5}}', "/document/weight"),
        (b'{"name": "Cart", "document": {"weight": ' + b"9" * 250 + b'e99}}', "/document/weight"),
        (b'{"name": "Cart\\uDBFF"}', "/name"),
        ('{"name": "Cart\ud800"}'.encode("utf-8", "surrogatepass"), "/name"),
        ('{"name": "Cart\\u0000"}'.encode("utf-16"), "/name"),
        ('{"name": "Cart\\u0000"}'.encode("utf-32"), "/name"),
    ],
    ids=["overflowing exponent", "Infinity", "overflowing digits", "digits and a two-digit exponent",
         "upper-case surrogate escape", "surrogate as UTF-8 bytes", "UTF-16", "UTF-32"],
)
def test_unstorable_values_are_found_however_the_json_text_spells_them(
    client: FlaskClient, admin_headers: dict[str, str], body: bytes, pointer: str
) -> None:
    """The body is walked only when its text could hold such a value: these spellings all do."""
    response = client.post("/api/flows", data=body, content_type="application/json", headers=admin_headers)
    assert response.status_code == 422, response.json
    assert [error["pointer"] for error in response.json["errors"]] == [pointer]


def test_an_unstorable_query_value_is_refused(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/flows?q=%00", headers=admin_headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "q"


def test_json_nested_too_deeply_is_a_400(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post("/api/flows", data="[" * 100_000, content_type="application/json", headers=admin_headers)
    assert response.status_code == 400
    assert "nested too deeply" in response.json["message"]
