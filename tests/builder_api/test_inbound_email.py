"""Email answers to forwarded chat messages: through the inbound webhook and a real inbound SMTP server,
back into the same conversation, counted `replied`, pushed to the visitor's open widget."""
from __future__ import annotations

import base64
import json
import queue
import smtplib
import threading
from email.message import EmailMessage

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from builder_api.mail import reply_addresses
from tests.builder_api.widget_support import bearer, sse_events, write_key_auth
from tests.conftest import INBOUND_SECRET
from tests.live_server import live_server
from tests.mail_server import MailServer, free_port
from tests.workflow_runtime.chat_forward_support import answer, forwarded
from workflow_runtime.channels import presence, reply_text
from workflow_runtime.channels.inbound_email import MAX_EMAIL_BYTES
from workflow_runtime.channels.inbound_smtp import inbound_smtp_server
from workflow_runtime.storage.models import Reply


def inbound_auth(secret: str = INBOUND_SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"inbound:{secret}".encode()).decode()}


def post_raw(client: FlaskClient, email: EmailMessage | bytes, **headers: str) -> object:
    raw = email if isinstance(email, bytes) else email.as_bytes()
    return client.post("/inbound/email", data=raw, content_type="message/rfc822", headers={**inbound_auth(), **headers})


def replies(harness) -> list[Reply]:  # noqa: ANN001, F811
    with harness.session() as session:
        return list(session.scalars(select(Reply).order_by(Reply.id)))


def test_a_webhook_answer_joins_the_conversation_without_its_quoted_history(
        app: Flask, client: FlaskClient, admin_headers: dict[str, str], harness,  # noqa: F811
        mail_server: MailServer) -> None:
    flow_id, boris, nudge, email = forwarded(harness, app, mail_server)
    reply = answer(email, "Yes please, hold it until Friday.\n\nIt is for my sister.\n\n-- \nBoris Petrov\n+49 30 1234")

    response = post_raw(client, reply)
    assert response.status_code == 201, response.json
    assert response.json["message_id"] == nudge.id and response.json["contact_id"] == boris
    assert response.json["reply"]["body"] == "Yes please, hold it until Friday.\n\nIt is for my sister."  # no signature
    assert response.json["reply"]["source"] == "email" and response.json["duplicate"] is False

    again = post_raw(client, reply)  # the provider retried: kept once
    assert (again.status_code, again.json["duplicate"]) == (200, True)
    assert len(replies(harness)) == 2  # the widget answer to the greeting, and this one
    assert harness.counters(flow_id)["nudge"]["chat:replied"] == 1

    # The whole dialog, in order, for the marketer and for the visitor's widget.
    expected = [("message", "Hi Boris, can I help?"), ("reply", "Looking for a lamp"),
                ("message", "Boris, the blue lamp is still in your cart.\nShall I hold it?"),
                ("reply", "Yes please, hold it until Friday.\n\nIt is for my sister.")]
    items = client.get(f"/api/contacts/{boris}/conversation", headers=admin_headers).json["items"]
    assert [(item["kind"], item["body"]) for item in items] == expected
    assert [item.get("source") for item in items] == [None, "widget", None, "email"]
    token = client.post("/widget/session", json={"anonymousId": "anon-boris"}, headers=write_key_auth()).json["token"]
    shown = client.get("/widget/conversation", headers=bearer(token)).json["items"]
    assert [(item["kind"], item["body"]) for item in shown] == expected
    assert client.get("/api/contacts/999999/conversation", headers=admin_headers).status_code == 404


