"""widget.js in headless Chromium on a site of another origin, talking to the app on a real HTTP server."""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.builder_api.widget_support import WRITE_KEY, greeting_flow, live_server, visitor
from tests.conftest import INBOUND_SECRET
from tests.e2e.browser_support import html_site, show_tab, start_in_background_tab
from tests.workflow_runtime.chat_forward_support import answer, forwarded
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)

# The README's snippet, verbatim but for the URL and key, with a call made before widget.js has loaded.
SNIPPET = """<script>
  !function(w,d,u,k){{w.automap=w.automap||function(){{(w.automap.q=w.automap.q||[]).push(arguments)}};
  var s=d.createElement("script");s.async=1;s.src=u;d.head.appendChild(s);w.automap("init",k)}}
  (window,document,"{url}","{key}");
</script><script>automap("track", "viewed_shoes", {{size: 42}})</script>"""
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
SMALL_POPUP = {"size": "small", "title": "Hi {{ name }}", "body": "Use CART10 today"}
SEEN_SHARE = 0.5  # widget.js's: the share of a message on screen from which the visitor has seen it

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect


def _page(api_url: str, path: str) -> str:
    """The customer's shop page, embedding the widget with the README's snippet (at /snippet) or its one line."""
    embed = SNIPPET.format(url=f"{api_url}/widget.js", key=WRITE_KEY) if path.startswith("/snippet") else \
        f'<script src="{api_url}/widget.js" data-write-key="{WRITE_KEY}" async></script>'
    return f"<!doctype html><title>Shoes</title><h1>Shoes</h1>{embed}"


@pytest.fixture
def browser_page(app, harness, browser) -> Iterator[tuple[object, str, str]]:  # noqa: F811
    """(page, site URL, API URL): Chromium with a first-party cookie `automap_aid=anon-e2e` on the site."""
    with live_server(app, AUTOMAP_WIDGET_HEARTBEAT=0.5) as server, \
            html_site(lambda path: _page(server.url, path)) as site_url:
        context = browser.new_context()
        context.add_cookies([{"name": "automap_aid", "value": "anon-e2e", "url": site_url}])
        try:
            yield context.new_page(), site_url, server.url
        finally:
            context.close()


def _eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _display(locator) -> str:
    return locator.evaluate("node => getComputedStyle(node).display")


def _on_top(locator) -> bool:
    """Whether the visitor sees `locator` at its centre: the widget's shadow root finds it, or a child, there."""
    box = locator.bounding_box()
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    return locator.evaluate("(node, [x, y]) => node.contains(node.getRootNode().elementFromPoint(x, y))", centre)


def _overlap(first, second) -> bool:
    a, b = first.bounding_box(), second.bounding_box()
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def _share_on_screen(locator) -> float:
    """How much of `locator` is on screen, as an IntersectionObserver made now reports it. Made after the
    widget's, it is told in the same task and after it: once it answers, the widget has been told too."""
    return locator.evaluate("""node => new Promise(done => {
        const observer = new IntersectionObserver(entries => { observer.disconnect(); done(entries[0].intersectionRatio); });
        observer.observe(node);
    })""")


def _counted(harness, flow_id: int, node: str, status: str) -> int:  # noqa: F811
    """How many of the node's messages the backend has counted as having reached `status` (each node here is
    named after its channel: `popup` sends popups, `chat` chat messages)."""
    return harness.counters(flow_id)[node].get(f"{node}:{status}", 0)


def _open_site(page, site_url: str, query: str = "") -> dict:
    """Load the shop page; returns the Segment page call the widget posted."""
    with page.expect_request(lambda r: r.url.endswith("/v1/page")) as page_call, \
            page.expect_response(lambda r: "/widget/stream" in r.url):
        page.goto(f"{site_url}/shoes{query}")
    return page_call.value


def test_the_page_view_follows_the_segment_spec(browser_page) -> None:
    page, site_url, _api = browser_page
    request = _open_site(page, site_url, "?utm_source=newsletter&utm_medium=email&utm_campaign=spring")
    assert request.headers["authorization"] == "Basic " + __import__("base64").b64encode(f"{WRITE_KEY}:".encode()).decode()
    call = json.loads(request.post_data)
    assert call["type"] == "page" and call["anonymousId"] == "anon-e2e"
    assert call["context"]["page"] == {
        "path": "/shoes", "referrer": "", "search": "?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
        "title": "Shoes", "url": f"{site_url}/shoes?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
    }
    assert call["context"]["campaign"] == {"source": "newsletter", "medium": "email", "name": "spring"}
    assert call["messageId"] and call["timestamp"] and call["sentAt"]
    # track and identify, from the page's own script, in the same format.
    # Without the backend's user_hash the userId goes with the identify call only (it links the anonymous id).
    with page.expect_request(lambda r: r.url.endswith("/v1/identify")) as identify:
        page.evaluate("automap('identify', 'user-7', {email: 'anna@example.com'})")
    assert json.loads(identify.value.post_data)["userId"] == "user-7"
    with page.expect_request(lambda r: r.url.endswith("/v1/track")) as track:
        page.evaluate("automap('track', 'cart_updated', {total: 120})")
    call = json.loads(track.value.post_data)
    assert (call["event"], call["properties"], call.get("userId")) == ("cart_updated", {"total": 120}, None)
    # With it, every later call names the user and carries the hash.
    page.evaluate("automap('identify', 'user-7', {}, {user_hash: 'cafe'})")
    with page.expect_request(lambda r: r.url.endswith("/v1/track")) as track:
        page.evaluate("automap('track', 'cart_updated', {total: 130})")
    call = json.loads(track.value.post_data)
    assert (call["userId"], call["context"]["user_hash"]) == ("user-7", "cafe")


