"""`/api/reports/revenue` over orders the real runtime applied: by first-touch source (adding up to the total) and
by flow (what each goal credited, which does not), the contacts behind a row, the revenue events setting, and a
400 naming the field for bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.workflow_runtime.runtime_support import document, track_all
from workflow_runtime.storage.models import Event

DAY0 = "2026-03-02"  # the harness's start


@pytest.fixture
def shop(harness) -> dict:  # noqa: ANN001 - the Harness fixture
    """Three shoppers, two from google ads, one untagged: four orders over two days, one of them credited by two
    flows' goals, one by none; a `purchase` with a price that is revenue only once the setting says so."""
    goal = {"event": "order_paid", "within": "P7D", "revenue_property": "amount"}
    flows = {name: harness.publish(document(
        name, {"start": ("trigger", {"event": trigger}), "hold": ("wait", {"duration": "P3D"}), "end": ("exit", {})},
        [("start", "next", "hold"), ("hold", "next", "end")], goal=goal)) for name, trigger in
        (("Cart rescue", "cart_updated"), ("Welcome", "signed_up"))}
    ann, bob, cid = (harness.contact(name=name, email=f"{name.lower()}@example.com") for name in ("Ann", "Bob", "Cid"))
    with harness.runtime.sessions.begin() as session:
        for contact_id in (ann, bob):
            session.add(Event(contact_id=contact_id, name="page", properties={}, timestamp=harness.clock.now(),
                              utm_source="google", utm_medium="cpc"))
    track_all(harness, [ann], "cart_updated")
    track_all(harness, [ann], "signed_up")
    track_all(harness, [bob], "cart_updated")
    track_all(harness, [ann], "order_paid", {"amount": 30})  # credited by both flows
    track_all(harness, [cid], "order_paid", {"amount": "12.50"})  # no flow: Cid entered none
    track_all(harness, [cid], "purchase", {"price": 100})
    harness.advance(timedelta(days=1))
    track_all(harness, [bob], "order_paid", {"amount": 20})  # credited by Cart rescue
    track_all(harness, [bob], "order_paid", {"amount": "soon"})  # no amount: no order
    return {"ann": ann, "bob": bob, "cid": cid, **flows}


