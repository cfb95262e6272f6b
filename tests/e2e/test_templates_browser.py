"""Issue 18: the message template library in headless Chromium: an email template made in the visual editor (a text
block added from GrapesJS's block panel, typed into on its canvas), saved, shown by the server's preview, sent as a
test to a real SMTP server (aiosmtpd) once one is configured; then listed, duplicated and deleted."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.mail_server import MailServer
from workflow_runtime.authoring import flow_store

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

WORDS = "Tulips are 20% off until Sunday"


def test_an_email_made_in_the_visual_editor_is_previewed_and_sent_as_a_test(
    page, app: Flask, client: FlaskClient, admin_headers: dict[str, str], mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch, screenshots: Path,
) -> None:
    page, log = page
    page.goto("/templates")
    sign_in_with_token(page)
    page.get_by_test_id("new-email-template").click()
    page.get_by_test_id("template-name").fill("Spring sale")
    page.get_by_test_id("template-subject").fill("Spring is here")

    # A text block from GrapesJS's block panel goes into the email's column, and is typed into on the canvas.
    page.locator(".gjs-block", has_text=re.compile(r"^\s*Text\s*$")).click()
    canvas = page.frame_locator("iframe.gjs-frame")
    added = canvas.get_by_text("Insert text here")
    added.dblclick()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(WORDS)
    expect(canvas.get_by_text(WORDS)).to_be_visible()
    page.get_by_test_id("template-save").click()
    expect(page).to_have_url(re.compile(r"/templates/\d+$"))
    template_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("template-title")).to_have_text("Spring sale")

    stored = client.get(f"/api/message-templates/{template_id}", headers=admin_headers).json
    assert WORDS in stored["body"] and "<mj-text" in stored["body"] and stored["subject"] == "Spring is here"

    # The server's rendering of it: the starter greeting with its fallback, and the typed text.
    preview = page.get_by_test_id("email-preview")
    expect(preview.locator(".email-preview-subject")).to_have_text("Spring is here")
    rendered = preview.frame_locator("iframe")
    expect(rendered.get_by_text(WORDS)).to_be_visible()
    expect(rendered.get_by_text("Hi there,")).to_be_visible()
    page.screenshot(path=str(screenshots / "template-editor.png"))

    # No mail server yet: the test send says so; with aiosmtpd configured, the email arrives rendered.
    page.get_by_test_id("template-test-email").fill("qa@example.com")
    page.get_by_test_id("template-test-send").click()
    outcome = page.get_by_test_id("template-test-outcome")
    expect(outcome).to_contain_text("No test was sent: automap has no mail server to send through.")
    expect(outcome).to_contain_text("AUTOMAP_SMTP_URL")
    monkeypatch.setitem(app.config, "AUTOMAP", dataclasses.replace(app.config["AUTOMAP"], smtp_url=mail_server.url))
    page.get_by_test_id("template-test-send").click()
    expect(outcome).to_have_text("Test email sent to qa@example.com.")
    [email] = mail_server.messages
    assert (email["Subject"], email["To"]) == ("[Test] Spring is here", "qa@example.com")
    html = email.get_body(("html",)).get_content()
    assert WORDS in html and "Hi there," in html and "<mj-" not in html

    # The source view shows the MJML the visual editor made, and an edit there comes back to the visual editor.
    page.get_by_test_id("template-mode-source").click()
    source = page.get_by_test_id("template-source")
    expect(source).to_have_value(re.compile(re.escape(WORDS)))
    source.fill(source.input_value().replace(WORDS, "Roses too"))
    page.get_by_test_id("template-mode-visual").click()
    expect(page.frame_locator("iframe.gjs-frame").get_by_text("Roses too")).to_be_visible()

    # The library lists it; a copy is numbered; deleting asks first.
    page.get_by_role("link", name="← All templates").click()
    row = page.get_by_test_id(f"template-row-{template_id}")
    expect(row).to_contain_text("Spring sale")
    expect(row).to_contain_text("Spring is here")
    expect(row).to_contain_text("No flow")
    row.get_by_test_id("template-duplicate").click()
    expect(page.get_by_test_id("templates-notice")).to_have_text("Duplicated “Spring sale” as “Spring sale (2)”.")
    page.get_by_test_id("templates-search").fill("(2)")
    expect(page.get_by_test_id("templates-table").locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("templates-table").get_by_test_id("template-delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("templates-notice")).to_have_text("Deleted “Spring sale (2)”.")
    names = [t["name"] for t in client.get("/api/message-templates", headers=admin_headers).json["message_templates"]]
    assert names == ["Spring sale"]

    # The one refusal was the test send before a mail server was configured.
    unexpected = [(status, urlparse(url).path) for status, url in log.failed_responses
                  if urlparse(url).path not in EXPECTED_FAILURES]
    assert unexpected == [(409, f"/api/message-templates/{template_id}/test-send")]
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []


def test_an_email_written_on_a_node_is_saved_as_a_library_template(
    page, client: FlaskClient, admin_headers: dict[str, str], session,
) -> None:
    page, log = page
    body = "<mjml><mj-body><mj-section><mj-column><mj-text>Welcome aboard</mj-text></mj-column></mj-section></mj-body></mjml>"
    flow = flow_store.import_flow(session, {"schema_version": 2, "name": "Onboarding", "nodes": [
        {"id": "start", "type": "trigger", "position": {"x": 0, "y": 0}, "config": {"event": "signed_up"}},
        {"id": "mail", "type": "send_email", "position": {"x": 0, "y": 160},
         "config": {"subject": "Welcome!", "body": body, "preheader": "Start here"}},
        {"id": "end", "type": "exit", "position": {"x": 0, "y": 320}, "config": {"reason": "done"}},
    ], "edges": [{"from": "start", "port": "next", "to": "mail"}, {"from": "mail", "port": "next", "to": "end"}]})
    session.commit()

    page.goto(f"/flows/{flow.id}")
    sign_in_with_token(page)
    page.locator('.react-flow__node[data-id="mail"]').click()
    page.get_by_test_id("save-as-template").click()
    expect(page.get_by_test_id("save-as-template-name")).to_have_value("Welcome!")
    page.get_by_test_id("save-as-template-name").fill("Welcome email")
    page.get_by_test_id("save-as-template-save").click()

    # The node now sends the new library template, picked by name, with a link to it in the library.
    expect(page.get_by_test_id("edit-template-in-library")).to_be_visible()
    [template] = client.get("/api/message-templates", headers=admin_headers).json["message_templates"]
    assert (template["name"], template["subject"], template["body"]) == ("Welcome email", "Welcome!", body)
    expect(page.get_by_test_id("email-template-select")).to_have_value(str(template["id"]))
    expect(page.get_by_test_id("edit-template-in-library")).to_have_attribute("href", f"/templates/{template['id']}")
    expect(page.get_by_test_id("edit-template-in-library")).to_have_attribute("target", "_blank")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Draft saved")
    session.expire_all()  # the flow this test stored is read again as the server saved it, not as first loaded
    config = client.get(f"/api/flows/{flow.id}", headers=admin_headers).json["document"]["nodes"][1]["config"]
    assert config == {"template_id": template["id"], "preheader": "Start here"}
    listed = client.get(f"/api/message-templates/{template['id']}", headers=admin_headers).json
    assert listed["used_by"] == [{"id": flow.id, "name": "Onboarding"}]
    assert [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES] == []
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []
