"""A real browser on a shop's page calls /v1 on another origin: fetch with the write key, and sendBeacon."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.builder_api.conftest import server_url  # noqa: F401  (fixture)
from tests.conftest import WRITE_KEY
from tests.e2e.browser_support import html_site
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from workflow_runtime.storage.models import Event

SHOP_PAGE = "<!doctype html><title>Shop</title><h1>Your cart</h1>"


@pytest.fixture
def shop_url() -> Iterator[str]:
    """A site on another origin (localhost, another port) whose page will call the tracking API."""
    with html_site(lambda _path: SHOP_PAGE) as site:
        yield f"{site}/cart?utm_source=newsletter"


CALLS = """async ([api, key]) => {
    const post = (path, auth, body) => fetch(api + path, {method: "POST", body: JSON.stringify(body),
        headers: {"Authorization": "Basic " + btoa(auth + ":"), "Content-Type": "application/json"}});
    const accepted = await post("/v1/track", key, {anonymousId: "browser-1", event: "cart_updated",
                                                 properties: {total: 30}});
    const refused = await post("/v1/track", "not-the-key", {anonymousId: "browser-1", event: "cart_updated"});
    const invalid = await post("/v1/batch", key, {batch: [{type: "track", anonymousId: "browser-1"}]});
    const queued = navigator.sendBeacon(api + "/v1/page", JSON.stringify({writeKey: key, anonymousId: "browser-1",
        properties: {url: location.href, title: document.title}}));
    return {accepted: [accepted.status, await accepted.json()], refused: [refused.status, await refused.json()],
            invalid: [invalid.status, await invalid.json()], queued};
}"""


def test_a_page_on_another_origin_tracks_with_fetch_and_beacon(server_url: str, shop_url: str,  # noqa: F811
                                                               harness, browser) -> None:  # noqa: F811
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(shop_url)
        answers: dict[str, Any] = page.evaluate(CALLS, [server_url, WRITE_KEY])
        names = wait_for_events(harness, 2)
    finally:
        context.close()
    assert answers["accepted"] == [200, {"success": True}]
    assert answers["refused"][0] == 401 and "write key" in answers["refused"][1]["message"]
    assert answers["invalid"][0] == 400 and answers["invalid"][1]["errors"][0]["pointer"] == "/batch/0/event"
    assert answers["queued"] is True
    assert names == [("cart_updated", None), ("page_viewed", "newsletter")]


def wait_for_events(harness, count: int) -> list[tuple[str, str | None]]:  # noqa: F811
    """The stored events' names and utm_source, once `count` are there (a beacon is sent in the background)."""
    deadline = time.monotonic() + 15
    while True:
        with harness.session() as session:
            found = [(e.name, e.utm_source) for e in session.scalars(select(Event).order_by(Event.id))]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
