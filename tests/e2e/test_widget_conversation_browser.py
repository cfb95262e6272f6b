"""Chromium: a visitor starts the conversation from the widget, whose chat is there before the site said anything,
and every page of the visitor shows it; a page that turns the chat off has none."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from builder_api.accounts import create_user
from tests.builder_api.widget_support import WRITE_KEY, bearer, greeting_flow, live_server, visitor, write_key_auth
from tests.e2e.browser_support import html_site
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

QUESTION = "Do you ship to Berlin?"
PASSWORD = "correct horse battery"
SMALL_POPUP = {"size": "small", "title": "Hi {{ name }}", "body": "Use CART10 today"}
# The shop's pages: the widget's one line, or with the chat turned off by the script tag or by the init call.
EMBEDS = {
    "/shoes": '<script src="{url}/widget.js" data-write-key="{key}" async></script>',
    "/no-chat-tag": '<script src="{url}/widget.js" data-write-key="{key}" data-chat="off" async></script>',
    "/no-chat-init": '<script>window.automap={{q: [["init", "{key}", {{chat: false}}]]}}</script>'
                     '<script src="{url}/widget.js" async></script>',
}


@pytest.fixture
def shop(app, harness, browser) -> Iterator[tuple[object, str, str]]:  # noqa: F811
    """(browser context, site URL, API URL): one visitor's browser, cookie `automap_aid=anon-chat` on the shop."""
    with live_server(app, AUTOMAP_WIDGET_HEARTBEAT=0.5) as server, html_site(
            lambda path: "<!doctype html><title>Shoes</title><h1>Shoes</h1>" +
            EMBEDS.get(path, EMBEDS["/shoes"]).format(url=server.url, key=WRITE_KEY)) as site_url:
        context = browser.new_context()
        context.add_cookies([{"name": "automap_aid", "value": "anon-chat", "url": site_url}])
        try:
            yield context, site_url, server.url
        finally:
            context.close()


def _open(context, site_url: str, path: str = "/shoes"):
    """A new tab on the shop's page, once the widget has its stream open (and so its chat, when it has one)."""
    page = context.new_page()
    with page.expect_response(lambda response: "/widget/stream" in response.url):
        page.goto(site_url + path)
    return page


def _eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _conversation(api_url: str, anonymous_id: str) -> list[dict]:
    """The visitor's conversation as its widget reads it."""
    with httpx.Client(base_url=api_url) as http:
        token = http.post("/widget/session", json={"anonymousId": anonymous_id}, headers=write_key_auth()).json()["token"]
        return http.get("/widget/conversation", headers=bearer(token)).json()["items"]


def test_a_visitor_starts_the_conversation_and_every_tab_shows_it(shop, harness) -> None:  # noqa: F811
    context, site_url, api_url = shop
    visitor(harness, "anon-chat", name="Anna")
    other_tab = _open(context, site_url)
    other_tab.locator("#automap-widget .launcher").click()

    page = _open(context, site_url)
    widget = page.locator("#automap-widget")
    launcher = widget.locator(".launcher")
    expect(launcher).to_be_visible()  # nothing was sent to the visitor: the chat is there all the same
    expect(widget.locator(".badge")).to_be_hidden()
    launcher.click()
    expect(widget.locator(".hello")).to_have_text("Ask us anything \u2014 we usually answer within a few minutes.")
    assert widget.locator(".them, .me").count() == 0

    box = widget.locator(".reply textarea")
    box.fill(QUESTION)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == f"{api_url}/widget/messages") as sent:
        box.press("Enter")
    assert sent.value.status == 201
    expect(widget.locator(".me")).to_have_text([QUESTION])
    expect(box).to_have_value("")
    [stored] = _conversation(api_url, "anon-chat")
    assert (stored["kind"], stored["body"], stored["message_id"], stored["source"]) == ("reply", QUESTION, None, "widget")

    # The open tab gets it pushed, once; the line typed here, shown from the answer, is not doubled by the push.
    expect(other_tab.locator("#automap-widget .me")).to_have_text([QUESTION])
    expect(widget.locator(".me")).to_have_text([QUESTION])
    # A page opened later reads it with the conversation.
    later = _open(context, site_url)
    later.locator("#automap-widget .launcher").click()
    expect(later.locator("#automap-widget .me")).to_have_text([QUESTION])


