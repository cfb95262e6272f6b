"""/v1: traits and properties nest at most MAX_PROPERTY_DEPTH levels; deeper is a 400 naming the place."""
from __future__ import annotations

import gzip
import json
from typing import Any

from flask.testing import FlaskClient

from builder_api.ingest.body import MAX_PROPERTY_DEPTH
from tests.builder_api.test_ingest_api import AUTH, count, post, stored
from workflow_runtime.storage.models import Contact, Event


def nest(levels: int, key: str = "a") -> Any:
    """`levels` objects, one inside the other: {"a": {"a": … 1}}."""
    value: Any = 1
    for _ in range(levels):
        value = {key: value}
    return value


def test_traits_as_deep_as_allowed_are_kept(client: FlaskClient, harness) -> None:
    answer = post(client, "identify", {"userId": "u-1", "traits": nest(MAX_PROPERTY_DEPTH, "plan")})
    assert answer.status_code == 200, answer.json
    [contact] = stored(harness, Contact)
    assert contact.properties["plan"] == nest(MAX_PROPERTY_DEPTH - 1, "plan")  # the traits object is the first level


def test_traits_one_level_deeper_are_400_naming_the_place(client: FlaskClient, harness) -> None:
    answer = post(client, "identify", {"userId": "u-1", "traits": nest(MAX_PROPERTY_DEPTH + 1)})
    assert answer.status_code == 400, answer.json
    [error] = answer.json["errors"]
    where = "/traits" + "/a" * MAX_PROPERTY_DEPTH  # the first object past the limit
    assert error == {"field": where.lstrip("/").replace("/", "."), "pointer": where, "location": "json",
                     "message": f"This value nests more than {MAX_PROPERTY_DEPTH} levels of objects and lists inside traits."}
    assert answer.json["message"].startswith(f"Traits and properties may nest at most {MAX_PROPERTY_DEPTH} levels")
    assert where in answer.json["message"]
    assert count(harness, Contact) == count(harness, Event) == 0


def test_lists_count_as_levels_and_every_deep_value_of_a_batch_is_named(client: FlaskClient, harness) -> None:
    in_lists: Any = ["deep"]
    for _ in range(MAX_PROPERTY_DEPTH - 1):
        in_lists = [in_lists]
    messages = [
        {"type": "track", "userId": "u-1", "event": "fine", "properties": {"ok": nest(10)}},
        {"type": "track", "userId": "u-1", "event": "deep", "properties": {"items": in_lists}},
        {"type": "identify", "userId": "u-2", "traits": nest(MAX_PROPERTY_DEPTH + 1)},
        {"type": "group", "userId": "u-2", "groupId": "acme", "traits": {"plan": nest(MAX_PROPERTY_DEPTH)}},
    ]
    # gzipped, as the Segment libraries send batches: the check reads the decompressed body
    answer = client.post("/v1/batch", data=gzip.compress(json.dumps({"batch": messages}).encode()),
                         headers={**AUTH, "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.json
    assert [error["pointer"] for error in answer.json["errors"]] == [
        "/batch/1/properties/items" + "/0" * (MAX_PROPERTY_DEPTH - 1),
        "/batch/2/traits" + "/a" * MAX_PROPERTY_DEPTH,
        "/batch/3/traits/plan" + "/a" * (MAX_PROPERTY_DEPTH - 1),
    ]
    assert count(harness, Contact) == count(harness, Event) == 0, "a batch with one bad message stores nothing"


def test_the_context_is_left_to_the_limit_of_every_json_body(client: FlaskClient, harness) -> None:
    answer = post(client, "track", {"userId": "u-1", "event": "seen", "context": {"library": nest(MAX_PROPERTY_DEPTH + 10)}})
    assert answer.status_code == 200, answer.json
    assert count(harness, Event) == 1


def test_a_deep_track_property_is_refused_on_the_quick_path_too(client: FlaskClient, harness) -> None:
    answer = post(client, "track", {"userId": "u-1", "event": "order_paid", "properties": {"order": nest(MAX_PROPERTY_DEPTH)}})
    assert answer.status_code == 400
    [error] = answer.json["errors"]
    assert error["pointer"] == "/properties/order" + "/a" * (MAX_PROPERTY_DEPTH - 1)
