"""The marketer's journey of issue 6 in headless Chromium: sign in → gallery → edit → fix a validation error → publish →
visitors tracked through /v1 → live statistics and their contacts → export → import."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from flask.testing import FlaskClient

from builder_api.accounts import create_user
from tests.conftest import SERVER_KEY
from tests.e2e.browser_support import EXPECTED_FAILURES, drag_between, handle
from tests.mail_server import MailServer
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.email_support import local_path, parts, settings_for

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect


def track(server: str, path: str, body: dict) -> None:
    """One Segment call over HTTP to /v1, as the shop's backend sends it: the server key as Basic user."""
    answer = httpx.post(f"{server}/v1/{path}", json=body, auth=(SERVER_KEY, ""))
    assert (answer.status_code, answer.json()) == (200, {"success": True}), answer.text


def shoppers_fill_their_carts(server: str, harness, mail_server: MailServer) -> None:  # noqa: F811
    """Three shoppers fill a cart; Carla pays within the hour; Anna and Boris do not, ignore the popup for a day,
    get its fallback email and then the email the marketer added; Anna opens hers."""
    for user_id, name, total in (("anna", "Anna", 80), ("boris", "Boris", 45), ("carla", "Carla", 30)):
        track(server, "identify", {"userId": user_id, "traits": {"name": name, "email": f"{user_id}@example.com"}})
        track(server, "track", {"userId": user_id, "event": "cart_updated", "properties": {"total": total}})
    harness.drain()
    track(server, "track", {"userId": "carla", "event": "order_paid", "properties": {"amount": 30}})
    harness.drain()
    harness.advance(timedelta(hours=1, minutes=1))
    harness.advance(timedelta(days=1, minutes=1))
    [added_for_anna] = [email for email in mail_server.messages
                        if email["To"].addresses[0].addr_spec == "anna@example.com" and "misses you" in email["Subject"]]
    _, html = parts(added_for_anna)
    pixel = html.split('<img src="')[1].split('"')[0]
    assert httpx.get(server + local_path(pixel)).status_code == 200


def edge_label(page, edge_id: str):
    return page.get_by_test_id(f"rf__edge-{edge_id}").locator(".react-flow__edge-text")


def open_flow_id(page) -> int:
    page.wait_for_url(re.compile(r"/flows/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_gallery_to_published_flow_to_statistics_to_export_and_back(
    page, client: FlaskClient, admin_headers: dict[str, str], screenshots: Path, cli,
    session, harness, app, server: str, mail_server: MailServer,  # noqa: F811
) -> None:
    page, log = page
    cli("scenarios", "load")
    create_user(session, "marketer@shop.example", "correct horse battery")
    session.commit()
    harness.runtime.email = settings_for(app, mail_server)
    page.goto("/scenarios")
    page.get_by_label("Email").fill("marketer@shop.example")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_test_id("sign-in").click()

    # The abandoned-cart scenario from the gallery opens as a new draft.
    page.get_by_test_id("scenario-abandoned_cart").get_by_role("button", name="Use this scenario").click()
    flow_id = open_flow_id(page)
    page.get_by_test_id("node-promo_popup").wait_for()

    # Replace the popup's exit with an email: delete the exit, drag send_email in, wire the popup to it, configure it.
    page.get_by_test_id("node-reminded").locator(".flow-node-header").click()
    page.keyboard.press("Delete")
    page.get_by_test_id("node-reminded").wait_for(state="detached")
    page.get_by_test_id("palette-send_email").drag_to(page.get_by_test_id("canvas"), target_position={"x": 560, "y": 620})
    email = page.get_by_test_id("node-send_email")
    email.wait_for()
    # Tidy up lays the map out and fits it into view, so no node hides behind the side panel or another node.
    page.get_by_role("button", name="Tidy up").click()
    drag_between(page, handle(page, "promo_popup", "source", "next"), handle(page, "send_email", "target"))
    page.locator('[data-testid="rf__edge-promo_popup:next->send_email"]').wait_for()
    page.locator("#node-send_email_subject").fill("{{ name }}, your cart misses you")
    page.locator("#node-send_email_body").fill("<mjml><mj-body><mj-section><mj-column><mj-text>Still thinking?</mj-text></mj-column></mj-section></mj-body></mjml>")

    # Checking the draft marks the email's unconnected port on the node itself.
    page.get_by_role("button", name="Check").click()
    expect(email.locator(".flow-node-error")).to_be_visible()
    expect(page.get_by_test_id("problems")).to_be_visible()

    # Fix it: end the email in an exit, check again, publish.
    page.get_by_test_id("palette-exit").drag_to(page.get_by_test_id("canvas"), target_position={"x": 760, "y": 620})
    page.get_by_test_id("node-exit").wait_for()
    page.get_by_role("button", name="Tidy up").click()
    drag_between(page, handle(page, "send_email", "source", "next"), handle(page, "exit", "target"))
    page.get_by_role("button", name="Tidy up").click()  # the wired map, laid out left to right
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_test_id("notice")).to_have_text("No problems: ready to publish.")
    expect(email.locator(".flow-node-error")).to_have_count(0)
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Published version 1")
    expect(page.locator(".editor-toolbar .badge")).to_have_text("Live")
    stored = client.get(f"/api/flows/{flow_id}", headers=admin_headers).json
    assert stored["status"] == "live"
    assert {"from": "send_email", "port": "next", "to": "exit"} in stored["document"]["edges"]

    # Statistics mode opens on the same canvas; nobody has arrived yet.
    page.get_by_test_id("stats-mode").click()
    page.get_by_test_id("stats-bar").wait_for()
    expect(page.get_by_test_id("stats-bar")).to_contain_text("0 entered")
    expect(page.get_by_test_id("stat-cart_updated-entered")).to_have_text("0Entered")

    # Shoppers tracked through /v1 run through the live flow; reopening statistics shows their numbers.
    shoppers_fill_their_carts(server, harness, mail_server)
    page.get_by_role("button", name="Edit").click()
    page.get_by_test_id("stats-mode").click()
    expect(page.get_by_test_id("stats-bar")).to_contain_text("3 entered")
    expect(page.get_by_test_id("stats-bar")).to_contain_text("1 converted (33%)")
    expect(page.get_by_test_id("stat-cart_updated-entered")).to_have_text("3Entered")
    expect(page.get_by_test_id("stat-wait_for_payment-waiting")).to_have_text("0Waiting")
    expect(page.get_by_test_id("stat-send_email-entered")).to_have_text("2Entered")
    # "Sent" is what the SMTP server accepted; nothing waits in the queue.
    expect(page.get_by_test_id("stat-send_email-email:queued")).to_have_text("0Queued")
    expect(page.get_by_test_id("stat-send_email-email:delivered")).to_have_text("2 · 100%Sent")
    expect(page.get_by_test_id("stat-send_email-email:read")).to_have_text("1 · 50%Read")
    expect(edge_label(page, "wait_for_payment:timeout->give_promo_code")).to_have_text("2")
    # Carla paid while waiting for it: her payment first wakes her run, which takes the `paid` branch, then is the goal.
    expect(edge_label(page, "wait_for_payment:event->paid")).to_have_text("1")
    expect(edge_label(page, "send_email:next->exit")).to_have_text("2")

    # A number opens the contacts behind it: who read the email, who reached it.
    page.get_by_test_id("stat-send_email-email:read").click()
    drilldown = page.get_by_test_id("drilldown")
    expect(drilldown.locator("h3")).to_have_text("Read (1)")
    expect(drilldown.locator("tbody")).to_contain_text("anna@example.com")
    expect(drilldown.locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("stat-send_email-entered").click()
    expect(drilldown.locator("thead")).to_contain_text("Entered the flow")
    expect(drilldown.locator("h3")).to_have_text("Entered (2)")
    expect(drilldown.locator("tbody tr")).to_have_count(2)
    expect(drilldown).to_contain_text("anna@example.com")
    expect(drilldown).to_contain_text("boris@example.com")
    expect(drilldown).not_to_contain_text("Carla")
    expect(page.get_by_test_id("notice")).to_have_count(0, timeout=10_000)  # the publish notice has faded
    page.screenshot(path=str(screenshots / "drilldown.png"))
    page.get_by_role("button", name="Edit").click()

    # Export downloads exactly what GET /api/flows/<id>/export serves.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
    downloaded = Path(download_info.value.path()).read_bytes()
    assert downloaded == client.get(f"/api/flows/{flow_id}/export", headers=admin_headers).data

    # Importing that file again makes a new flow with the same map.
    page.goto("/flows")
    page.get_by_test_id("import-file").set_input_files(download_info.value.path())
    imported_id = open_flow_id(page)
    assert imported_id != flow_id
    imported = client.get(f"/api/flows/{imported_id}", headers=admin_headers).json["document"]
    exported = json.loads(downloaded)
    assert imported["nodes"] == exported["nodes"]
    assert imported["edges"] == exported["edges"]

    unexpected = [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES]
    assert unexpected == []
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []
