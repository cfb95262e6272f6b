"""`/api/message-templates`: CRUD with MJML checked on save, versions, preview, test send to a real SMTP server."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.mail_server import MailServer, free_port
from workflow_runtime.authoring import flow_store
from workflow_runtime.channels.email_template import COMPILED
from workflow_runtime.storage.models import Contact

MJML = ("<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ name }}, use {{ promo_code }} "
        "on {{ event.product }}.</mj-text><mj-button href=\"https://shop.example/?c={{ promo_code }}\">Shop</mj-button>"
        "</mj-column></mj-section></mj-body></mjml>")


@pytest.fixture
def create(client: FlaskClient, admin_headers: dict[str, str]) -> Iterator[Any]:
    def post(**fields: Any) -> Any:
        body = {"name": "Cart reminder", "channel": "email", "subject": "{{ name }}, your cart", "body": MJML, **fields}
        return client.post("/api/message-templates", json=body, headers=admin_headers)

    yield post


def test_templates_need_the_admin_token(client: FlaskClient) -> None:
    assert client.get("/api/message-templates").status_code == 401
    assert client.post("/api/message-templates", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 403


def test_create_read_list_update_and_delete_an_email_template(create: Any, client: FlaskClient,
                                                               admin_headers: dict[str, str]) -> None:
    created = create()
    assert created.status_code == 201, created.json
    template = created.json
    assert (template["name"], template["channel"], template["version"]) == ("Cart reminder", "email", 1)
    chat = create(name="Hello", channel="chat", subject="", body="Hi {{ name }}!")
    assert chat.status_code == 201

    listed = client.get("/api/message-templates", headers=admin_headers).json["message_templates"]
    assert [t["id"] for t in listed] == [template["id"], chat.json["id"]]
    only_chat = client.get("/api/message-templates?channel=chat", headers=admin_headers).json["message_templates"]
    assert [t["name"] for t in only_chat] == ["Hello"]

    url = f"/api/message-templates/{template['id']}"
    assert client.get(url, headers=admin_headers).json == template
    edited = client.put(url, json={"subject": "Still thinking, {{ name }}?"}, headers=admin_headers)
    assert edited.status_code == 200
    assert (edited.json["subject"], edited.json["version"], edited.json["body"]) == ("Still thinking, {{ name }}?", 2, MJML)

    assert client.delete(url, headers=admin_headers).status_code == 204
    assert client.get(url, headers=admin_headers).status_code == 404


def test_mjml_that_does_not_compile_is_refused_naming_the_field(create: Any, client: FlaskClient,
                                                                admin_headers: dict[str, str]) -> None:
    for body, reason in (("<p>not mjml</p>", "starts with <mjml>"),
                         ("<mjml><mj-body><mj-bogus>x</mj-bogus></mj-body></mjml>", "unknown MJML tag <mj-bogus>"),
                         ("<mjml>hello</mjml>", "mj-body")):
        refused = create(body=body)
        assert refused.status_code == 422, body
        [error] = refused.json["errors"]
        assert (error["field"], error["pointer"]) == ("body", "/body")
        assert reason in error["message"]
    broken = create(subject="Hi {{ name ")
    assert broken.status_code == 422 and broken.json["errors"][0]["field"] == "subject"
    assert create(subject="").json["errors"][0]["field"] == "subject"
    assert create(channel="fax").json["errors"][0]["field"] == "channel"
    assert client.get("/api/message-templates", headers=admin_headers).json["message_templates"] == []

    template = create().json
    url = f"/api/message-templates/{template['id']}"
    refused = client.put(url, json={"body": "<mjml><mj-body><mj-nope/></mj-body></mjml>"}, headers=admin_headers)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "body"
    assert client.get(url, headers=admin_headers).json == template  # nothing half-written
    assert client.put(url, json={"channel": "chat"}, headers=admin_headers).json["errors"][0]["field"] == "channel"


def test_preview_renders_sample_data_escaped_in_html_with_a_text_part(create: Any, client: FlaskClient,
                                                                      admin_headers: dict[str, str]) -> None:
    template = create().json
    sample = {"contact": {"name": "<Ann>", "promo_code": "SAVE10"}, "event": {"product": "Boots"}}
    shown = client.post(f"/api/message-templates/{template['id']}/preview", json={"sample": sample},
                        headers=admin_headers)
    assert shown.status_code == 200
    assert shown.json["subject"] == "<Ann>, your cart"
    assert "Hi &lt;Ann&gt;, use SAVE10 on Boots." in shown.json["html"]
    assert 'href="https://shop.example/?c=SAVE10"' in shown.json["html"]  # a preview tracks nothing
    assert "Hi <Ann>, use SAVE10 on Boots." in shown.json["text"]
    default = client.post(f"/api/message-templates/{template['id']}/preview", json={}, headers=admin_headers)
    assert default.json["subject"] == ", your cart"  # the sample contact has only an email address: no name shows

    bad = client.post(f"/api/message-templates/{template['id']}/preview", json={"sample": {"contact": "x"}},
                      headers=admin_headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/sample/contact"
    assert client.post("/api/message-templates/999/preview", json={}, headers=admin_headers).status_code == 404

    popup = create(channel="popup", subject="", body="Code {{ promo_code }} <b>now</b>").json
    shown = client.post(f"/api/message-templates/{popup['id']}/preview", json={"sample": sample}, headers=admin_headers)
    assert shown.json["html"] == "<p>Code SAVE10 &lt;b&gt;now&lt;/b&gt;</p>"


def test_a_saved_template_is_compiled_once_per_version(create: Any, client: FlaskClient,
                                                       admin_headers: dict[str, str]) -> None:
    template = create().json
    url = f"/api/message-templates/{template['id']}"
    for _ in range(3):
        client.post(f"{url}/preview", json={}, headers=admin_headers)
    misses = COMPILED.misses
    client.post(f"{url}/preview", json={}, headers=admin_headers)
    assert COMPILED.misses == misses
    client.put(url, json={"body": MJML.replace("Shop", "Back to the shop")}, headers=admin_headers)
    shown = client.post(f"{url}/preview", json={}, headers=admin_headers).json
    assert "Back to the shop" in shown["html"] and COMPILED.misses == misses + 1  # version 2: compiled once more


def test_test_send_delivers_the_rendered_template_through_smtp(create: Any, client: FlaskClient, app: Flask,
                                                               admin_headers: dict[str, str], mail_server: MailServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    template = create().json
    url = f"/api/message-templates/{template['id']}/test-send"
    no_smtp = client.post(url, json={"email": "qa@example.com"}, headers=admin_headers)
    assert no_smtp.status_code == 409 and "AUTOMAP_SMTP_URL" in no_smtp.json["message"]

    monkeypatch.setitem(app.config, "AUTOMAP", dataclasses.replace(app.config["AUTOMAP"], smtp_url=mail_server.url))
    sent = client.post(url, json={"email": "qa@example.com", "sample": {"contact": {"name": "Bo"}}},
                       headers=admin_headers)
    assert sent.status_code == 200 and sent.json == {"sent_to": "qa@example.com"}
    [email] = mail_server.messages
    assert (email["Subject"], email["To"]) == ("[Test] Bo, your cart", "qa@example.com")
    assert "Hi Bo," in email.get_body(("plain",)).get_content()

    assert client.post(url, json={"email": "not-an-address"}, headers=admin_headers).json["errors"][0]["field"] == "email"
    chat = create(channel="chat", subject="", body="Hi").json
    refused = client.post(f"/api/message-templates/{chat['id']}/test-send", json={"email": "qa@example.com"},
                          headers=admin_headers)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "channel"

    down = dataclasses.replace(app.config["AUTOMAP"], smtp_url=f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "AUTOMAP", down)
    failed = client.post(url, json={"email": "qa@example.com"}, headers=admin_headers)
    assert failed.status_code == 502 and "cannot reach the SMTP server" in failed.json["message"]


def sending(name: str, template_id: int) -> dict[str, Any]:
    """A flow document whose one email node sends the template `template_id`."""
    return {"schema_version": 2, "name": name, "nodes": [
        {"id": "start", "type": "trigger", "config": {"event": "cart_updated"}},
        {"id": "mail", "type": "send_email", "config": {"template_id": template_id}},
        {"id": "end", "type": "exit", "config": {"reason": "done"}},
    ], "edges": [{"from": "start", "port": "next", "to": "mail"}, {"from": "mail", "port": "next", "to": "end"}]}


def test_a_template_a_flow_uses_cannot_be_deleted(create: Any, client: FlaskClient, admin_headers: dict[str, str],
                                                  session: Any) -> None:
    template = create().json
    flow_store.import_flow(session, sending("Reminder", template["id"]))
    session.commit()
    refused = client.delete(f"/api/message-templates/{template['id']}", headers=admin_headers)
    assert refused.status_code == 409 and "'Reminder'" in refused.json["message"]
    assert client.get(f"/api/message-templates/{template['id']}", headers=admin_headers).status_code == 200


@pytest.mark.parametrize("broken", ["{{ 1/0 }}", "{{ range(100001)|length }}", "{{ 9 ** (9 ** 9) }}",
                                    "{{ 'x' * 10 ** 9 }}", "{{ name.upper(1, 2) }}"])
@pytest.mark.parametrize("channel", ["chat", "popup"])
def test_a_preview_whose_personalisation_fails_is_a_422_naming_the_field(
    create: Any, client: FlaskClient, admin_headers: dict[str, str], broken: str, channel: str
) -> None:
    """These previews answered 500 (ZeroDivisionError, OverflowError) or ran for hours (9 ** 9 ** 9)."""
    template = create(channel=channel, subject="", body=f"Hi {{{{ name }}}}, {broken}").json
    shown = client.post(f"/api/message-templates/{template['id']}/preview", json={}, headers=admin_headers)
    assert shown.status_code == 422, shown.json
    [error] = shown.json["errors"]
    assert (error["field"], error["pointer"]) == ("body", "/body")
    assert "fix the {{ … }}" in error["message"]
    assert client.get(f"/api/message-templates/{template['id']}", headers=admin_headers).json == template


def test_an_email_preview_and_test_send_name_the_part_that_fails(
    create: Any, client: FlaskClient, app: Flask, admin_headers: dict[str, str], mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "AUTOMAP", dataclasses.replace(app.config["AUTOMAP"], smtp_url=mail_server.url))
    in_subject = create(subject="{{ 100 // 0 }} off").json
    in_body = create(body=MJML.replace("{{ name }}", "{{ range(100001) | list }}")).json
    for template, field in ((in_subject, "subject"), (in_body, "body")):
        url = f"/api/message-templates/{template['id']}"
        for action, body in (("preview", {}), ("test-send", {"email": "qa@example.com"})):
            refused = client.post(f"{url}/{action}", json=body, headers=admin_headers)
            assert refused.status_code == 422, refused.json
            assert [error["field"] for error in refused.json["errors"]] == [field]
    assert mail_server.messages == []  # nothing was sent


def test_a_call_of_an_undefined_filter_is_refused_when_saved(create: Any, client: FlaskClient,
                                                            admin_headers: dict[str, str]) -> None:
    refused = create(channel="chat", subject="", body="Hi {{ name | shout }}")
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json["errors"]] == ["body"]
    assert "No filter named 'shout'" in refused.json["errors"][0]["message"]
    assert client.get("/api/message-templates", headers=admin_headers).json["message_templates"] == []


GREETING = ('<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ name | default("there") }}, use '
            '{{ contact.promo_code | d("WELCOME") }}.</mj-text></mj-column></mj-section></mj-body></mjml>')


@pytest.fixture
def contacts(session: Any) -> dict[str, int]:
    """Two real contacts: Anna with a promo code, and a visitor who left only an email address."""
    anna = Contact(email="anna@example.com", name="Anna", properties={"promo_code": "ANNA5"})
    nameless = Contact(email="anon@example.com", name=None, properties={"promo_code": ""})
    session.add_all([anna, nameless])
    session.commit()
    return {"anna": anna.id, "nameless": nameless.id}


def test_a_saved_template_previews_for_a_real_contact_or_shows_its_fallbacks(
        create: Any, client: FlaskClient, admin_headers: dict[str, str], contacts: dict[str, int]) -> None:
    template = create(subject='{{ name | default("Friend") }}, your cart', body=GREETING).json
    url = f"/api/message-templates/{template['id']}/preview"

    anna = client.post(url, json={"contact_id": contacts["anna"]}, headers=admin_headers)
    assert anna.status_code == 200, anna.json
    assert anna.json["subject"] == "Anna, your cart" and "Hi Anna, use ANNA5." in anna.json["text"]
    for body in ({"contact_id": contacts["nameless"]}, {}):  # a nameless contact, or no contact chosen
        shown = client.post(url, json=body, headers=admin_headers).json
        assert shown["subject"] == "Friend, your cart" and "Hi there, use WELCOME." in shown["text"]

    unknown = client.post(url, json={"contact_id": 999_999}, headers=admin_headers)
    assert unknown.status_code == 422
    assert [(error["field"], error["pointer"]) for error in unknown.json["errors"]] == [("contact_id", "/contact_id")]
    assert "there is no contact 999999" in unknown.json["errors"][0]["message"]


def test_a_message_written_on_a_send_node_previews_for_a_real_contact(
        client: FlaskClient, admin_headers: dict[str, str], contacts: dict[str, int]) -> None:
    def preview(channel: str, content: dict[str, Any], **choice: Any) -> Any:
        return client.post("/api/message-templates/preview", json={"channel": channel, "content": content, **choice},
                           headers=admin_headers)

    email = {"subject": "{{ name }}, your code", "preheader": '{{ name | default("Hello") }}!', "body": GREETING}
    for_anna = preview("email", email, contact_id=contacts["anna"])
    assert for_anna.status_code == 200, for_anna.json
    assert for_anna.json["content"] == {"subject": "Anna, your code", "preheader": "Anna!"}
    assert "Hi Anna, use ANNA5." in for_anna.json["html"] and "Hi Anna, use ANNA5." in for_anna.json["text"]
    nameless = preview("email", email, contact_id=contacts["nameless"]).json
    assert nameless["content"] == {"subject": ", your code", "preheader": "Hello!"}
    assert "Hi there, use WELCOME." in nameless["text"] and "None" not in nameless["html"]

    popup = {"size": "small", "title": 'Hi {{ name | default("there") }}!', "body": "Code {{ promo_code }}",
             "button": {"text": "Shop, {{ name }}", "url": "https://shop.example/?c={{ promo_code }}"}}
    shown = preview("popup", popup, contact_id=contacts["anna"])
    assert shown.json == {"content": {**popup, "title": "Hi Anna!", "body": "Code ANNA5",
                                      "button": {"text": "Shop, Anna", "url": "https://shop.example/?c=ANNA5"}},
                          "html": None, "text": None}
    sample = preview("chat", {"body": 'Hi {{ name | default("there") }}, about {{ event.product }}'},
                     sample={"event": {"product": "Boots"}}).json
    assert sample["content"] == {"body": "Hi there, about Boots"}


def test_a_send_node_preview_names_the_field_it_cannot_render(
        client: FlaskClient, admin_headers: dict[str, str], contacts: dict[str, int]) -> None:
    cases = [
        ({"channel": "email", "content": {"subject": "Hi", "body": "<p>not mjml</p>"}}, "/content/body"),
        ({"channel": "email", "content": {"subject": "{{ 1 / 0 }}", "body": GREETING}}, "/content/subject"),
        ({"channel": "email", "content": {"subject": "Hi"}}, "/content/body"),
        ({"channel": "popup", "content": {"title": "{{ 1 / 0 }}", "body": "x"}}, "/content/title"),
        ({"channel": "chat", "content": {"body": "Hi"}, "contact_id": 999_999}, "/contact_id"),
        ({"channel": "fax", "content": {"body": "Hi"}}, "/channel"),
    ]
    for body, pointer in cases:
        refused = client.post("/api/message-templates/preview", json=body, headers=admin_headers)
        assert refused.status_code == 422, (body, refused.json)
        assert [error["pointer"] for error in refused.json["errors"]] == [pointer], body


def test_the_library_says_which_flows_use_each_template(create: Any, client: FlaskClient,
                                                         admin_headers: dict[str, str], session: Any) -> None:
    welcome, reminder, unused = (create(name=name).json for name in ("Welcome", "Reminder", "Unused"))
    drafted = flow_store.import_flow(session, sending("Zebra drip", welcome["id"]))
    published = flow_store.import_flow(session, sending("Cart", welcome["id"]))
    flow_store.publish_flow(session, published)
    # The draft moves on to another template; the published version still sends the first one.
    flow_store.set_draft(published, sending("Cart", reminder["id"]))
    session.commit()

    listed = {t["name"]: t["used_by"] for t in
              client.get("/api/message-templates", headers=admin_headers).json["message_templates"]}
    assert listed == {"Welcome": [{"id": published.id, "name": "Cart"}, {"id": drafted.id, "name": "Zebra drip"}],
                      "Reminder": [{"id": published.id, "name": "Cart"}], "Unused": []}
    one = client.get(f"/api/message-templates/{reminder['id']}", headers=admin_headers).json
    assert one["used_by"] == [{"id": published.id, "name": "Cart"}]
    edited = client.put(f"/api/message-templates/{unused['id']}", json={"name": "Spare"}, headers=admin_headers).json
    assert (edited["name"], edited["used_by"]) == ("Spare", [])

    refused = client.delete(f"/api/message-templates/{welcome['id']}", headers=admin_headers)
    assert refused.status_code == 409 and "'Cart', 'Zebra drip'" in refused.json["message"]


def test_duplicating_a_template_numbers_its_name(create: Any, client: FlaskClient,
                                                 admin_headers: dict[str, str]) -> None:
    welcome = create(name="Welcome").json
    names = []
    for original in (welcome, welcome, welcome):
        copy = client.post(f"/api/message-templates/{original['id']}/duplicate", headers=admin_headers)
        assert copy.status_code == 201, copy.json
        names.append(copy.json["name"])
        assert {key: copy.json[key] for key in ("channel", "subject", "body", "version", "used_by")} == \
               {**{key: welcome[key] for key in ("channel", "subject", "body")}, "version": 1, "used_by": []}
    assert names == ["Welcome (2)", "Welcome (3)", "Welcome (4)"]
    third = next(t for t in client.get("/api/message-templates", headers=admin_headers).json["message_templates"]
                 if t["name"] == "Welcome (3)")
    # A copy of a copy counts on from the original's name.
    assert client.post(f"/api/message-templates/{third['id']}/duplicate",
                       headers=admin_headers).json["name"] == "Welcome (5)"
    # The copy is a template of its own: previewed from its compiled body, edited apart from the original.
    shown = client.post(f"/api/message-templates/{third['id']}/preview", json={"sample": {"contact": {"name": "Jo"}}},
                        headers=admin_headers)
    assert shown.status_code == 200 and "Hi Jo," in shown.json["html"]
    client.put(f"/api/message-templates/{third['id']}", json={"subject": "Changed"}, headers=admin_headers)
    assert client.get(f"/api/message-templates/{welcome['id']}", headers=admin_headers).json["subject"] == welcome["subject"]

    chat = create(name="Hello", channel="chat", subject="", body="Hi {{ name }}!").json
    assert client.post(f"/api/message-templates/{chat['id']}/duplicate", headers=admin_headers).json["name"] == "Hello (2)"
    missing = client.post("/api/message-templates/999999/duplicate", headers=admin_headers)
    assert missing.status_code == 404 and "There is no message template 999999" in missing.json["message"]
    assert client.post(f"/api/message-templates/{welcome['id']}/duplicate").status_code == 401


def test_a_test_send_delivers_the_rendered_html(create: Any, client: FlaskClient, app: Flask,
                                               admin_headers: dict[str, str], mail_server: MailServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "AUTOMAP", dataclasses.replace(app.config["AUTOMAP"], smtp_url=mail_server.url))
    template = create().json
    sample = {"contact": {"name": "<Bo>", "promo_code": "SAVE10"}, "event": {"product": "Boots"}}
    sent = client.post(f"/api/message-templates/{template['id']}/test-send",
                       json={"email": "qa@example.com", "sample": sample}, headers=admin_headers)
    assert sent.status_code == 200, sent.json
    [email] = mail_server.messages
    html = email.get_body(("html",)).get_content()
    assert "Hi &lt;Bo&gt;, use SAVE10 on Boots." in html  # rendered, escaped, compiled from MJML
    assert 'href="https://shop.example/?c=SAVE10"' in html and "<mj-" not in html
