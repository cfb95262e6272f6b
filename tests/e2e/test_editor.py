"""The canvas end to end in headless Chromium: sign in, open the editor, drag a node from the palette, connect it, configure it."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.e2e.browser_support import EXPECTED_FAILURES, drag_between, handle, sign_in_with_token
from workflow_runtime.storage.models import Contact

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

def test_build_a_flow_on_the_canvas(page, client: FlaskClient, admin_headers: dict[str, str], screenshots: Path) -> None:
    page, log = page
    page.goto("/flows/new")
    sign_in_with_token(page)

    # The palette is the node catalogue the API serves, in its order.
    catalogue = client.get("/api/node-types", headers=admin_headers).json["node_types"]
    palette = page.get_by_test_id("palette")
    palette.wait_for()
    shown = [item.get_attribute("data-testid").removeprefix("palette-") for item in palette.locator(".palette-item").all()]
    assert shown == [node_type["type"] for node_type in catalogue]
    for node_type in catalogue:
        assert node_type["label"] in palette.get_by_test_id(f"palette-{node_type['type']}").inner_text()

    # Drag a send_email node from the palette onto the canvas.
    page.get_by_test_id("palette-send_email").drag_to(page.get_by_test_id("canvas"), target_position={"x": 420, "y": 640})
    email = page.get_by_test_id("node-send_email")
    email.wait_for()
    assert "Write the email or pick a template" in email.inner_text()

    # Connect the trigger's port to it; an arrow from the email back into itself is refused, and the canvas says why.
    drag_between(page, handle(page, "trigger", "source", "next"), handle(page, "send_email", "target"))
    page.locator('[data-testid="rf__edge-trigger:next->send_email"]').wait_for()
    drag_between(page, handle(page, "send_email", "source", "next"), handle(page, "send_email", "target"))
    expect(page.get_by_test_id("notice")).to_have_text("A node cannot lead to itself.")
    assert page.locator(".react-flow__edge").count() == 1

    # Configure it in the side panel: the form comes from the node's config schema; the server renders the preview for
    # its sample contact, who has no name, so the name prints as nothing and a `default` shows its fallback.
    page.locator("#node-send_email_subject").fill("Your cart is waiting, {{ name }}")
    mjml = "<mjml><mj-body><mj-section><mj-column><mj-text>{}</mj-text></mj-column></mj-section></mj-body></mjml>"
    page.locator("#node-send_email_body").fill(mjml.format("Hi {{ name }}!"))
    preview = page.get_by_test_id("email-preview")
    rendered = page.frame_locator("[data-testid=email-preview] iframe").locator("body")
    expect(preview.locator(".email-preview-subject")).to_have_text("Your cart is waiting,")
    expect(rendered).to_contain_text("Hi !")
    page.locator("#node-send_email_body").fill(mjml.format('Hi {{ name | default("there") }}!'))
    expect(rendered).to_contain_text("Hi there!")
    expect(page.get_by_test_id("contact-picker")).to_contain_text("a sample contact without a name")
    # A personalisation that cannot render is the server's sentence naming the field.
    page.locator("#node-send_email_body").fill(mjml.format("{{ 1 / 0 }}"))
    expect(preview.get_by_role("alert")).to_contain_text("The body is not valid")
    page.locator("#node-send_email_subject").fill("Your cart is waiting")
    page.locator("#node-send_email_body").fill(mjml.format('Hi {{ name | default("there") }}!'))
    expect(preview.get_by_role("alert")).to_have_count(0)
    assert '"Your cart is waiting"' in email.inner_text().replace("“", '"').replace("”", '"')

    # The delete key removes the node with its arrow; undo brings both back, redo removes them again.
    email.locator(".flow-node-header").click()
    page.keyboard.press("Delete")
    email.wait_for(state="detached")
    assert page.locator(".react-flow__edge").count() == 0
    page.keyboard.press("Control+z")
    email.wait_for()
    assert page.locator(".react-flow__edge").count() == 1
    assert "Your cart is waiting" in email.inner_text()
    page.keyboard.press("Control+Shift+z")
    email.wait_for(state="detached")
    page.keyboard.press("Control+z")
    email.wait_for()

    # Auto-layout puts the email to the right of the trigger, still connected.
    page.get_by_role("button", name="Tidy up").click()
    page.wait_for_function(
        """() => {
            const rect = (id) => document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();
            return rect("node-send_email").left > rect("node-trigger").right;
        }"""
    )
    email.locator(".flow-node-header").click()
    page.screenshot(path=str(screenshots / "editor.png"))
    failed = [(status, urlparse(url).path) for status, url in log.failed_responses]
    unexpected = [(status, path) for status, path in failed if path not in EXPECTED_FAILURES]
    assert unexpected == [(422, "/api/message-templates/preview")]  # the {{ 1 / 0 }} above
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []


def test_a_popup_is_previewed_for_the_sample_or_a_real_contact_and_its_warnings_do_not_stop_publishing(
    page, client: FlaskClient, admin_headers: dict[str, str], session: Session, screenshots: Path
) -> None:
    page, log = page
    session.add(Contact(email="anna@example.com", name="Anna", properties={"promo_code": "ANNA5"}))
    session.commit()
    popup = {"size": "small", "title": "Hi {{ name }}!",
             "body": 'Use the code {{ promo_code | default("CART10") }} today.'}
    document = {
        "schema_version": 2,
        "name": "Welcome back",
        "nodes": [
            {"id": "start", "type": "trigger", "config": {"on": "event", "event": "page_viewed"}},
            {"id": "welcome", "type": "send_popup", "config": popup},
            {"id": "done", "type": "exit", "config": {}},
        ],
        "edges": [
            {"from": "start", "port": "next", "to": "welcome"},
            {"from": "welcome", "port": "next", "to": "done"},
        ],
    }
    created = client.post("/api/flows", json={"name": "Welcome back", "document": document}, headers=admin_headers)
    flow_id = created.json["id"]
    page.goto(f"/flows/{flow_id}")
    sign_in_with_token(page)

    # The title prints the name with no fallback: a warning, in amber and apart from problems.
    problems = page.get_by_test_id("problems")
    expect(problems).to_have_class(re.compile(r"\bwarnings-only\b"))
    expect(problems.get_by_test_id("warnings")).to_have_text("1 warning (the flow can still be published)")
    expect(problems.locator(".problem-node")).to_have_text("Show popup: ")  # the node by the name its card shows

    # The server renders the popup: the sample contact has no name and no code, a chosen contact both.
    page.get_by_test_id("node-welcome").locator(".flow-node-header").click()
    preview = page.get_by_test_id("popup-preview")
    expect(preview.locator(".popup-title")).to_have_text("Hi !")
    expect(preview.locator(".popup-body")).to_have_text("Use the code CART10 today.")
    preview.get_by_role("searchbox").fill("anna")
    preview.get_by_role("button", name="Anna <anna@example.com>").click()
    expect(preview.locator(".popup-title")).to_have_text("Hi Anna!")
    expect(preview.locator(".popup-body")).to_have_text("Use the code ANNA5 today.")
    expect(preview.get_by_test_id("contact-picker")).to_contain_text("Preview for Anna <anna@example.com>")
    page.screenshot(path=str(screenshots / "popup-preview.png"))

    # Warnings do not stop publishing, and stay in view after it.
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Published version 1")
    expect(problems.get_by_test_id("warnings")).to_be_visible()
    unexpected = [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES]
    assert unexpected == []
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []
