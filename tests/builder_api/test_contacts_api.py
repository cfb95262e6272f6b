"""`/api/contacts`: search, filter-language conditions, pagination, and the contact card."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.workflow_runtime.runtime_support import document
from tests.workflow_runtime.test_fault_isolation import POISON, broken_for_poison, tagging_flow  # noqa: F401
from workflow_runtime.channels import onsite
from workflow_runtime.storage.models import (
    AnonymousId,
    Channel,
    Contact,
    Event,
    MessageTemplate,
    ReplySource,
    Segment,
)


@pytest.fixture
def people(harness):  # noqa: ANN001, ANN201 - the Harness fixture
    """Four contacts seen at different times, with properties and events around the harness's now."""
    now = harness.clock.now()
    anna = harness.contact(name="Anna Berg", email="anna@example.com", user_id="u-1",
                           properties={"city": "Berlin", "plan": "pro", "spent": 120})
    boris = harness.contact(name="Boris 100%", email="boris@shop.example", properties={"city": "Kazan", "spent": 15})
    carla = harness.contact(name="Carla", email=None, user_id="carla_x", properties={"city": "berlin"})
    dmitri = harness.contact(name="Dmitri", email="dmitri@example.com")
    with harness.runtime.sessions.begin() as session:
        for order, contact_id in enumerate((anna, boris, carla, dmitri)):
            session.get(Contact, contact_id).last_seen_at = now - timedelta(hours=order)
        session.add_all([
            Event(contact_id=anna, name="order_paid", properties={"amount": 50}, timestamp=now - timedelta(days=2)),
            Event(contact_id=anna, name="order_paid", properties={"amount": 70}, timestamp=now - timedelta(days=1)),
            Event(contact_id=boris, name="order_paid", properties={"amount": 15}, timestamp=now - timedelta(days=40)),
            Event(contact_id=carla, name="page", properties={"url": "/pricing"}, timestamp=now - timedelta(hours=1)),
        ])
        session.add(AnonymousId(anonymous_id="anon-anna", contact_id=anna))
    return {"anna": anna, "boris": boris, "carla": carla, "dmitri": dmitri}


def listed(client: FlaskClient, headers: dict, query: str = "") -> dict:
    response = client.get(f"/api/contacts?{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def with_filter(condition: dict) -> str:
    return "filter=" + quote(json.dumps(condition))


def test_the_list_is_latest_seen_first_and_pages(client: FlaskClient, admin_headers: dict, people: dict) -> None:
    body = listed(client, admin_headers)
    assert [c["id"] for c in body["contacts"]] == [people[n] for n in ("anna", "boris", "carla", "dmitri")]
    assert body["total"] == 4
    assert body["contacts"][0]["properties"] == {"city": "Berlin", "plan": "pro", "spent": 120}
    page = listed(client, admin_headers, "limit=2&offset=1")
    assert [c["id"] for c in page["contacts"]] == [people["boris"], people["carla"]] and page["total"] == 4


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("ANNA", ["anna"]),  # name and email, any case
        ("shop.example", ["boris"]),
        ("carla_", ["carla"]),  # user id; _ is a character, not a wildcard
        ("100%", ["boris"]),  # % too
        ("example.com", ["anna", "dmitri"]),
        ("nobody", []),
    ],
)
def test_search_by_name_email_or_user_id(client: FlaskClient, admin_headers: dict, people: dict, text: str,
                                         names: list[str]) -> None:
    body = listed(client, admin_headers, f"q={quote(text)}")
    assert [c["id"] for c in body["contacts"]] == [people[n] for n in names]
    assert body["total"] == len(names)


def test_filters_speak_the_filter_language(client: FlaskClient, admin_headers: dict, people: dict, harness) -> None:  # noqa: ANN001
    def ids(condition: dict, extra: str = "") -> list[int]:
        return [c["id"] for c in listed(client, admin_headers, with_filter(condition) + extra)["contacts"]]

    assert ids({"property": "city", "op": "eq", "value": "Berlin"}) == [people["anna"]]
    assert ids({"property": "city", "op": "contains", "value": "BERL"}) == [people["anna"], people["carla"]]
    assert ids({"property": "spent", "op": "gt", "value": 100}) == [people["anna"]]
    assert ids({"property": "email", "op": "not_exists"}) == [people["carla"]]
    assert ids({"event": "order_paid", "count": {"op": "gte", "value": 2}, "within": "P7D"}) == [people["anna"]]
    assert ids({"event": "order_paid", "within": "P30D", "op": "did_not"}) == [
        people["boris"], people["carla"], people["dmitri"]]
    assert ids({"any": [{"event": "page", "where": [{"property": "url", "op": "contains", "value": "pricing"}]},
                        {"property": "plan", "op": "eq", "value": "pro"}]}) == [people["anna"], people["carla"]]
    assert ids({"property": "city", "op": "exists"}, "&q=a&limit=1&offset=1") == [people["boris"]]
    with harness.runtime.sessions.begin() as session:
        berliners = Segment(name="Berliners", filter={"property": "city", "op": "in", "value": ["Berlin", "berlin"]})
        session.add(berliners)
        session.flush()
        segment_id = berliners.id
    assert ids({"segment": segment_id, "op": "not_in"}) == [people["boris"], people["dmitri"]]
    body = listed(client, admin_headers, with_filter({"segment": segment_id}) + "&limit=1")
    assert body["total"] == 2 and len(body["contacts"]) == 1


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ("{not json", "/filter"),
        ("[1, 2]", "/filter"),
        (json.dumps({"property": "city", "op": "is", "value": "x"}), "/filter/op"),
        (json.dumps({"all": []}), "/filter/all"),
        (json.dumps({"event": "paid", "within": "fortnight"}), "/filter/within"),
        (json.dumps({"segment": 999}), "/filter/segment"),
        (json.dumps({"colour": "red"}), "/filter"),
    ],
)
def test_bad_filters_are_400_with_the_pointer(client: FlaskClient, admin_headers: dict, people: dict, raw: str,
                                              pointer: str) -> None:
    response = client.get(f"/api/contacts?filter={quote(raw)}", headers=admin_headers)
    assert response.status_code == 400, response.json
    assert pointer in [error["pointer"] for error in response.json["errors"]]
    assert response.json["message"].startswith("The")
    if "colour" in raw:
        assert "'colour' is not a key it can have" in response.json["message"]


def test_bad_paging_is_400(client: FlaskClient, admin_headers: dict) -> None:
    for query in ("limit=0", "limit=501", "offset=-1", "limit=ten", "offset=99999999999999999999"):
        response = client.get(f"/api/contacts?{query}", headers=admin_headers)
        assert response.status_code == 400, query
        assert response.json["errors"][0]["field"] == query.split("=")[0]


def test_the_contact_card(client: FlaskClient, admin_headers: dict, people: dict, harness) -> None:  # noqa: ANN001
    thanks = document(
        "Thanks",
        {"start": ("trigger", {"event": "order_paid"}), "thanks": ("send_chat", {"body": "Thanks!"}),
         "later": ("wait", {"duration": "P2D"}), "done": ("exit", {})},
        [("start", "next", "thanks"), ("thanks", "next", "later"), ("later", "next", "done")],
    )
    thanks["nodes"][1]["label"] = "Say thanks"
    flow_id = harness.publish(thanks)
    harness.track(people["anna"], "order_paid", {"amount": 99})
    response = client.get(f"/api/contacts/{people['anna']}", headers=admin_headers)
    assert response.status_code == 200, response.json
    card = response.json
    assert card["contact"]["email"] == "anna@example.com" and card["contact"]["user_id"] == "u-1"
    assert card["contact"]["properties"]["plan"] == "pro"
    assert card["contact"]["anonymous_ids"] == ["anon-anna"]
    assert [e["properties"]["amount"] for e in card["events"]] == [99, 70, 50], "latest first"
    assert card["events_total"] == 3
    [message] = card["messages"]
    assert (message["channel"], message["status"], message["statuses"]) == ("chat", "sent", ["sent"])
    assert (message["flow_id"], message["version"], message["node_id"]) == (flow_id, 1, "thanks")
    assert (message["flow_name"], message["node_label"], message["subject"], message["excerpt"]) == (
        "Thanks", "Say thanks", None, "Thanks!")
    assert (message["replies"], message["error"]) == ([], None)
    [run] = card["runs"]
    assert (run["flow_id"], run["flow_name"], run["version"], run["node_id"], run["status"]) == (
        flow_id, "Thanks", 1, "later", "waiting")
    assert (run["node_label"], run["error"]) == ("Wait", None), "no label: the node type's name"
    assert run["entered_at"].startswith("2026-03-02T10:00:00")
    assert run["waiting_until"].startswith("2026-03-04T10:00:00")

    page = client.get(f"/api/contacts/{people['anna']}?limit=1&offset=1", headers=admin_headers).json
    assert [e["properties"]["amount"] for e in page["events"]] == [70] and page["events_total"] == 3


