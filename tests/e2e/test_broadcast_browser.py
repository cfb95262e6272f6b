"""Issue 18: "Send to a segment…" in the editor of the webinar scenario, in headless Chromium: refused with the reason
until the flow is published, then a segment chosen by name, the confirmation, the progress while the harness works
the broadcast's jobs chunk by chunk, the result as GET /api/broadcasts/<id> has it, and the flow's earlier broadcasts."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from flask.testing import FlaskClient

from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

CONTACTS = 120  # three chunks of the harness's batch size, 50
PRO = [number for number in range(CONTACTS) if number % 3]  # 80 of them on the pro plan


def test_a_live_webinar_is_sent_to_a_segment_and_its_progress_followed_to_the_result(
    page, client: FlaskClient, admin_headers: dict[str, str], harness,  # noqa: F811
) -> None:
    page, log = page
    flow = client.post("/api/scenarios/webinar_invite/import", headers=admin_headers).json
    for number in range(CONTACTS):
        harness.contact(properties={"plan": "pro" if number in PRO else "free"})
    segment = client.post("/api/segments", headers=admin_headers, json={
        "name": "Pro plan", "filter": {"property": "plan", "op": "eq", "value": "pro"}})
    assert (segment.status_code, segment.json["count"]) == (201, len(PRO))
    harness.drain()

    # A draft that starts by hand offers the action, and says why it cannot be used yet.
    page.goto(f"/flows/{flow['id']}")
    sign_in_with_token(page)
    page.get_by_test_id("node-broadcast").wait_for()
    action = page.get_by_test_id("broadcast-open")
    expect(action).to_be_disabled()
    expect(action).to_have_attribute("title", "Publish the flow first: only a live flow takes contacts.")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Published version 1")
    expect(action).to_be_enabled()

    # The segment is chosen by name; the confirmation counts its contacts and states the re-entry rule (once).
    action.click()
    dialog = page.get_by_test_id("broadcast-dialog")
    expect(dialog.get_by_test_id("broadcast-earlier")).to_contain_text("None yet.")
    expect(dialog.get_by_test_id("broadcast-send")).to_be_disabled()
    dialog.get_by_test_id("broadcast-segment").select_option(label="Pro plan")
    expect(dialog.get_by_test_id("broadcast-confirm")).to_have_text(
        "Send 'Webinar invite broadcast' to 80 contacts in 'Pro plan'?"
        "Contacts who have been in the flow before are kept out: its re-entry rule lets each contact in once.")
    dialog.get_by_test_id("broadcast-send").click()

    # The dialog polls while the harness works the broadcast's jobs: queued, one chunk of 50 members (the contacts up to
    # the 50th examined), then all of them.
    note = dialog.get_by_test_id("broadcast-progress-note")
    expect(note).to_have_text("Queued: 120 contacts to check, waiting for a worker…")
    harness.worker.work(burst=True, max_jobs=1, logging_level="WARNING")
    expect(note).to_have_text(f"Checked {PRO[49] + 1} of 120 contacts: 50 enrolled so far.")
    harness.drain()
    expect(note).to_have_text("Checked 120 of 120 contacts: 80 enrolled.")
    expect(dialog.get_by_test_id("broadcast-result")).to_have_text("Done: 80 contacts enrolled.")
    [sent] = client.get(f"/api/broadcasts?flow_id={flow['id']}", headers=admin_headers).json["items"]
    assert {key: sent[key] for key in ("status", "scanned", "to_scan", "audience", "enrolled", "kept_out", "progress")} == {
        "status": "done", "scanned": 120, "to_scan": 120, "audience": 80, "enrolled": 80, "kept_out": 0, "progress": 1.0}
    expect(dialog.locator("progress")).to_have_js_property("value", 1)

    # Sent again, the re-entry rule keeps everyone out; the first broadcast is listed as an earlier one.
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)
    action.click()
    expect(dialog.get_by_test_id("broadcast-earlier")).to_contain_text("to 'Pro plan': Done: 80 contacts enrolled.")
    dialog.get_by_test_id("broadcast-segment").select_option(label="Pro plan")
    dialog.get_by_test_id("broadcast-send").click()
    expect(note).to_contain_text("Queued")  # the broadcast was asked for, so its job is there to work
    harness.drain()
    expect(dialog.get_by_test_id("broadcast-result")).to_have_text(
        "Done: 0 contacts enrolled, 80 contacts kept out by the re-entry rule.")
    again = client.get(f"/api/broadcasts?flow_id={flow['id']}", headers=admin_headers).json["items"][0]
    assert (again["status"], again["audience"], again["enrolled"], again["kept_out"]) == ("done", 80, 0, 80)

    unexpected = [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES]
    assert unexpected == []
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []
