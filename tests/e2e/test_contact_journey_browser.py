"""Issue 21 item 3 in Chromium: a contact's journey on their card — each step with its time, the rule that decided
the condition, the split's variant and the chat sent — and an operator moving the run to another node with a reason,
after which the old run shows the move in its audit log and the new one where it went on from."""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.builder_api.test_journeys_api import JOURNEY, VARIANTS
from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.runtime_support import assert_counters_balance

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect


def test_an_operator_reads_a_journey_and_moves_the_run_with_a_reason(
        page: tuple[Any, Any], harness: Any, screenshots: Path) -> None:  # noqa: F811
    page, log = page
    flow_id = harness.publish(JOURNEY)
    anna = harness.contact(name="Anna", properties={"plan": "pro"})
    harness.track(anna, "signed_up")
    [run] = harness.runs(flow_id)
    variant = VARIANTS[run.path[2][1]]

    page.goto("/")
    sign_in_with_token(page)
    page.get_by_role("link", name="Contacts").click()  # the pasted token lives in the page: no reload
    page.get_by_role("row").filter(has_text="Anna").get_by_role("link", name="Anna").click()
    journey = page.get_by_test_id(f"run-journey-{run.id}")
    journey.locator("summary").click()
    trace = page.get_by_test_id(f"journey-{run.id}")
    expect(trace.get_by_test_id("journey-rule")).to_contain_text("order_paid")
    expect(trace.get_by_test_id("journey-rule")).to_contain_text("did not hold")
    expect(trace).to_contain_text(f"→ {variant}")
    expect(trace).to_contain_text("chat: sent")
    expect(trace).to_contain_text("Goal: order_paid")

    actions = page.get_by_test_id(f"journey-actions-{run.id}")
    actions.get_by_role("button", name="Move to…").click()
    actions.get_by_label("Node to move to").select_option("chat")
    confirm = actions.get_by_role("button", name="Confirm")
    expect(confirm).to_be_disabled()  # no reason yet
    actions.get_by_label("Reason").fill("Asked for the message again")
    confirm.click()
    expect(page.get_by_test_id("contact-runs").locator("li.card-item")).to_have_count(2)

    harness.drain()  # the new run, queued by the move, sends the chat again and waits
    page.get_by_role("link", name="← Contacts").click()
    page.get_by_role("row").filter(has_text="Anna").get_by_role("link", name="Anna").click()
    new_run = max(harness.runs(flow_id), key=lambda each: each.id)
    page.get_by_test_id(f"run-journey-{run.id}").locator("summary").click()
    audit = page.get_by_test_id(f"journey-{run.id}").get_by_test_id("journey-audit")
    expect(audit).to_contain_text("Moved to Send chat message by the admin token")
    expect(audit).to_contain_text("“Asked for the message again”")
    page.get_by_test_id(f"run-journey-{new_run.id}").locator("summary").click()
    expect(page.get_by_test_id(f"journey-{new_run.id}")).to_contain_text(f"Went on from run #{run.id}")
    expect(page.get_by_test_id(f"journey-{new_run.id}")).to_contain_text("chat: sent")
    page.get_by_test_id("contact-runs").screenshot(path=str(screenshots / "journey.png"))

    assert_counters_balance(harness, flow_id)
    assert [error for error in log.errors if "401" not in error] == []  # signed out at first: 401 from /api/session
    assert [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES] == []
