"""`/api/suggestions`: event names with counts and property paths with examples, from a bounded recent sample."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from workflow_runtime.audience import suggestions
from workflow_runtime.storage.models import Contact, Event

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def seen(session: Session) -> dict[str, int]:
    """Three contacts and their events: order_paid three times, page twice, Order_refunded and signed_up once."""
    contacts = [
        Contact(name="Anna", properties={"plan": "pro", "address": {"city": "Berlin", "zip": "10115"}, "age": 31},
                last_seen_at=NOW),
        Contact(name="Boris", properties={"plan": "free", "address": {"city": "Kazan"}, "vip": True},
                last_seen_at=NOW - timedelta(hours=1)),
        Contact(name="Carla", properties={"plan": "pro", "note": "x" * 100}, last_seen_at=NOW - timedelta(hours=2)),
    ]
    session.add_all(contacts)
    session.flush()
    anna, boris, carla = (contact.id for contact in contacts)
    happened = [
        (anna, "signed_up", {"source": "ads"}),
        (anna, "order_paid", {"amount": 50, "currency": "EUR", "items": {"count": 2, "skus": {"a": 1}}}),
        (boris, "order_paid", {"amount": 15, "coupon": "SPRING"}),
        (carla, "page", {"url": "/pricing"}),
        (carla, "Order_refunded", {"amount": 15}),
        (anna, "order_paid", {"amount": 70, "currency": "USD"}),
        (boris, "page", {"url": "/"}),
    ]
    session.add_all(Event(contact_id=who, name=name, properties=properties, timestamp=NOW) for who, name, properties
                    in happened)
    session.commit()
    return {"anna": anna, "boris": boris, "carla": carla}


def answer(client: FlaskClient, headers: dict, path: str) -> dict:
    response = client.get(f"/api/suggestions/{path}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_event_names_most_frequent_first_with_counts(client: FlaskClient, admin_headers: dict, seen: dict) -> None:
    assert answer(client, admin_headers, "events")["events"] == [
        {"name": "order_paid", "count": 3}, {"name": "page", "count": 2},
        {"name": "Order_refunded", "count": 1}, {"name": "signed_up", "count": 1}]
    assert answer(client, admin_headers, "events?prefix=ORDER")["events"] == [
        {"name": "order_paid", "count": 3}, {"name": "Order_refunded", "count": 1}], "any case"
    assert answer(client, admin_headers, "events?prefix=order%25")["events"] == [], "% is a character, not a wildcard"
    assert answer(client, admin_headers, "events?prefix=_")["events"] == [], "so is _"
    assert answer(client, admin_headers, "events?limit=1")["events"] == [{"name": "order_paid", "count": 3}]


def test_contact_properties_with_nested_paths_and_examples(client: FlaskClient, admin_headers: dict,
                                                           seen: dict) -> None:
    found = {entry["path"]: entry for entry in answer(client, admin_headers, "properties?scope=contact")["properties"]}
    assert list(found) == ["plan", "address.city", "address.zip", "age", "note", "vip"], "most common first, then by name"
    assert found["plan"] == {"path": "plan", "count": 3, "examples": ["pro", "free"]}
    assert found["address.city"] == {"path": "address.city", "count": 2, "examples": ["Berlin", "Kazan"]}
    assert found["vip"]["examples"] == [True] and found["age"]["examples"] == [31]
    assert found["note"]["examples"] == ["x" * suggestions.EXAMPLE_LENGTH], "long texts are cut"
    prefixed = answer(client, admin_headers, "properties?scope=contact&prefix=Addr")["properties"]
    assert [entry["path"] for entry in prefixed] == ["address.city", "address.zip"]


def test_event_properties_of_one_event_or_of_all(client: FlaskClient, admin_headers: dict, seen: dict) -> None:
    paid = answer(client, admin_headers, "properties?scope=event&event=order_paid")["properties"]
    assert [(entry["path"], entry["count"]) for entry in paid] == [
        ("amount", 3), ("currency", 2), ("coupon", 1), ("items.count", 1), ("items.skus", 1)], "one level of nesting"
    assert paid[0]["examples"] == [70, 15, 50], "latest first"
    assert next(entry for entry in paid if entry["path"] == "items.skus")["examples"] == [], "an object is no example"
    every = answer(client, admin_headers, "properties?scope=event")["properties"]
    assert [entry["path"] for entry in every][:2] == ["amount", "currency"] and "url" in {e["path"] for e in every}
    assert answer(client, admin_headers, "properties?scope=event&event=nothing")["properties"] == []


def test_the_sample_is_bounded(session: Session) -> None:
    contact = Contact(name="Busy", properties={}, last_seen_at=NOW - timedelta(days=1))
    session.add(contact)
    session.flush()
    older = [{"contact_id": contact.id, "name": "old_event", "properties": {"old": 1}, "timestamp": NOW}] * 5
    newer = [{"contact_id": contact.id, "name": "new_event", "properties": {"new": 1}, "timestamp": NOW}] * 5
    session.execute(insert(Event), older + newer)
    session.flush()
    assert suggestions.event_names(session, window=5) == [suggestions.EventName("new_event", 5)]
    assert [entry.path for entry in suggestions.property_paths(session, "event", window=6)] == ["new", "old"]
    assert [entry.count for entry in suggestions.property_paths(session, "event", window=6)] == [5, 1]
    assert [entry.path for entry in suggestions.property_paths(session, "event", event="old_event", window=5)] == []
    assert [entry.count for entry in suggestions.property_paths(session, "event", sample=3)] == [3]
    session.add_all(Contact(name=f"C{n}", properties={f"p{n}": n}, last_seen_at=NOW + timedelta(minutes=n))
                    for n in range(4))
    session.flush()
    assert [entry.path for entry in suggestions.property_paths(session, "contact", sample=2)] == ["p2", "p3"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("properties", "scope"),
        ("properties?scope=segment", "scope"),
        ("properties?scope=contact&event=order_paid", "event"),
        ("properties?scope=event&event=", "event"),
        ("properties?scope=contact&limit=0", "limit"),
        ("events?limit=201", "limit"),
        ("events?prefix=" + "x" * 201, "prefix"),
    ],
)
def test_bad_queries_are_400_naming_the_field(client: FlaskClient, admin_headers: dict, query: str, field: str) -> None:
    response = client.get(f"/api/suggestions/{query}", headers=admin_headers)
    assert response.status_code == 400, response.json
    assert [error["field"] for error in response.json["errors"]] == [field]


@pytest.mark.parametrize("path", ["/api/suggestions/events", "/api/suggestions/properties?scope=contact"])
def test_suggestions_need_the_admin_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