def test_provider_forms_and_html_only_answers_are_taken(
        app: Flask, client: FlaskClient, harness, mail_server: MailServer) -> None:  # noqa: F811
    _flow_id, _boris, nudge, email = forwarded(harness, app, mail_server)
    gmail_html = ('<div dir="ltr">Friday works, <b>thanks</b>!</div><br><div class="gmail_quote">'
                  '<div class="gmail_attr">On Mon, Mar 2, 2026 at 10:40 AM Anna wrote:<br></div>'
                  '<blockquote class="gmail_quote">Boris, the blue lamp is still in your cart.</blockquote></div>')
    html_only = answer(email, "", html=gmail_html, message_id="<html-1@mail.example>")
    mailgun = client.post("/inbound/email", headers=inbound_auth(), content_type="multipart/form-data", data={
        "recipient": str(email["Reply-To"]), "sender": "boris@example.com",
        "body-mime": html_only.as_string()})
    assert mailgun.status_code == 201, mailgun.json
    assert mailgun.json["reply"]["body"] == "Friday works, thanks!"

    # SendGrid's raw Inbound Parse: the envelope names the reply address, the headers need not.
    forwarded_copy = answer(email, "And a lampshade, please.", message_id="<sg-1@mail.example>",
                            to="boris-alias@example.com")
    sendgrid = client.post("/inbound/email", headers=inbound_auth(), content_type="multipart/form-data", data={
        "envelope": json.dumps({"to": [str(email["Reply-To"])], "from": "boris@example.com"}),
        "email": forwarded_copy.as_string()})
    assert sendgrid.status_code == 201, sendgrid.json
    assert sendgrid.json["message_id"] == nudge.id
    assert [reply.body for reply in replies(harness)][-2:] == ["Friday works, thanks!", "And a lampshade, please."]


def test_bad_answers_are_refused_with_a_reason_and_nothing_is_stored(
        app: Flask, client: FlaskClient, harness, mail_server: MailServer) -> None:  # noqa: F811
    _flow_id, _boris, nudge, email = forwarded(harness, app, mail_server)
    addresses = reply_addresses(app.config["AUTOMAP"])
    good = str(email["Reply-To"])
    forged = good.replace(f"reply+{nudge.id}.", f"reply+{nudge.id + 1}.")
    before = len(replies(harness))

    assert post_raw(client, answer(email, "hi"), Authorization="").status_code == 401
    wrong = post_raw(client, answer(email, "hi"), **inbound_auth("guess"))
    assert (wrong.status_code, wrong.json["message"]) == (401, "This inbound secret is not valid.")
    cases = {
        "forged": (answer(email, "Let me in", to=forged), 403, "was not issued by this server"),
        "unknown": (answer(email, "Hello?", to=addresses.address(nudge.id + 1000)), 404, "no chat message"),
        "elsewhere": (answer(email, "Hello?", to="someone@else.example"), 422, "none of the recipients"),
        "only quotes": (answer(email, ""), 422, "no new text"),
        "too long": (answer(email, "a" * 5001), 413, "at most 5000"),
        "not an email": (b"\r\n\r\njust some bytes", 400, "not an RFC 822 email"),
    }
    for name, (raw, status, reason) in cases.items():
        response = post_raw(client, raw)
        assert (response.status_code, reason in response.json["message"]) == (status, True), (name, response.json)
    oversize = post_raw(client, b"Subject: big\r\n\r\n" + b"x" * (MAX_EMAIL_BYTES + 100 * 1024))
    assert oversize.status_code == 413
    wrong_type = client.post("/inbound/email", data="{}", content_type="application/json", headers=inbound_auth())
    assert wrong_type.status_code == 415
    no_email = client.post("/inbound/email", data={"recipient": good}, headers=inbound_auth())
    assert no_email.status_code == 400 and no_email.json["errors"][0]["field"] == "body-mime"
    assert len(replies(harness)) == before


def test_a_crafted_answer_reaches_the_reply_parser_only_up_to_its_bounds(
        app: Flask, client: FlaskClient, harness, mail_server: MailServer,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of blank lines and long lines with many "skrev" took the parser seconds to minutes: it now reads a
    bounded start in short lines, and the answer is kept (or refused for its length)."""
    _flow_id, _boris, _nudge, email = forwarded(harness, app, mail_server)
    parsed: list[str] = []
    read = reply_text._PARSER.read
    monkeypatch.setattr(reply_text._PARSER, "read", lambda text: parsed.append(text) or read(text))

    blank_lines = post_raw(client, answer(email, "Friday," + "\n" * 15_000 + "please."))
    assert blank_lines.status_code == 201, blank_lines.json
    assert blank_lines.json["reply"]["body"] == "Friday,\n\nplease."
    header_like = post_raw(client, answer(email, "Den " + "a skrev " * 4_000, message_id="<crafted-2@mail.example>"))
    assert header_like.status_code == 413 and "at most 5000" in header_like.json["message"]

    assert len(parsed) == 2
    for text in parsed:
        assert len(text.replace("\u2060\n\u2060", "")) <= reply_text.MAX_PARSED_CHARACTERS
        assert max(len(line) for line in text.split("\n")) <= reply_text.PARSED_LINE_CHARACTERS + 2


def test_the_inbound_smtp_server_takes_only_signed_reply_addresses(
        app: Flask, harness, mail_server: MailServer) -> None:  # noqa: F811
    flow_id, boris, nudge, email = forwarded(harness, app, mail_server)
    addresses = reply_addresses(app.config["AUTOMAP"])
    good = str(email["Reply-To"])
    port = free_port()
    with inbound_smtp_server(harness.runtime, addresses, "127.0.0.1", port), \
            smtplib.SMTP("127.0.0.1", port) as smtp:
        assert smtp.ehlo()[0] == 250
        smtp.mail("boris@example.com")
        assert smtp.rcpt("postmaster@in.shop.example")[0] == 550
        assert smtp.rcpt("someone@elsewhere.example")[0] == 550
        assert smtp.rcpt(good.replace(f"reply+{nudge.id}.", f"reply+{nudge.id + 1}."))[0] == 550
        assert smtp.rcpt(good)[0] == 250
        assert smtp.rcpt(addresses.address(nudge.id + 1))[0] == 452  # one conversation per message
        assert smtp.data(answer(email, "Friday, then.").as_bytes())[0] == 250

        smtp.mail("boris@example.com")
        assert smtp.rcpt(good)[0] == 250
        code, reason = smtp.data(answer(email, "", message_id="<empty@mail.example>").as_bytes())
        assert (code, b"no new text" in reason) == (550, True)

    [kept] = [reply for reply in replies(harness) if reply.source.value == "email"]
    assert (kept.body, kept.message_id, kept.contact_id) == ("Friday, then.", nudge.id, boris)
    assert harness.counters(flow_id)["nudge"]["chat:replied"] == 1


def test_an_email_answer_reaches_the_visitors_open_widget_at_once(
        app: Flask, harness, mail_server: MailServer) -> None:  # noqa: F811
    _flow_id, boris, _nudge, email = forwarded(harness, app, mail_server)
    assert not presence.is_on_site(harness.runtime.redis, boris, harness.clock.now())
    received: queue.Queue = queue.Queue()
    ready = threading.Event()

    with live_server(app, AUTOMAP_WIDGET_STREAM_LIFETIME=5.0, AUTOMAP_WIDGET_HEARTBEAT=2.0) as server:
        url = server.url

        def listen() -> None:
            with httpx.Client(base_url=url, timeout=10) as http:
                token = http.post("/widget/session", json={"anonymousId": "anon-boris"},
                                  headers=write_key_auth()).json()["token"]
                last = max(item["id"] for item in http.get("/widget/conversation",
                                                          headers=bearer(token)).json()["items"] if item["kind"] == "reply")
                with http.stream("GET", "/widget/stream", params={"token": token, "after_reply": last}) as response:
                    lines = response.iter_lines()
                    assert next(lines).startswith("retry:")
                    ready.set()
                    for event in sse_events(lines):
                        received.put(event)

        thread = threading.Thread(target=listen)
        thread.start()
        assert ready.wait(10)
        nudge = received.get(timeout=5)  # the chat message still to show comes first
        assert presence.is_on_site(harness.runtime.redis, boris, harness.clock.now())  # the open stream marks it
        with httpx.Client(base_url=url) as http:
            posted = http.post("/inbound/email", content=answer(email, "On my way!").as_bytes(),
                               headers={**inbound_auth(), "Content-Type": "message/rfc822"})
            assert posted.status_code == 201
            pushed = received.get(timeout=1.5)  # before the 2 s heartbeat: the notice woke the stream
        thread.join()
    assert (nudge["event"], pushed["event"]) == ("message", "reply")
    assert json.loads(pushed["data"])["body"] == "On my way!"
    assert json.loads(pushed["data"])["source"] == "email"