def test_the_card_shows_what_each_message_said_and_the_replies_under_it(
        client: FlaskClient, admin_headers: dict, harness) -> None:  # noqa: ANN001
    with harness.runtime.sessions.begin() as session:
        template = MessageTemplate(name="Receipt", channel=Channel.EMAIL, subject="Your receipt, {{ contact.name }}",
                                   body="<mjml><mj-body><mj-text>Paid in full.</mj-text></mj-body></mjml>")
        session.add(template)
        session.flush()
        template_id = template.id
    long_text = "word " * 100
    flow_id = harness.publish(document(
        "After the order",
        {"start": ("trigger", {"event": "order_paid"}),
         "ask": ("send_chat", {"body": "How was it, {{ contact.name }}?"}),
         "offer": ("send_popup", {"size": "small", "title": "10% off", "body": long_text}),
         "mail": ("send_email", {"subject": "Thank you", "body": (
             "<mjml><mj-head><mj-style>.x { color: red }</mj-style></mj-head>"
             "<mj-body><mj-text>Hello <b>there</b>,</mj-text><mj-text>see you soon.</mj-text></mj-body></mjml>")}),
         "receipt": ("send_email", {"template_id": template_id}),
         "done": ("exit", {})},
        [("start", "next", "ask"), ("ask", "next", "offer"), ("offer", "next", "mail"), ("mail", "next", "receipt"),
         ("receipt", "next", "done")],
    ))
    anna = harness.contact(name="Anna")
    harness.track(anna, "order_paid")
    chat = next(message for message in harness.messages(anna) if message.channel is Channel.CHAT)
    with harness.runtime.sessions.begin() as session:
        onsite.reply(session, anna, chat.id, "Great, thanks!", harness.clock.now())
        onsite.reply(session, anna, chat.id, "One more thing: the box was torn.", harness.clock.now() + timedelta(hours=1),
                     source=ReplySource.EMAIL, external_id="<answer@mail.example>")

    card = client.get(f"/api/contacts/{anna}", headers=admin_headers).json
    shown = {message["node_id"]: message for message in card["messages"]}
    assert shown.keys() == {"ask", "offer", "mail", "receipt"}
    ask = shown["ask"]
    assert (ask["node_label"], ask["subject"], ask["excerpt"], ask["status"]) == (
        "Send chat message", None, "How was it, {{ contact.name }}?", "replied")
    assert ask["statuses"] == ["sent", "delivered", "read", "replied"]
    assert [(reply["body"], reply["source"]) for reply in ask["replies"]] == [
        ("Great, thanks!", "widget"), ("One more thing: the box was torn.", "email")], "oldest first"
    assert ask["replies"][1]["created_at"].startswith("2026-03-02T11:00:00")
    offer = shown["offer"]
    assert (offer["subject"], len(offer["excerpt"]), offer["excerpt"][-1]) == ("10% off", 200, "…")
    assert (shown["mail"]["subject"], shown["mail"]["excerpt"]) == ("Thank you", "Hello there, see you soon.")
    assert (shown["receipt"]["subject"], shown["receipt"]["excerpt"]) == (
        "Your receipt, {{ contact.name }}", "Paid in full."), "an email from a saved template shows the template's text"
    assert all(message["flow_id"] == flow_id and message["replies"] == [] for message in card["messages"]
               if message["node_id"] != "ask")


def test_the_card_says_why_a_run_errored(client: FlaskClient, admin_headers: dict, harness,  # noqa: ANN001
                                        broken_for_poison: None) -> None:  # noqa: F811
    harness.publish(tagging_flow())
    poisoned = harness.contact(email=POISON)
    harness.track(poisoned, "signed_up")

    [run] = client.get(f"/api/contacts/{poisoned}", headers=admin_headers).json["runs"]
    assert (run["status"], run["node_id"], run["node_label"]) == ("errored", "tag", "Update contact")
    assert run["error"] == "ZeroDivisionError: a bug in the node"


def test_unknown_contacts_are_404(client: FlaskClient, admin_headers: dict) -> None:
    response = client.get("/api/contacts/4242", headers=admin_headers)
    assert response.status_code == 404
    assert response.json["message"] == "There is no contact with id 4242."
    assert client.get("/api/contacts/99999999999999999999", headers=admin_headers).status_code == 404


@pytest.mark.parametrize("path", ["/api/contacts", "/api/contacts/1"])
def test_contacts_need_the_admin_token(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403


def test_a_filter_nested_too_deeply_is_400_not_a_crash(client: FlaskClient, admin_headers: dict) -> None:
    for depth in (300, 5000):  # deep for the validator; deeper than the JSON parser goes
        raw = '{"not": ' * depth + '{"property": "city", "op": "exists"}' + "}" * depth
        response = client.get(f"/api/contacts?filter={quote(raw)}", headers=admin_headers)
        assert response.status_code == 400, depth
        assert "nested too deeply" in response.json["message"], response.json["message"]