def test_an_operators_message_is_shown_with_their_name_unread_until_seen_and_can_be_answered(
        shop, harness, session: Session, client: FlaskClient) -> None:  # noqa: F811
    context, site_url, api_url = shop
    create_user(session, "erin@shop.example", PASSWORD).name = "Erin"
    session.commit()
    anna = visitor(harness, "anon-chat", name="Anna")
    page = _open(context, site_url)
    widget = page.locator("#automap-widget")

    login = client.post("/api/session", json={"email": "erin@shop.example", "password": PASSWORD})
    operator = {"X-CSRF-Token": login.json["csrf_token"]}
    started = client.post("/api/conversations", json={"contact_id": anna, "body": "Hi Anna, I am Erin: ask me anything"},
                          headers=operator)
    assert started.status_code == 201, started.json
    thread = f"/api/conversations/{started.json['id']}"
    hello_id = started.json["items"][-1]["id"]

    def statuses() -> list[str]:
        return next(item for item in client.get(thread).json["items"] if item["id"] == hello_id)["statuses"]

    expect(widget.locator(".badge")).to_have_text("1")  # pushed to the open page, in the closed panel
    _eventually(lambda: "delivered" in statuses())
    assert "read" not in statuses()
    widget.locator(".launcher").click()
    expect(widget.locator(".sender")).to_have_text(["Erin"])
    expect(widget.locator(".them")).to_have_text(["Hi Anna, I am Erin: ask me anything"])
    _eventually(lambda: "read" in statuses())
    expect(widget.locator(".badge")).to_be_hidden()

    # The visitor's next line answers Erin's message; the one after it goes on with the conversation.
    box = widget.locator(".reply textarea")
    for line, path in ((QUESTION, f"/widget/messages/{hello_id}/replies"), ("And to Kazan?", "/widget/messages")):
        box.fill(line)
        with page.expect_response(lambda r, url=api_url + path: r.request.method == "POST" and r.url == url) as sent:
            widget.locator(".reply button").click()
        assert sent.value.status == 201
    expect(widget.locator(".me")).to_have_text([QUESTION, "And to Kazan?"])
    replies = [(item["body"], item["message_id"]) for item in client.get(thread).json["items"] if item["kind"] == "reply"]
    assert replies == [(QUESTION, hello_id), ("And to Kazan?", None)]


@pytest.mark.parametrize("path", ["/no-chat-tag", "/no-chat-init"])
def test_a_page_with_the_chat_off_has_no_launcher_and_leaves_chat_messages_for_a_page_with_it(
        shop, harness, path: str) -> None:  # noqa: F811
    context, site_url, _api = shop
    flow_id = harness.publish(greeting_flow(SMALL_POPUP))
    anna = visitor(harness, "anon-chat", name="Anna")
    harness.track(anna, "visited", {})  # a popup and a chat message wait for the visitor

    page = _open(context, site_url, path)
    widget = page.locator("#automap-widget")
    expect(widget.locator(".popup.small")).to_be_visible()  # popups still show
    assert widget.locator(".launcher, .panel").count() == 0
    # Both came in the stream's first read: the popup reported, the chat message left for a page with the chat.
    _eventually(lambda: harness.counters(flow_id)["popup"].get("popup:delivered") == 1)
    assert "chat:delivered" not in harness.counters(flow_id)["chat"]

    page = _open(context, site_url)
    expect(page.locator("#automap-widget .badge")).to_have_text("1")
    page.locator("#automap-widget .launcher").click()
    expect(page.locator("#automap-widget .them")).to_have_text(["Can I help, Anna?"])


def test_a_large_popup_covers_the_launcher(shop, harness) -> None:  # noqa: F811
    context, site_url, _api = shop
    harness.publish(greeting_flow())
    anna = visitor(harness, "anon-chat", name="Anna")
    harness.track(anna, "visited", {})

    page = _open(context, site_url)
    widget = page.locator("#automap-widget")
    expect(widget.locator(".popup.large")).to_be_visible()
    launcher = widget.locator(".launcher")
    box = launcher.bounding_box()
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    on_top = launcher.evaluate("(node, [x, y]) => node.getRootNode().elementFromPoint(x, y).className", centre)
    assert on_top == "overlay"
