"""The list of flows in headless Chromium: rename in place, duplicate, pause and resume, archive and delete (each
confirmed with what it does to the contacts waiting), search and sort; an imported file opens fitted to view."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from flask.testing import FlaskClient

from flows.scenarios import find_scenario
from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from workflow_runtime.storage.models import RunStatus

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect


# Whether the canvas shows `count` nodes, each wholly inside it.
ALL_NODES_IN_CANVAS = """(count) => {
  const canvas = document.querySelector('[data-testid="canvas"]').getBoundingClientRect();
  const nodes = [...document.querySelectorAll(".react-flow__node")].map((node) => node.getBoundingClientRect());
  return nodes.length === count && nodes.every((box) =>
    box.left >= canvas.left && box.right <= canvas.right && box.top >= canvas.top && box.bottom <= canvas.bottom);
}"""


def row(page, name: str):
    """The list's row of the flow called `name` (exactly)."""
    return page.locator(".flows-table tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))


def listed_names(page):
    return page.locator(".flows-table tbody tr td:first-child a")


def test_flows_are_renamed_duplicated_archived_deleted_searched_and_sorted_from_the_list(
    page, client: FlaskClient, admin_headers: dict[str, str], harness,  # noqa: F811
    broadcast_document: dict[str, Any],
) -> None:
    page, log = page
    # A live flow three contacts wait in, and two drafts.
    webinar_id = harness.publish(broadcast_document)
    harness.broadcast(webinar_id, contact_ids=[harness.contact() for _ in range(3)])
    cart = find_scenario("abandoned_cart").document
    cart_id = client.post("/api/flows/import", json=cart, headers=admin_headers).json["id"]
    client.post("/api/flows", json={"name": "Welcome series"}, headers=admin_headers)

    page.goto("/flows")
    sign_in_with_token(page)
    expect(row(page, "Webinar invite")).to_contain_text("3 waiting")

    # Rename in place: Enter keeps the new name.
    row(page, "Abandoned cart").get_by_role("button", name="Rename").click()
    page.get_by_label("Flow name").fill("Cart rescue")
    page.get_by_label("Flow name").press("Enter")
    expect(row(page, "Cart rescue")).to_be_visible()
    expect(page.get_by_test_id("flows-notice")).to_have_text("Renamed “Abandoned cart” to “Cart rescue”.")
    assert client.get(f"/api/flows/{cart_id}", headers=admin_headers).json["document"]["name"] == "Cart rescue"
    # Escape puts the old name back.
    row(page, "Welcome series").get_by_role("button", name="Rename").click()
    page.get_by_label("Flow name").fill("Something else")
    page.get_by_label("Flow name").press("Escape")
    expect(row(page, "Welcome series")).to_be_visible()

    # Duplicate: a new draft numbered after it, the page stays on the list.
    row(page, "Cart rescue").get_by_role("button", name="Duplicate").click()
    expect(row(page, "Cart rescue (2)")).to_be_visible()
    expect(row(page, "Cart rescue (2)").locator(".badge")).to_have_text("Draft")
    expect(page.get_by_test_id("flows-notice")).to_have_text("Duplicated “Cart rescue” as “Cart rescue (2)”.")

    # Pause and resume a live flow.
    webinar = row(page, "Webinar invite")
    webinar.get_by_role("button", name="Pause").click()
    expect(webinar.locator(".badge")).to_have_text("Paused")
    webinar.get_by_role("button", name="Resume").click()
    expect(webinar.locator(".badge")).to_have_text("Live")
    # A running flow is archived before it can be deleted.
    expect(webinar.get_by_role("button", name="Delete")).to_be_disabled()

    # Archiving says beforehand what happens to the three contacts waiting in it; cancelling does nothing.
    webinar.get_by_role("button", name="Archive").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Archive “Webinar invite”?")
    expect(dialog).to_contain_text("Archiving ends the 3 runs waiting in it; its statistics stay.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(webinar.locator(".badge")).to_have_text("Live")
    webinar.get_by_role("button", name="Archive").click()
    page.get_by_role("dialog").get_by_role("button", name="Archive").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(webinar.locator(".badge")).to_have_text("Archived")
    expect(webinar).not_to_contain_text("waiting")
    assert [run.status for run in harness.runs(webinar_id)] == [RunStatus.EXITED] * 3

    # Deleting is for good, and the dialog says so; Escape closes it without deleting.
    copy = row(page, "Cart rescue (2)")
    copy.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog")).to_contain_text(
        "Deleting removes the flow, its versions, runs and statistics for good.")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    copy.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(copy).to_have_count(0)
    expect(page.get_by_test_id("flows-notice")).to_have_text("Deleted “Cart rescue (2)”.")

    # Search by name.
    page.get_by_label("Search flows").fill("WEB")
    expect(listed_names(page)).to_have_text(["Webinar invite"])
    page.get_by_label("Search flows").fill("")
    expect(listed_names(page)).to_have_count(3)

    # Sort by each column; picking a column again turns the order round.
    served = [flow["name"] for flow in client.get("/api/flows", headers=admin_headers).json["flows"]]
    expect(listed_names(page)).to_have_text(served)  # the last edited first, as the API lists them
    header = page.locator(".flows-table thead")
    header.get_by_role("button", name="Name").click()
    expect(listed_names(page)).to_have_text(["Cart rescue", "Webinar invite", "Welcome series"])
    expect(header.locator("th", has_text="Name")).to_have_attribute("aria-sort", "ascending")
    header.get_by_role("button", name="Name").click()
    expect(listed_names(page)).to_have_text(["Welcome series", "Webinar invite", "Cart rescue"])
    header.get_by_role("button", name="Entered").click()
    expect(listed_names(page)).to_have_text(["Webinar invite", "Cart rescue", "Welcome series"])  # ties as they came
    header.get_by_role("button", name="Status").click()
    expect(listed_names(page)).to_have_text(["Cart rescue", "Welcome series", "Webinar invite"])
    header.get_by_role("button", name="Updated").click()
    expect(listed_names(page)).to_have_text(served)

    # A change the server refuses says why, and the list shows what is there now.
    welcome_id = next(flow["id"] for flow in client.get("/api/flows", headers=admin_headers).json["flows"]
                      if flow["name"] == "Welcome series")
    assert client.delete(f"/api/flows/{welcome_id}", headers=admin_headers).status_code == 204  # from elsewhere
    row(page, "Welcome series").get_by_role("button", name="Duplicate").click()
    expect(page.get_by_test_id("flows-notice")).to_have_text(f"There is no flow with id {welcome_id}.")
    expect(page.get_by_test_id("flows-notice")).to_have_class("text-danger")
    expect(listed_names(page)).to_have_count(2)
    expect(page.get_by_test_id("flows-notice")).to_have_text(f"There is no flow with id {welcome_id}.")

    refused = {f"/api/flows/{welcome_id}/duplicate", *EXPECTED_FAILURES}
    unexpected = [(status, url) for status, url in log.failed_responses if urlparse(url).path not in refused]
    assert unexpected == []
    assert [error for error in log.errors if not error.startswith("Failed to load resource")] == []


def test_an_imported_file_gets_a_name_of_its_own_and_opens_fitted_to_view(
    page, client: FlaskClient, admin_headers: dict[str, str], tmp_path: Path,
) -> None:
    page, log = page
    cart: dict[str, Any] = find_scenario("abandoned_cart").document
    client.post("/api/flows/import", json=cart, headers=admin_headers)
    exported = tmp_path / "abandoned_cart.json"
    exported.write_text(json.dumps(cart), encoding="utf-8")

    page.goto("/flows")
    sign_in_with_token(page)
    page.get_by_test_id("import-file").set_input_files(exported)
    page.wait_for_url(re.compile(r"/flows/\d+$"))
    expect(page.get_by_label("Flow name")).to_have_value("Abandoned cart (2)")

    # Every node of the map comes on screen inside the canvas, none cut off at its edges (at 1:1 the map is wider
    # than the canvas: only fitting it to view brings it all in).
    expect(page.locator(".react-flow__node")).to_have_count(len(cart["nodes"]))
    page.wait_for_function(ALL_NODES_IN_CANVAS, arg=len(cart["nodes"]), timeout=10_000)

    unexpected = [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES]
    assert unexpected == []
