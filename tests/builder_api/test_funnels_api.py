"""`/api/reports/funnels`: compute a funnel, list who reached or dropped at a step, make them a segment, save funnels;
bad definitions answered 400 naming their JSON pointer."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

SHOP = {"steps": [{"event": "viewed"}, {"event": "cart_updated", "where": [{"property": "total", "op": "gt", "value": 0}]},
                  {"event": "order_paid"}], "window": "PT1H"}


def _shoppers(harness) -> dict[str, int]:  # noqa: ANN001
    """Ann buys, Bo fills the cart and stops, Cy only looks, Di's cart is empty (total 0): by name, their ids."""
    people = {name: harness.contact(name=name) for name in ("Ann", "Bo", "Cy", "Di")}
    for name in people:
        harness.record_event(people[name], "viewed", seconds_ago=3000)
    for name, total in (("Ann", 40), ("Bo", 25), ("Di", 0)):
        harness.record_event(people[name], "cart_updated", {"total": total}, seconds_ago=2000)
    harness.record_event(people["Ann"], "order_paid", {"amount": 40}, seconds_ago=1000)
    return people


def _definition(harness, **changes: Any) -> dict[str, Any]:  # noqa: ANN001
    moment = harness.clock.now()
    return {**SHOP, "from": (moment - timedelta(days=1)).isoformat(), "to": moment.isoformat(), **changes}


def test_a_funnel_counts_each_step_and_lists_who_dropped(client: FlaskClient, harness, admin_headers) -> None:  # noqa: ANN001
    people = _shoppers(harness)
    computed = client.post("/api/reports/funnels/compute", json=_definition(harness), headers=admin_headers)
    assert computed.status_code == 200, computed.json
    assert [(step["label"], step["count"]) for step in computed.json["steps"]] == [
        ("viewed", 4), ("cart_updated", 2), ("order_paid", 1)]
    assert [step["median_seconds_from_previous"] for step in computed.json["steps"]] == [None, 1000.0, 1000.0]
    assert computed.json["steps"][1]["rate_from_previous"] == 0.5

    dropped = client.post("/api/reports/funnels/contacts", headers=admin_headers, json={
        "definition": _definition(harness), "step": 2, "outcome": "dropped"})
    assert dropped.status_code == 200, dropped.json
    assert [(item["id"], item["name"]) for item in dropped.json["items"]] == [(people["Bo"], "Bo")]

    made = client.post("/api/reports/funnels/segment", headers=admin_headers, json={
        "definition": _definition(harness), "step": 1, "outcome": "dropped", "name": "Looked, no cart"})
    assert made.status_code == 201, made.json
    assert made.json["count"] == 2
    members = client.post("/api/segments/preview", json={"filter": made.json["filter"]}, headers=admin_headers)
    assert sorted(contact["id"] for contact in members.json["contacts"]) == sorted([people["Cy"], people["Di"]])


def test_bad_definitions_name_their_pointer(client: FlaskClient, harness, admin_headers) -> None:  # noqa: ANN001
    cases = [
        ({**SHOP, "steps": [{"event": "viewed"}]}, "/steps"),
        ({**SHOP, "window": "P1M"}, "/window"),
        ({**SHOP, "window": "soon"}, "/window"),
        ({**SHOP, "steps": [{"event": "a"}, {"event": "b", "where": [{"property": "x", "op": "near", "value": 1}]}]},
         "/steps/1"),
        ({**SHOP, "breakdown": {"by": "property"}}, "/breakdown/property"),
        ({**SHOP, "from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "/from"),
        ({**SHOP, "from": "0001-01-01T00:00:00+05:00"}, "/from"),
        ({**SHOP, "breakdown": {"by": "property", "property": 'a"b'}}, "/breakdown/property"),
        ({**SHOP, "breakdown": {"by": "segment", "segment_id": 999}}, "/breakdown/segment_id"),
    ]
    for definition, pointer in cases:
        answer = client.post("/api/reports/funnels/compute", json=definition, headers=admin_headers)
        assert answer.status_code in (400, 422), (pointer, answer.json)
        assert pointer in [error["pointer"] for error in answer.json["errors"]], answer.json
    wrong_step = client.post("/api/reports/funnels/contacts", headers=admin_headers, json={
        "definition": SHOP, "step": 3, "outcome": "dropped"})
    assert wrong_step.status_code == 400 and wrong_step.json["errors"][0]["pointer"] == "/definition/step"


def test_saved_funnels(client: FlaskClient, harness, admin_headers) -> None:  # noqa: ANN001
    saved = client.post("/api/reports/funnels", json={"name": "Shop", "definition": SHOP}, headers=admin_headers)
    assert saved.status_code == 201, saved.json
    assert saved.json["definition"]["steps"][1]["where"] == SHOP["steps"][1]["where"]
    again = client.post("/api/reports/funnels", json={"name": "Shop", "definition": SHOP}, headers=admin_headers)
    assert again.status_code == 409 and again.json["errors"][0]["pointer"] == "/name"
    url = f"/api/reports/funnels/{saved.json['id']}"
    renamed = client.put(url, json={"name": "Shop, strict", "definition": {**SHOP, "order": "strict"}},
                         headers=admin_headers)
    assert (renamed.json["name"], renamed.json["definition"]["order"]) == ("Shop, strict", "strict")
    assert [item["name"] for item in client.get("/api/reports/funnels", headers=admin_headers).json["items"]] == [
        "Shop, strict"]
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert client.get(url, headers=admin_headers).status_code == 404
