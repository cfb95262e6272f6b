"""`/api/contacts`: search, filter-language conditions, sort, pagination, the CSV export and the contact card."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert

from tests.workflow_runtime.runtime_support import document
from tests.workflow_runtime.test_fault_isolation import POISON, broken_for_poison, tagging_flow  # noqa: F401
from workflow_runtime.channels import onsite
from workflow_runtime.engine.chunk_subject import CHUNK
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
    assert card["contact"]["lifetime"]["revenue"] == 219.0 and card["contact"]["lifetime"]["orders"] == 3
    assert card["contact"]["lifetime"]["first_order_at"].startswith("2026-02-28T10:00:00")
    assert card["contact"]["lifetime"]["last_order_at"].startswith("2026-03-02T10:00:00")
    assert card["contact"]["first_touch"] is None
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


# --- sort, columns and the CSV export -------------------------------------------------------------------------------

def ids_in(client: FlaskClient, headers: dict, query: str) -> list[int]:
    return [c["id"] for c in listed(client, headers, query)["contacts"]]


def test_the_list_sorts_by_a_property_with_missing_values_last(client: FlaskClient, admin_headers: dict,
                                                                people: dict) -> None:
    anna, boris, carla, dmitri = (people[name] for name in ("anna", "boris", "carla", "dmitri"))
    assert ids_in(client, admin_headers, "sort=properties.spent") == [boris, anna, carla, dmitri]
    assert ids_in(client, admin_headers, "sort=-properties.spent") == [anna, boris, dmitri, carla], \
        "descending, the missing still last, ties by id the other way"
    assert ids_in(client, admin_headers, "sort=city") == [anna, carla, boris, dmitri], "any case, ties by id"
    assert ids_in(client, admin_headers, "sort=name") == [anna, boris, carla, dmitri]
    assert ids_in(client, admin_headers, "sort=-email") == [dmitri, boris, anna, carla], "no email: last"
    assert ids_in(client, admin_headers, "sort=properties.spent&limit=2&offset=1") == [anna, carla], "pages in order"
    # With a condition the list is read in chunks: the same order.
    assert ids_in(client, admin_headers, "sort=-properties.spent&" + with_filter(
        {"property": "email", "op": "exists"})) == [anna, boris, dmitri]


def test_numbers_sort_by_value_and_before_texts(client: FlaskClient, admin_headers: dict, harness) -> None:  # noqa: ANN001
    made = {value: harness.contact(properties={"plan": value}) for value in (10, "Basic", 9.5, "pro", -3)}
    missing = harness.contact(properties={"plan": None})
    assert ids_in(client, admin_headers, "sort=properties.plan") == [made[-3], made[9.5], made[10], made["Basic"],
                                                                      made["pro"], missing]
    nested = harness.contact(properties={"address": {"city": "Aachen"}})
    assert ids_in(client, admin_headers, "sort=properties.address.city")[0] == nested
    assert ids_in(client, admin_headers, "sort=city")[0] == nested, "city reads address.city too"


def test_the_list_gives_the_first_touch_source_and_lifetime_revenue(client: FlaskClient, admin_headers: dict, people: dict,
                                               harness) -> None:  # noqa: ANN001
    now = harness.clock.now()
    with harness.runtime.sessions.begin() as session:
        session.add_all([
            Event(contact_id=people["boris"], name="page", properties={}, timestamp=now - timedelta(days=3),
                  utm_source="newsletter", utm_medium="email", utm_campaign="spring"),
            Event(contact_id=people["boris"], name="page", properties={}, timestamp=now - timedelta(days=1),
                  utm_source="ads", utm_medium="cpc"),
        ])
    contacts = listed(client, admin_headers)["contacts"]
    shown = {c["id"]: c["first_touch"] for c in contacts}
    assert shown[people["boris"]] == {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring"}
    assert shown[people["anna"]] is None
    lifetimes = {c["id"]: (c["lifetime"]["revenue"], c["lifetime"]["orders"]) for c in contacts}
    assert lifetimes == {people["anna"]: (120.0, 2), people["boris"]: (15.0, 1), people["carla"]: (0.0, 0),
                         people["dmitri"]: (0.0, 0)}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=colour", "sort"),
        ("sort=tags", "sort"),
        ("sort=source", "sort"),
        ("sort=-revenue", "sort"),  # computed per page from the events
        ("sort=properties.", "sort"),
        ("sort=properties.a%20b", "sort"),
        ("sort=properties.a..b", "sort"),
        ("segment=0", "segment"),
        ("segment=4242", "segment"),
    ],
)
def test_bad_sorts_and_segments_are_400_naming_the_field(client: FlaskClient, admin_headers: dict, query: str,
                                                         field: str) -> None:
    for path in ("/api/contacts", "/api/contacts/export"):
        response = client.get(f"{path}?{query}", headers=admin_headers)
        assert response.status_code == 400, (path, query)
        assert [error["field"] for error in response.json["errors"]] == [field]


def exported(client: FlaskClient, headers: dict, query: str) -> list[list[str]]:
    response = client.get(f"/api/contacts/export?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="contacts-')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "a byte order mark, for spreadsheets"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_the_export_has_the_chosen_columns_in_the_list_order(client: FlaskClient, admin_headers: dict, people: dict,
                                                             harness) -> None:  # noqa: ANN001
    with harness.runtime.sessions.begin() as session:
        anna = session.get(Contact, people["anna"])
        anna.tags = ["vip", "newsletter"]
        # a `revenue` trait is not the lifetime revenue, which adds up the contact's orders (50 + 70)
        anna.properties = {**anna.properties, "revenue": 170.5, "address": {"zip": "10115"}}
        session.add(Event(contact_id=people["anna"], name="page", properties={}, timestamp=harness.clock.now(),
                          utm_source="google", utm_medium="cpc", utm_campaign="brand"))
    rows = exported(client, admin_headers, "columns=name,email,city,source,tags,revenue,properties.address"
                                           "&sort=-properties.spent&q=a")  # every name or email has an a
    assert rows == [
        ["name", "email", "city", "utm_source", "utm_medium", "utm_campaign", "tags", "revenue", "properties.address"],
        ["Anna Berg", "anna@example.com", "Berlin", "google", "cpc", "brand", "vip, newsletter", "120.0",
         '{"zip":"10115"}'],
        ["Boris 100%", "boris@shop.example", "Kazan", "", "", "", "", "15.0", ""],
        ["Dmitri", "dmitri@example.com", "", "", "", "", "", "0.0", ""],
        ["Carla", "", "berlin", "", "", "", "", "0.0", ""],
    ], "no spent: last, by id the other way"
    default = exported(client, admin_headers, with_filter({"property": "plan", "op": "eq", "value": "pro"}))
    assert default[0] == ["id", "name", "email", "user_id", "first_seen_at", "last_seen_at"]
    assert default[1][:4] == [str(people["anna"]), "Anna Berg", "anna@example.com", "u-1"]
    assert default[1][4].startswith("2026-03-02T10:00:00") and len(default) == 2


def test_the_export_escapes_separators_and_defuses_formulas(client: FlaskClient, admin_headers: dict,
                                                            harness) -> None:  # noqa: ANN001
    tricky = {
        "comma": 'Smith, "Jo"\nJunior',
        "equals": "=HYPERLINK(\"http://evil.example\",\"x\")",
        "plus": "+49 30 1234",
        "minus": "-2+3",
        "at": "@SUM(A1)",
        "tab": "\tcmd",
    }
    for key, name in tricky.items():
        harness.contact(name=name, email=f"{key}@example.com", properties={"balance": -5, "note": name})
    rows = exported(client, admin_headers, "columns=email,name,properties.balance&sort=email")
    by_email = {row[0]: row[1:] for row in rows[1:]}
    assert by_email["comma@example.com"] == ['Smith, "Jo"\nJunior', "-5"], "quoted and read back whole"
    assert by_email["equals@example.com"][0] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert by_email["plus@example.com"][0] == "'+49 30 1234"
    assert by_email["minus@example.com"] == ["'-2+3", "-5"], "a negative number stays a number"
    assert by_email["at@example.com"][0] == "'@SUM(A1)"
    assert by_email["tab@example.com"][0] == "'\tcmd"


def test_the_export_streams_every_contact_a_chunk_at_a_time(client: FlaskClient, admin_headers: dict,
                                                            session) -> None:  # noqa: ANN001
    now = datetime.now(timezone.utc)
    session.execute(insert(Contact), [{"name": f"Contact {n:04}", "properties": {"n": n}, "tags": [],
                                       "first_seen_at": now, "last_seen_at": now} for n in range(CHUNK * 2 + 10)])
    session.commit()
    response = client.get("/api/contacts/export?columns=name,properties.n&sort=-properties.n", headers=admin_headers,
                          buffered=False)
    assert response.status_code == 200 and response.is_streamed
    pieces = [piece.decode() for piece in response.iter_encoded()]
    assert len(pieces) == 1 + 1 + 3, "the byte order mark, the header, then a piece per chunk of contacts"
    rows = list(csv.reader(io.StringIO("".join(pieces)[1:], newline="")))
    assert rows[1] == [f"Contact {CHUNK * 2 + 9:04}", str(CHUNK * 2 + 9)] and rows[-1] == ["Contact 0000", "0"]
    assert len(rows) == 1 + CHUNK * 2 + 10


def test_the_export_of_a_segment(client: FlaskClient, admin_headers: dict, people: dict, harness) -> None:  # noqa: ANN001
    with harness.runtime.sessions.begin() as session:
        berliners = Segment(name="Berlin buyers", filter={"property": "city", "op": "contains", "value": "berlin"})
        session.add(berliners)
        session.flush()
        segment_id = berliners.id
    response = client.get(f"/api/contacts/export?segment={segment_id}&columns=name", headers=admin_headers)
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="contacts-berlin_buyers-{harness.clock.now():%Y-%m-%d}.csv"')
    assert response.get_data(as_text=True) == "\ufeffname\r\nAnna Berg\r\nCarla\r\n"
    narrowed = exported(client, admin_headers, f"segment={segment_id}&columns=name&"
                        + with_filter({"property": "plan", "op": "exists"}))
    assert narrowed == [["name"], ["Anna Berg"]], "the filter and the segment both hold"
    assert listed(client, admin_headers, f"segment={segment_id}")["total"] == 2


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("columns=name,colour", "columns", "'colour' is not a column"),
        ("columns=", "columns", "at least one column"),
        ("columns=properties.a%20b", "columns", "is not a property path"),
        ("columns=" + "name," * 1000, "columns", "choose fewer columns"),
    ],
)
def test_bad_columns_are_400_naming_the_field(client: FlaskClient, admin_headers: dict, query: str, field: str,
                                              words: str) -> None:
    response = client.get(f"/api/contacts/export?{query}", headers=admin_headers)
    assert response.status_code == 400
    [error] = response.json["errors"]
    assert error["field"] == field and words in error["message"], error


def test_a_bad_filter_of_an_export_is_400_with_the_pointer(client: FlaskClient, admin_headers: dict) -> None:
    response = client.get("/api/contacts/export?" + with_filter({"property": "city", "op": "is"}),
                          headers=admin_headers)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert "/filter/op" in [error["pointer"] for error in response.json["errors"]]


def test_the_export_needs_the_admin_token(client: FlaskClient) -> None:
    assert client.get("/api/contacts/export").status_code == 401
    assert client.get("/api/contacts/export", headers={"Authorization": "Bearer wrong"}).status_code == 403
