"""`/api/workspace/email`: whether email can leave (host shown, password never), and a test email sent through
the configured SMTP server — a real aiosmtpd server here — or a 409 / 502 saying why not."""
from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import INBOUND_DOMAIN
from tests.mail_server import MailServer, free_port


def configure(app: Flask, monkeypatch: pytest.MonkeyPatch, smtp_url: str | None) -> None:
    monkeypatch.setitem(app.config, "AUTOMAP", dataclasses.replace(app.config["AUTOMAP"], smtp_url=smtp_url))


def test_the_status_names_the_server_and_never_its_password(client: FlaskClient, app: Flask,
                                                            admin_headers: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    configure(app, monkeypatch, "smtp://mailer:s3cret-pass@mail.shop.example:587?starttls=true")
    answer = client.get("/api/workspace/email", headers=admin_headers)
    assert answer.status_code == 200
    assert answer.json == {"configured": True, "host": "mail.shop.example", "port": 587, "username": "mailer",
                           "encryption": "starttls", "mail_from": "noreply@127.0.0.1",
                           "inbound_domain": INBOUND_DOMAIN, "problem": None}
    assert "s3cret-pass" not in answer.get_data(as_text=True)


def test_an_unconfigured_or_malformed_server_is_shown_as_such(client: FlaskClient, app: Flask,
                                                              admin_headers: dict[str, str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    configure(app, monkeypatch, None)
    status = client.get("/api/workspace/email", headers=admin_headers).json
    assert (status["configured"], status["host"], status["problem"]) == (False, None, None)
    configure(app, monkeypatch, "http://mail.shop.example")
    status = client.get("/api/workspace/email", headers=admin_headers).json
    assert status["configured"] is False
    assert status["problem"] == "AUTOMAP_SMTP_URL must start with smtp:// or smtps://, not 'http'."


def test_a_test_email_goes_through_the_configured_server(client: FlaskClient, app: Flask,
                                                         admin_headers: dict[str, str], mail_server: MailServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    configure(app, monkeypatch, mail_server.url)
    answer = client.post("/api/workspace/email/test", json={"email": "owner@shop.example"}, headers=admin_headers)
    assert (answer.status_code, answer.json) == (200, {"sent_to": "owner@shop.example"})
    [email] = mail_server.messages
    assert mail_server.recipients == [["owner@shop.example"]]
    assert (email["To"], email["From"], email["Subject"]) == ("owner@shop.example", "noreply@127.0.0.1",
                                                              "automap test email")
    assert f"127.0.0.1:{mail_server.port}" in email.get_body(("plain",)).get_content()


def test_without_a_server_the_test_is_409_with_what_to_set(client: FlaskClient, app: Flask,
                                                           admin_headers: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    configure(app, monkeypatch, None)
    answer = client.post("/api/workspace/email/test", json={"email": "owner@shop.example"}, headers=admin_headers)
    assert answer.status_code == 409
    assert answer.json["message"].startswith("No SMTP server is configured: set AUTOMAP_SMTP_URL")


def test_a_refusing_or_unreachable_server_is_502_naming_its_answer(client: FlaskClient, app: Flask,
                                                                   admin_headers: dict[str, str],
                                                                   mail_server: MailServer,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    configure(app, monkeypatch, mail_server.url)
    mail_server.rcpt_reply = "550 No such user here"
    refused = client.post("/api/workspace/email/test", json={"email": "nobody@shop.example"}, headers=admin_headers)
    assert refused.status_code == 502
    assert refused.json["message"] == "The test email was not sent: the SMTP server answered 550 No such user here."

    configure(app, monkeypatch, f"smtp://127.0.0.1:{free_port()}")
    down = client.post("/api/workspace/email/test", json={"email": "owner@shop.example"}, headers=admin_headers)
    assert down.status_code == 502
    assert "cannot reach the SMTP server 127.0.0.1" in down.json["message"]


def test_the_address_must_be_an_email(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    answer = client.post("/api/workspace/email/test", json={"email": "not an address"}, headers=admin_headers)
    assert answer.status_code in (400, 422)
    assert answer.json["errors"][0]["pointer"] == "/email"
