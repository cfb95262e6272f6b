"""The demo's statistics in headless Chromium, as a new user first sees them: every shopper accounted for
on the canvas (the 60 who paid while waiting included), the popup and its fallback email counted apart, an
email queue that says no SMTP server is configured, and cards that never cover one another."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.e2e.test_journey import edge_label
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from workflow_runtime.demo import seed_demo

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect


def _overlapping(boxes: dict[str, dict[str, float]]) -> list[tuple[str, str]]:
    """The pairs of cards whose rectangles on the screen intersect."""
    ids = sorted(boxes)
    return [
        (a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
        if boxes[a]["x"] < boxes[b]["x"] + boxes[b]["width"] and boxes[b]["x"] < boxes[a]["x"] + boxes[a]["width"]
        and boxes[a]["y"] < boxes[b]["y"] + boxes[b]["height"] and boxes[b]["y"] < boxes[a]["y"] + boxes[a]["height"]
    ]


def test_the_demo_statistics_account_for_every_shopper(page, harness, screenshots: Path) -> None:  # noqa: F811
    page, log = page
    seeded = seed_demo(harness.runtime)  # 300 simulated shoppers over nine (virtual) days
    page.goto(f"/flows/{seeded.flow_id}")
    sign_in_with_token(page)
    page.get_by_test_id("stats-mode").click()
    bar = page.get_by_test_id("stats-bar")
    expect(bar).to_contain_text("300 entered")
    expect(bar).to_contain_text("90 converted (30%)")
    expect(page.get_by_test_id("stats-version")).to_have_value("")  # every version, by default

    # The 60 who paid within 20 minutes leave the wait by its event port and end at the exit 'paid'.
    expect(page.get_by_test_id("stat-wait_for_payment-entered")).to_have_text("300Entered")
    expect(edge_label(page, "wait_for_payment:event->paid")).to_have_text("60")
    expect(edge_label(page, "wait_for_payment:timeout->give_promo_code")).to_have_text("240")
    expect(page.get_by_test_id("endings-paid")).to_contain_text("60Completed")

    # The popup and its fallback email, apart: 240 popups, 150 emails to those who never read theirs.
    popup = page.get_by_test_id("funnel-promo_popup-popup")
    expect(popup).to_contain_text("Popup")
    expect(page.get_by_test_id("stat-promo_popup-popup:delivered")).to_have_text("90 · 38%Sent")
    fallback = page.get_by_test_id("funnel-promo_popup-email")
    expect(fallback).to_contain_text("Fallback email")
    expect(page.get_by_test_id("stat-promo_popup-email:read")).to_contain_text("60")
    # The tests' app has no SMTP server: the 90 emails nobody opened are queued, and the canvas says why.
    expect(page.get_by_test_id("stat-promo_popup-email:queued")).to_have_text("90Queued")
    expect(page.get_by_test_id("email-not-configured")).to_contain_text("90 wait in the queue")
    expect(page.get_by_test_id("daily-chart")).to_be_visible()

    # Taller cards in statistics mode are moved apart, never drawn over one another.
    cards = page.locator(".react-flow__node")
    expect(cards).to_have_count(6)
    boxes = {card.get_attribute("data-id"): card.bounding_box() for card in cards.all()}
    assert _overlapping(boxes) == []

    page.screenshot(path=str(screenshots / "statistics.png"))
    # Before signing in, the canvas asks for the session and gets a 401: the only failure expected.
    assert [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES] == []
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []
