"""Issue 22, done when: a marketer builds a funnel in Chromium, opens the contacts who dropped after a step and turns
them into a segment (whose members are exactly those contacts), then saves the funnel."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from builder_api.accounts import create_user
from tests.e2e.browser_support import EXPECTED_FAILURES
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from workflow_runtime.audience.contact_search import find_contacts
from workflow_runtime.storage.models import Segment

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

PASSWORD = "correct horse battery"


def _shoppers(harness) -> dict[str, int]:  # noqa: F811
    """Ten shoppers fill a cart; Ann, Bo and Cy pay within the hour, Di pays two days later (too late)."""
    people = {f"Shopper {number}": harness.contact(name=f"Shopper {number}") for number in range(6)}
    people.update({name: harness.contact(name=name) for name in ("Ann", "Bo", "Cy", "Di")})
    events = [harness.record_event(contact_id, "cart_updated", {"total": 30}, seconds_ago=3 * 86400)
              for contact_id in people.values()]
    events += [harness.record_event(people[name], "order_paid", {"amount": 30}, seconds_ago=3 * 86400 - 600)
               for name in ("Ann", "Bo", "Cy")]
    events.append(harness.record_event(people["Di"], "order_paid", {"amount": 30}, seconds_ago=86400))
    harness.runtime.jobs.apply_events(events)
    harness.drain()
    return people


def test_a_marketer_turns_a_funnels_drop_off_into_a_segment(page, session: Session, harness,  # noqa: F811
                                                             screenshots: Path) -> None:
    page, log = page
    people = _shoppers(harness)
    create_user(session, "marketer@shop.example", PASSWORD)
    session.commit()
    page.goto("/reports/funnels")
    page.get_by_label("Email").fill("marketer@shop.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()

    page.get_by_test_id("new-funnel").click()
    steps = page.get_by_test_id("funnel-step")
    steps.nth(0).get_by_test_id("step-event").fill("cart_updated")
    steps.nth(1).get_by_test_id("step-event").fill("order_paid")
    page.locator("[data-testid=funnel-window] input[aria-label=hours]").fill("1")
    page.locator("[data-testid=funnel-window] input[aria-label=days]").fill("0")
    page.get_by_test_id("funnel-compute").click()
    expect(page.locator("[data-testid=funnel-bar][data-step='2'] [data-testid=funnel-count]")).to_have_attribute(
        "data-count", "3")
    expect(page.locator("[data-testid=funnel-bar][data-step='1'] [data-testid=funnel-count]")).to_have_attribute(
        "data-count", "10")

    page.locator("[data-testid=funnel-bar][data-step='1']").get_by_test_id("step-dropped").click()
    expect(page.get_by_test_id("funnel-contacts-row")).to_have_count(7)
    page.screenshot(path=str(screenshots / "funnel.png"))
    page.get_by_test_id("save-as-segment").click()
    page.get_by_test_id("segment-name").fill("Carts never paid within the hour")
    page.get_by_test_id("save-segment").click()
    expect(page.get_by_test_id("funnel-segment-saved")).to_be_visible()

    segment = session.query(Segment).filter_by(name="Carts never paid within the hour").one()
    members = find_contacts(session, harness.clock.now(), condition=segment.filter, limit=100)
    assert {contact.id for contact in members.contacts} == {
        contact_id for name, contact_id in people.items() if name not in ("Ann", "Bo", "Cy")}

    page.get_by_test_id("funnel-name").fill("Cart to payment")
    page.get_by_test_id("funnel-save").click()
    expect(page.get_by_test_id("funnel-notice")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/reports/funnels/\d+$"))
    assert [error for error in log.errors if "401" not in error] == []  # signed out at first: 401 from /api/session
    assert [url for _, url in log.failed_responses if not url.endswith(tuple(EXPECTED_FAILURES))] == []