def report(client: FlaskClient, headers: dict, query: str) -> dict:
    response = client.get(f"/api/reports/revenue?from={DAY0}&to=2026-03-03&{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_revenue_by_source_adds_up_to_the_orders(client: FlaskClient, admin_headers: dict, shop: dict) -> None:
    found = report(client, admin_headers, "by=source")
    assert found["periods"] == [DAY0, "2026-03-03"]
    assert (found["total"]["revenue"], found["total"]["count"], found["total"]["contacts"]) == (62.5, 3, 3)
    assert [(point["revenue"], point["count"]) for point in found["total"]["points"]] == [(42.5, 2), (20.0, 1)]
    assert [(group["key"], group["revenue"], group["count"], group["contacts"]) for group in found["groups"]] == [
        ("google", 50.0, 2, 2), ("(none)", 12.5, 1, 1)]
    assert (found["additive"], found["counts"], found["note"]) == (True, "orders", None)
    medium = report(client, admin_headers, "by=medium&interval=week")
    assert [(group["key"], group["revenue"]) for group in medium["groups"]] == [("cpc", 50.0), ("(none)", 12.5)]
    assert medium["periods"] == [DAY0] and medium["total"]["points"] == [{"period": DAY0, "revenue": 62.5, "count": 3}]


def test_revenue_by_flow_is_what_each_goal_credited(client: FlaskClient, admin_headers: dict, shop: dict) -> None:
    found = report(client, admin_headers, "by=flow")
    assert [(group["key"], group["label"], group["revenue"], group["count"]) for group in found["groups"]] == [
        (str(shop["Cart rescue"]), "Cart rescue", 50.0, 2), (str(shop["Welcome"]), "Welcome", 30.0, 1)]
    assert found["total"]["revenue"] == 62.5, "the orders' total, beside the credits"
    assert (found["additive"], found["counts"]) == (False, "conversions") and "counts in both" in found["note"]


def test_the_contacts_behind_a_row(client: FlaskClient, admin_headers: dict, shop: dict) -> None:
    def behind(query: str) -> dict:
        response = client.get(f"/api/reports/revenue/contacts?from={DAY0}&to=2026-03-03&{query}", headers=admin_headers)
        assert response.status_code == 200, response.json
        return response.json

    google = behind("by=source&key=google")
    assert google["total"] == 2
    assert [(c["id"], c["name"], c["revenue"]) for c in google["contacts"]] == [(shop["ann"], "Ann", 30.0),
                                                                                 (shop["bob"], "Bob", 20.0)]
    assert google["contacts"][1]["at"].startswith("2026-03-03T10:00:00")
    assert [c["id"] for c in behind("by=source&key=google&limit=1&offset=1")["contacts"]] == [shop["bob"]]
    assert [c["email"] for c in behind("by=source&key=(none)")["contacts"]] == ["cid@example.com"]
    assert [(c["id"], c["revenue"]) for c in behind(f"by=flow&key={shop['Cart rescue']}")["contacts"]] == [
        (shop["ann"], 30.0), (shop["bob"], 20.0)]
    assert behind("by=source&key=bing") == {"contacts": [], "total": 0}


def test_which_events_are_orders_is_a_setting(client: FlaskClient, admin_headers: dict, shop: dict) -> None:
    shown = client.get("/api/reports/revenue/events", headers=admin_headers).json
    assert shown == {"items": [{"event": "order_paid", "amount_property": "amount"},
                               {"event": "Order Completed", "amount_property": "revenue"}], "default": True}
    items = [{"event": "order_paid", "amount_property": "amount"}, {"event": "purchase", "amount_property": "price"}]
    saved = client.put("/api/reports/revenue/events", json={"items": items}, headers=admin_headers)
    assert saved.status_code == 200 and saved.json == {"items": items, "default": False}
    assert report(client, admin_headers, "by=source")["total"]["revenue"] == 162.5
    card = client.get(f"/api/contacts/{shop['cid']}", headers=admin_headers).json
    assert (card["contact"]["lifetime"]["revenue"], card["contact"]["lifetime"]["orders"]) == (112.5, 2)
    assert client.put("/api/reports/revenue/events", json={"items": []}, headers=admin_headers).json == {
        "items": [], "default": False}
    assert report(client, admin_headers, "by=source")["total"] == {
        "revenue": 0.0, "count": 0, "contacts": 0,
        "points": [{"period": DAY0, "revenue": 0.0, "count": 0}, {"period": "2026-03-03", "revenue": 0.0, "count": 0}]}


@pytest.mark.parametrize(("body", "pointer"), [
    ({"items": [{"event": "a", "amount_property": "x"}, {"event": "a", "amount_property": "y"}]}, "/items/1/event"),
    ({"items": [{"event": "a", "amount_property": "order total"}]}, "/items/0/amount_property"),
    ({"items": [{"event": "a", "amount_property": 'say"hi'}]}, "/items/0/amount_property"),
    ({"items": [{"event": "", "amount_property": "x"}]}, "/items/0/event"),
    ({"items": [{"event": "a", "amount_property": "x"}] * 21}, "/items"),
    ({}, "/items"),
])
def test_bad_revenue_events_are_400_naming_the_pointer(client: FlaskClient, admin_headers: dict, body: dict,
                                                       pointer: str) -> None:
    response = client.put("/api/reports/revenue/events", json=body, headers=admin_headers)
    assert response.status_code == 400, response.json
    assert pointer in [error["pointer"] for error in response.json["errors"]]
    assert client.get("/api/reports/revenue/events", headers=admin_headers).json["default"] is True, "nothing saved"


@pytest.mark.parametrize(("query", "field"), [
    ("by=colour", "by"), ("interval=year", "interval"), ("from=2026-03-05&to=2026-03-01", "to"),
    ("from=yesterday", "from"), ("from=2000-01-01&to=2026-01-01", "interval"),  # 9,498 days
    ("from=0001-01-01&to=9999-12-31&interval=month", "interval"),
])
def test_bad_report_queries_are_400_naming_the_field(client: FlaskClient, admin_headers: dict, query: str,
                                                     field: str) -> None:
    response = client.get(f"/api/reports/revenue?{query}", headers=admin_headers)
    assert response.status_code == 400, response.json
    assert field in [error["field"] for error in response.json["errors"]]


def test_the_ends_of_the_calendar(client: FlaskClient, admin_headers: dict) -> None:
    early = client.get("/api/reports/revenue?to=0001-01-10", headers=admin_headers).json
    assert (early["from"], early["periods"][-1], len(early["periods"])) == ("0001-01-01", "0001-01-10", 10)
    late = client.get("/api/reports/revenue?from=9999-12-01&to=9999-12-31&interval=week", headers=admin_headers).json
    assert (late["periods"][0], late["periods"][-1]) == ("9999-11-29", "9999-12-27")
    months = client.get("/api/reports/revenue?from=2000-01-31&to=2083-04-01&interval=month", headers=admin_headers)
    assert len(months.json["periods"]) == 1000 and months.json["periods"][1] == "2000-02-01"


def test_a_flow_row_needs_a_flow_id_and_every_route_credentials(client: FlaskClient, admin_headers: dict) -> None:
    for key in ("google", "%C2%B2", "99999999999999999999"):  # not a number, a superscript two, past any id
        response = client.get(f"/api/reports/revenue/contacts?by=flow&key={key}", headers=admin_headers)
        assert response.status_code == 400 and response.json["errors"][0]["field"] == "key", key
    assert client.get("/api/reports/revenue/contacts?by=source", headers=admin_headers).status_code == 400
    for path in ("/api/reports/revenue", "/api/reports/revenue/contacts?key=a", "/api/reports/revenue/events"):
        assert client.get(path).status_code == 401
    assert client.put("/api/reports/revenue/events", json={"items": []}).status_code == 401