def test_the_snippet_queues_calls_made_before_the_widget_loaded(browser_page) -> None:
    page, site_url, _api = browser_page
    with page.expect_request(lambda r: r.url.endswith("/v1/track")) as track, \
            page.expect_request(lambda r: r.url.endswith("/v1/page")):
        page.goto(f"{site_url}/snippet")
    call = json.loads(track.value.post_data)
    assert (call["type"], call["event"], call["properties"], call["anonymousId"]) == (
        "track", "viewed_shoes", {"size": 42}, "anon-e2e")


def test_a_popup_arrives_live_and_its_click_counts(browser_page, harness) -> None:  # noqa: F811
    page, site_url, _api = browser_page
    flow_id = harness.publish(greeting_flow({"size": "large", "title": "Hi {{ name }}", "body": "Use CART10",
                                             "button": {"text": "Back to my cart", "url": f"{site_url}/cart"}}))
    anna = visitor(harness, "anon-e2e", name="Anna")
    _open_site(page, site_url)

    harness.track(anna, "visited", {})
    popup = page.locator("#automap-widget .popup.large")
    popup.wait_for(timeout=10_000)
    assert popup.locator(".title").text_content() == "Hi Anna"
    _eventually(lambda: harness.counters(flow_id)["popup"].get("popup:read") == 1)
    assert page.locator("#automap-widget .badge").text_content() == "1"  # the chat message waits in the bubble

    page.locator("#automap-widget .action").click()
    page.wait_for_url(f"{site_url}/cart")
    _eventually(lambda: harness.counters(flow_id)["popup"].get("popup:clicked") == 1)


def test_marketer_html_in_a_popup_stays_inert_text(browser_page, harness) -> None:  # noqa: F811
    page, site_url, _api = browser_page
    harness.publish(greeting_flow({"size": "small", "title": "<b>Deal</b>", "body": XSS}))
    anna = visitor(harness, "anon-e2e", name="Anna")
    harness.track(anna, "visited", {})  # recorded before the visit: shown on arrival
    _open_site(page, site_url)

    popup = page.locator("#automap-widget .popup.small")
    popup.wait_for(timeout=10_000)
    assert popup.locator(".text").text_content() == XSS
    assert popup.locator(".title").text_content() == "<b>Deal</b>"
    assert page.locator("#automap-widget img, #automap-widget script, #automap-widget b").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None


def test_the_chat_reply_is_stored_and_counted(browser_page, harness) -> None:  # noqa: F811
    page, site_url, _api = browser_page
    flow_id = harness.publish(greeting_flow())
    anna = visitor(harness, "anon-e2e", name="Anna")
    harness.track(anna, "visited", {})
    _open_site(page, site_url)

    page.locator("#automap-widget .popup .close").click()
    page.locator("#automap-widget .launcher").click()
    assert page.locator("#automap-widget .them").last.text_content() == "Can I help, Anna?"
    page.locator("#automap-widget .reply textarea").fill("Do you ship to Kazan?")
    page.locator("#automap-widget .reply button").click()
    page.locator("#automap-widget .me").wait_for()
    _eventually(lambda: harness.counters(flow_id)["chat"].get("chat:replied") == 1)
    counters = harness.counters(flow_id)
    assert counters["popup"]["popup:dismissed"] == 1 and counters["chat"]["chat:read"] == 1


