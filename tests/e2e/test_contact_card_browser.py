"""The contact card in Chromium, in a German browser in Berlin: times in the reader's zone and locale, properties as
a table, the current step by its label and the contact's reply under the message it answers."""
from __future__ import annotations

from typing import Any

from tests.e2e.browser_support import EXPECTED_FAILURES, sign_in_with_token
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.runtime_support import document
from workflow_runtime.channels import onsite
from workflow_runtime.storage.models import Channel


def after_the_order() -> dict[str, Any]:
    """On `order_paid`: ask in the chat how it went, give it two days, end."""
    flow = document(
        "After the order",
        {"start": ("trigger", {"event": "order_paid"}),
         "ask": ("send_chat", {"body": "How was your order?"}),
         "later": ("wait", {"duration": "P2D"}),
         "done": ("exit", {})},
        [("start", "next", "ask"), ("ask", "next", "later"), ("later", "next", "done")],
    )
    flow["nodes"][1]["label"] = "Ask how it went"
    flow["nodes"][2]["label"] = "Give it two days"
    return flow


def test_the_card_reads_as_the_marketer_expects(browser: Any, server: str, harness: Any) -> None:  # noqa: F811
    harness.publish(after_the_order())
    anna = harness.contact(name="Anna Berg", email="anna@example.com", tags=["vip"], properties={
        "plan": "pro", "address": {"city": "Hamburg", "zip": "20095"}, "signed_up_at": "2026-01-15T09:30:00Z"})
    harness.track(anna, "order_paid", {"amount": 1200, "items": ["mug", "tea"]})
    chat = next(message for message in harness.messages(anna) if message.channel is Channel.CHAT)
    with harness.runtime.sessions.begin() as session:
        onsite.reply(session, anna, chat.id, "The box was torn.", harness.clock.now())

    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=server, locale="de-DE",
                                  timezone_id="Europe/Berlin")
    page = context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    try:
        page.goto("/")
        sign_in_with_token(page)
        page.get_by_role("link", name="Contacts").click()  # the pasted token lives in the page: no reload
        row = page.get_by_role("row").filter(has_text="Anna Berg")
        assert "02.03.2026, 11:00" in row.inner_text(), "last seen, 10:00 UTC, in Berlin"
        row.get_by_role("link", name="Anna Berg").click()

        runs = page.get_by_test_id("contact-runs")
        runs.get_by_text("Give it two days").wait_for()
        assert "Waits until 04.03.2026, 11:00" in runs.inner_text()
        assert "Entered 02.03.2026, 11:00" in runs.inner_text()

        messages = page.get_by_test_id("contact-messages")
        assert "How was your order?" in messages.inner_text()
        assert "Ask how it went" in messages.inner_text()
        assert "sent → delivered → read → replied" in messages.inner_text()
        assert "Reply in the chat · 02.03.2026, 11:00" in messages.inner_text()
        assert messages.locator(".reply-body").inner_text() == "The box was torn."

        text = page.locator(".contact-grid").inner_text()
        assert "15.01.2026, 10:30" in text, "a date property in the reader's zone"
        assert "Hamburg" in text and "1.200" in text and "mug, tea" in text
        assert "2026-03-02T" not in text and "{" not in text, "no raw ISO time or JSON"
    finally:
        context.close()
    assert [error for error in errors if "401" not in error] == []  # signed out at first: 401 from /api/session
    assert [url for url in failed if not url.endswith(tuple(EXPECTED_FAILURES))] == []
