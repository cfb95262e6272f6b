"""Issue 21 item 1 in Chromium: forecast mode, the canvas's third mode beside Edit and Statistics. The abandoned cart
ran live for four days; its live version replayed over them comes out as it really went ("as live"), and a draft
without the popup's email fallback shows, on the popup's card, the emails it would not send."""
from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.scenarios.scenario_support import SCENARIOS
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.forecast_support import live_scenario
from workflow_runtime.authoring import flow_store
from workflow_runtime.storage.models import Flow, Forecast

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

DAYS = 4


def _signed_in_forecast_mode(page: Any) -> None:
    """Sign in, wait for the flow on the canvas (a click before it loads is lost when the editor mounts), and switch
    to forecast mode."""
    sign_in_with_token(page)
    page.locator('.react-flow__node[data-id="promo_popup"]').wait_for()
    page.get_by_test_id("forecast-mode").click()
    expect(page.get_by_test_id("forecast-bar")).to_be_visible()


def _forecast(page: Any, harness: Any, version: str) -> dict[str, Any]:  # noqa: F811
    """Run a forecast from the bar, let the harness work its job, wait for the page to show it; its result."""
    bar = page.get_by_test_id("forecast-bar")
    bar.get_by_label("What to replay").select_option(version)
    bar.get_by_label("Days").fill(str(DAYS))
    bar.get_by_test_id("forecast-run").click()
    expect(bar.get_by_test_id("forecast-progress")).to_be_visible()
    harness.drain()
    expect(bar.get_by_test_id("forecast-progress")).to_contain_text("Done")
    with harness.session() as session:
        return session.scalars(select(Forecast).order_by(Forecast.id.desc())).first().result


def test_forecast_mode_shows_the_live_version_as_it_went_and_what_a_draft_changes(
        page: tuple[Any, Any], harness: Any, screenshots: Path) -> None:  # noqa: F811
    page, log = page
    flow_id, _window = live_scenario(harness, "abandoned_cart", contacts=30, days=DAYS)
    harness.advance(timedelta(hours=1))

    page.goto(f"/flows/{flow_id}")
    _signed_in_forecast_mode(page)
    result = _forecast(page, harness, "1")
    assert result["difference"] == {}
    totals = page.get_by_test_id("forecast-totals")
    expect(totals).to_contain_text(f"{result['totals']['entered']} entered (as live)")
    expect(page.get_by_test_id("forecast-notes")).to_be_visible()
    entered = page.get_by_test_id("forecast-cart_updated-entered")
    expect(entered).to_contain_text(str(result["nodes"]["cart_updated"]["entered"]))

    draft = copy.deepcopy(SCENARIOS["abandoned_cart"])
    for node in draft["nodes"]:
        if node["id"] == "promo_popup":
            node["config"].pop("email_fallback_after")
            node["config"].pop("email_fallback")
    with harness.runtime.sessions.begin() as session:
        flow_store.set_draft(session.get(Flow, flow_id), draft)
    page.reload()  # the editor reads the saved draft; the token pasted in the page is asked for again
    _signed_in_forecast_mode(page)
    result = _forecast(page, harness, "draft")
    fewer = result["difference"]["promo_popup"]["email.sent"]
    assert fewer < 0
    popup = page.get_by_test_id("forecast-promo_popup-email-sent")
    expect(popup).to_contain_text(f"{result['nodes']['promo_popup']['channels']['email']['sent']} sent")
    expect(popup).to_contain_text(f"\u2212{-int(fewer)}")
    page.screenshot(path=str(screenshots / "forecast.png"))

    assert [error for error in log.errors if "401" not in error] == []  # signed out at first: 401 from /api/session
    assert [(status, url) for status, url in log.failed_responses if urlparse(url).path not in EXPECTED_FAILURES] == []
