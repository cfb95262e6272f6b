"""Issue 21 item 2 in Chromium: publishing over a live version shows what changed and where the contacts waiting in
the removed wait would go; the marketer maps them to the new wait, the preview's numbers follow the choice, and once
published the workers move every one of them, each node of both versions still balancing."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from flask.testing import FlaskClient

from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.runtime_support import assert_counters_balance, document, track_all
from workflow_runtime.storage.models import RunStatus

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect


def _welcome(wait_id: str, duration: str) -> dict[str, Any]:
    flow = document("Welcome", {"start": ("trigger", {"event": "signed_up"}), wait_id: ("wait", {"duration": duration}),
                                "done": ("exit", {})},
                    [("start", "next", wait_id), (wait_id, "next", "done")])
    for index, node in enumerate(flow["nodes"]):
        node["position"] = {"x": 260 * index, "y": 0}
    flow["nodes"][1]["label"] = "A day" if wait_id == "day" else "Two hours"
    return flow


def test_contacts_waiting_in_a_removed_wait_are_mapped_previewed_and_moved(
        page: tuple[Any, Any], client: FlaskClient, admin_headers: dict[str, str], harness: Any,  # noqa: F811
        screenshots: Path) -> None:
    page, log = page
    flow = client.post("/api/flows", json={"name": "Welcome", "document": _welcome("day", "P1D")}, headers=admin_headers).json
    assert client.post(f"/api/flows/{flow['id']}/publish", headers=admin_headers).status_code == 201
    started = harness.clock.now()
    people = [harness.contact() for _ in range(3)]
    track_all(harness, people, "signed_up")
    saved = client.put(f"/api/flows/{flow['id']}", headers=admin_headers,
                       json={"name": "Welcome", "document": _welcome("hours", "PT2H")})
    assert saved.status_code == 200, saved.json

    page.goto(f"/flows/{flow['id']}")
    sign_in_with_token(page)
    expect(page.get_by_test_id("node-hours-added")).to_have_text("New")  # the canvas marks what the live version lacks
    expect(page.get_by_test_id("node-start-added")).to_have_count(0)
    page.get_by_test_id("publish").click()
    dialog = page.get_by_test_id("publish-dialog")
    expect(dialog.get_by_test_id("publish-changes")).to_contain_text("Added: Two hours")
    expect(dialog.get_by_test_id("publish-changes")).to_contain_text("Removed: day")
    row = dialog.get_by_test_id("migration-row-1-day")
    expect(row).to_contain_text("3 contacts stay on version 1")  # keep, the default

    dialog.get_by_test_id("migration-move").check()
    expect(row).to_contain_text("3 contacts: choose where they go")
    expect(dialog.get_by_test_id("publish-confirm")).to_be_disabled()
    row.get_by_role("combobox").select_option("to:hours")
    expect(row).to_contain_text("3 contacts → Two hours, their wait counted again")
    expect(dialog).to_contain_text("3 move, 0 leave the flow, 0 stay.")
    dialog.screenshot(path=str(screenshots / "migration.png"))
    dialog.get_by_test_id("publish-confirm").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Published version 2")
    expect(page.get_by_test_id("notice")).to_contain_text("3 waiting contacts are moving to it")
    expect(page.get_by_test_id("node-hours-added")).to_have_count(0)  # the draft is the live version now

    harness.drain()  # the migration's job moves them
    runs = harness.runs(flow["id"])
    moved = [run for run in runs if run.status is RunStatus.WAITING]
    assert sorted(run.contact_id for run in moved) == sorted(people)
    assert {(run.node_id, run.wake_at) for run in moved} == {("hours", started + timedelta(hours=2))}
    assert {run.end_reason for run in runs if run.status is RunStatus.EXITED} == {"moved to version 2 at hours"}
    assert_counters_balance(harness, flow["id"])
    assert [error for error in log.errors if "401" not in error] == []  # signed out at first: 401 from /api/session
    assert [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES] == []
