"""The canvas end to end in headless Chromium: sign in, open the editor, drag a node from the palette, connect it, configure it."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from flask.testing import FlaskClient

from tests.e2e.browser_support import EXPECTED_FAILURES, drag_between, handle, sign_in_with_token

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

    # Configure it in the side panel: the form comes from the node's config schema, the preview renders the MJML.
    page.locator("#node-send_email_subject").fill("Your cart is waiting")
    page.locator("#node-send_email_body").fill("<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ name }}</mj-text></mj-column></mj-section></mj-body></mjml>")
    preview = page.get_by_test_id("email-preview")
    preview.wait_for()
    assert "Your cart is waiting" in preview.inner_text()
    expect(page.frame_locator("[data-testid=email-preview] iframe").locator("body")).to_contain_text("Hi {{ name }}")
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
    unexpected = [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES]
    assert unexpected == []
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []
