"""The Failures page in Chromium: a run parked by a failing step is shown with why, and retried once fixed."""
from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.runtime_support import run_of, track_all
from tests.workflow_runtime.test_fault_isolation import POISON, broken_for_poison, tagging_flow  # noqa: F401
from workflow_runtime.storage.models import RunStatus


def test_a_parked_run_is_shown_with_its_reason_and_retried_from_the_page(
        page: Any, harness: Any, broken_for_poison: None, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    browser_page, log = page
    flow_id = harness.publish(tagging_flow())
    contacts = [harness.contact() for _ in range(2)] + [harness.contact(email=POISON)]
    track_all(harness, contacts, "signed_up")

    browser_page.goto("/")
    sign_in_with_token(browser_page)
    browser_page.get_by_role("link", name="Failures").click()  # the pasted token lives in the page: no reload
    table = browser_page.get_by_test_id("failures")
    table.get_by_text("ZeroDivisionError: a bug in the node").click()
    assert "Traceback (most recent call last)" in browser_page.locator("pre.traceback").inner_text()
    assert "run" in table.inner_text() and "at Update contact" in table.inner_text()  # the step by its name on the canvas

    monkeypatch.undo()  # the node is fixed
    table.get_by_role("button", name="Retry", exact=True).click()
    browser_page.get_by_text("Retried 1 of 1.").wait_for()
    browser_page.get_by_text("Nothing has failed that waits for you.").wait_for()
    harness.drain()
    run = run_of(harness, flow_id, contacts[-1])
    assert (run.status, run.node_id) == (RunStatus.WAITING, "rest")
    assert [error for error in log.errors if "401" not in error] == []  # signed out at first: 401 from /api/session
    assert [url for _status, url in log.failed_responses if not url.endswith(tuple(EXPECTED_FAILURES))] == []
