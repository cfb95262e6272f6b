"""Values no database can store are refused with 422, and JSON nested deeper than any request needs with 400,
before any view runs, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder_api.request_values import MAX_DEPTH
from tests.builder_api.widget_support import write_key_auth
from workflow_runtime.storage.models import Contact, Event, Flow, Segment


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


def deep_json(depth: int, leaf: str = '"x"') -> str:
    """A JSON value `depth` levels deep, as text (json.dumps itself recurses once per level)."""
    return '{"a": ' * (depth - 1) + "[" + leaf + "]" + "}" * (depth - 1)


@pytest.mark.parametrize("depth", [65, 200, 900])
@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("post", "/api/flows", '{"name": "Deep", "document": {"schema_version": 2, "name": "Deep", '
                               '"nodes": [{"id": "start", "type": "trigger", "config": {"x": DEEP}}], "edges": []}}'),
        ("post", "/api/flows/import", '{"schema_version": 2, "name": "Deep", '
                                      '"nodes": [{"id": "start", "type": "trigger", "config": {"x": DEEP}}], "edges": []}'),
        ("post", "/api/segments", '{"name": "Deep", "filter": {"all": [DEEP]}}'),
        ("post", "/api/message-templates/1/preview", '{"sample": {"contact": {"deep": DEEP}}}'),
    ],
)
def test_a_document_nested_hundreds_deep_is_a_400_naming_the_place_and_nothing_is_stored(
    client: FlaskClient, admin_headers: dict[str, str], session: Session, depth: int, method: str, path: str,
    template: str,
) -> None:
    """A flow document nested 900 deep was a 500 (RecursionError copying it); 200 deep was stored."""
    body = template.replace("DEEP", deep_json(depth))
    response = getattr(client, method)(path, data=body, content_type="application/json", headers=admin_headers)
    assert response.status_code == 400, response.json
    assert f"nested more than {MAX_DEPTH} levels deep at /" in response.json["message"]
    [error] = response.json["errors"]
    assert error["location"] == "json" and error["pointer"].count("/") == MAX_DEPTH
    assert error["pointer"].startswith({"/api/flows": "/document/nodes/0/config/x/a/a",
                                        "/api/flows/import": "/nodes/0/config/x/a/a",
                                        "/api/segments": "/filter/all/0/a/a",
                                        "/api/message-templates/1/preview": "/sample/contact/deep/a/a"}[path])
    assert session.scalar(select(func.count()).select_from(Flow)) == 0
    assert session.scalar(select(func.count()).select_from(Segment)) == 0


def test_a_body_as_deep_as_allowed_is_read(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    """MAX_DEPTH levels, counting the body itself, pass the check (and a draft may be saved however wrong it is)."""
    body = '{"name": "Deep", "document": {"nodes": [{"config": ' + deep_json(MAX_DEPTH - 4) + "}]}}"
    response = client.post("/api/flows", data=body, content_type="application/json", headers=admin_headers)
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_tracking_calls_nested_hundreds_deep_are_a_400_and_nothing_is_stored(
    client: FlaskClient, session: Session, content_type: str
) -> None:
    for depth in (65, 900):
        body = '{"anonymousId": "visitor-1", "event": "cart_updated", "properties": {"cart": ' + deep_json(depth) + "}}"
        response = client.post("/v1/track", data=body, content_type=content_type, headers=write_key_auth())
        assert response.status_code == 400, response.json
        assert response.json["errors"][0]["pointer"].startswith("/properties/cart/a/a")
    assert session.scalar(select(func.count()).select_from(Event)) == 0
    assert session.scalar(select(func.count()).select_from(Contact)) == 0