def test_an_email_answer_to_a_forwarded_chat_appears_in_the_chat_panel(
        app, browser_page, harness, mail_server, tmp_path) -> None:  # noqa: F811
    page, site_url, api_url = browser_page
    flow_id, _boris, _nudge, email = forwarded(harness, app, mail_server, "anon-e2e")
    _open_site(page, site_url)
    page.locator("#automap-widget .launcher").click()
    assert page.locator("#automap-widget .them").all_text_contents() == [
        "Hi Boris, can I help?", "Boris, the blue lamp is still in your cart.\nShall I hold it?"]

    reply = answer(email, "Hold it please, I will come by on Friday.")
    posted = httpx.post(f"{api_url}/inbound/email", content=reply.as_bytes(), headers={
        "Content-Type": "message/rfc822",
        "Authorization": "Basic " + base64.b64encode(f"inbound:{INBOUND_SECRET}".encode()).decode()})
    assert posted.status_code == 201, posted.text

    mine = page.locator("#automap-widget .me")
    mine.nth(1).wait_for(timeout=5_000)  # pushed through the open stream, no reload
    assert mine.nth(0).text_content() == "Looking for a lamp"
    assert mine.nth(1).locator(".note").text_content() == "by email"
    assert mine.nth(1).text_content() == "Hold it please, I will come by on Friday.by email"
    page.screenshot(path=str(tmp_path / "chat_email_reply.png"))
    assert harness.counters(flow_id)["nudge"]["chat:replied"] == 1


def test_a_small_popup_is_never_under_the_chat_panel_and_the_launcher_toggles_the_panel(
        browser_page, harness) -> None:  # noqa: F811
    page, site_url, _api = browser_page
    flow_id = harness.publish(greeting_flow(SMALL_POPUP))
    anna = visitor(harness, "anon-e2e", name="Anna")
    _open_site(page, site_url)
    harness.track(anna, "visited", {})  # the popup and the chat message arrive on the open page

    widget = page.locator("#automap-widget")
    popup, close = widget.locator(".popup.small"), widget.locator(".popup.small .close")
    panel, launcher, badge = widget.locator(".panel"), widget.locator(".launcher"), widget.locator(".badge")
    expect(popup).to_be_visible()
    expect(badge).to_have_text("1")
    _eventually(lambda: _counted(harness, flow_id, "popup", "read") == 1
                and _counted(harness, flow_id, "chat", "delivered") == 1)
    # The chat message came while the panel was closed: on the page, out of sight, not read.
    assert (_display(panel), panel.bounding_box()) == ("none", None)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert _share_on_screen(widget.locator(".them")) == 0
    assert _counted(harness, flow_id, "chat", "read") == 0

    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    assert _display(panel) == "flex" and panel.bounding_box()["height"] > 0
    _eventually(lambda: _counted(harness, flow_id, "chat", "read") == 1)
    expect(badge).to_be_hidden()
    # A wide window has room for both: the popup moves beside the open panel.
    assert not _overlap(popup, panel)
    assert _on_top(popup) and _on_top(close)
    # A narrow one has not: the popup covers the panel, its close button within reach.
    page.set_viewport_size({"width": 600, "height": 720})
    assert _overlap(popup, panel)
    assert _on_top(popup) and _on_top(close)

    close.click()
    expect(popup).to_have_count(0)
    _eventually(lambda: _counted(harness, flow_id, "popup", "dismissed") == 1)
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert (_display(panel), panel.bounding_box()) == ("none", None)


def test_a_message_counts_as_read_only_once_the_visitor_could_see_it(browser_page, harness) -> None:  # noqa: F811
    page, site_url, _api = browser_page
    flow_id = harness.publish(greeting_flow(SMALL_POPUP))
    anna = visitor(harness, "anon-e2e", name="Anna")
    start_in_background_tab(page)
    _open_site(page, site_url)
    harness.track(anna, "visited", {})

    widget = page.locator("#automap-widget")
    popup, line = widget.locator(".popup.small"), widget.locator(".them")
    _eventually(lambda: _counted(harness, flow_id, "popup", "delivered") == 1
                and _counted(harness, flow_id, "chat", "delivered") == 1)
    # On screen in full, but in a tab the visitor is not looking at.
    assert _share_on_screen(popup) == 1
    assert _counted(harness, flow_id, "popup", "read") == 0

    # A window too short for it: the popup sits mostly above its top edge when the visitor comes to the tab.
    page.set_viewport_size({"width": 1280, "height": 100})
    assert _share_on_screen(popup) < SEEN_SHARE
    show_tab(page)
    assert page.evaluate("document.visibilityState") == "visible"
    assert _share_on_screen(popup) < SEEN_SHARE
    assert _counted(harness, flow_id, "popup", "read") == 0

    page.set_viewport_size({"width": 1280, "height": 720})
    _eventually(lambda: _counted(harness, flow_id, "popup", "read") == 1)
    # The chat message is still in the closed panel.
    assert _share_on_screen(line) == 0
    assert _counted(harness, flow_id, "chat", "read") == 0
    expect(widget.locator(".badge")).to_have_text("1")

    widget.locator(".launcher").click()
    _eventually(lambda: _counted(harness, flow_id, "chat", "read") == 1)
    expect(widget.locator(".badge")).to_be_hidden()
    assert [_counted(harness, flow_id, node, status) for node in ("popup", "chat") for status in ("delivered", "read")] \
        == [1, 1, 1, 1]
