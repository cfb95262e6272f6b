"""Issue 19, done when: the seed's team-play case 2 in Chromium, end to end.

A visitor writes from their phone and leaves; an operator answers in the inbox; the answer, unseen, is
forwarded by email (aiosmtpd receives it); the visitor answers the email through the inbound SMTP server;
the operator sees that answer appear without reloading; back on the desktop, identified with the
identity-verification hash, the visitor finds the whole dialog in the chat.
"""
from __future__ import annotations

import hashlib
import hmac
import smtplib
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from builder_api.accounts import create_user
from builder_api.mail import reply_addresses
from tests.builder_api.widget_support import WRITE_KEY, live_server
from tests.conftest import IDENTITY_SECRET
from tests.e2e.browser_support import html_site
from tests.mail_server import MailServer, free_port
from tests.workflow_runtime.chat_forward_support import answer
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.email_support import settings_for
from workflow_runtime.channels.inbound_smtp import inbound_smtp_server
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.storage.models import AnonymousId, Contact, Conversation

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (dev extra)").expect

USER_ID = "user-42"
PASSWORD = "correct horse battery"
QUESTION = "Do you ship to Berlin?"
ANSWER = "We do: 2 to 3 days, free over 50 euros."
EMAIL_ANSWER = "Perfect, I will order tonight."
# The shop's page for the signed-in customer: its backend vouches for the user id with the hash (identity
# verification), and the snippet queues the identify call until widget.js has loaded.
SHOP_PAGE = """<!doctype html><title>Shop</title><h1>Lamps</h1><script>
  !function(w,d,u,k){{w.automap=w.automap||function(){{(w.automap.q=w.automap.q||[]).push(arguments)}};
  var s=d.createElement("script");s.async=1;s.src=u;d.head.appendChild(s);w.automap("init",k)}}
  (window,document,"{url}/widget.js","{key}");
  automap("identify", "{user_id}", {{email: "kim@example.com", name: "Kim"}}, {{user_hash: "{user_hash}"}});
</script>"""


def _eventually(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _linked(harness, anonymous_id: str) -> bool:  # noqa: F811, ANN001
    """Whether the browser's anonymous id now belongs to the customer USER_ID (identify merged it)."""
    with harness.session() as session:
        return session.scalar(select(Contact.user_id).join(AnonymousId, AnonymousId.contact_id == Contact.id)
                              .where(AnonymousId.anonymous_id == anonymous_id)) == USER_ID


def _device(browser, site_url: str, anonymous_id: str, **options):  # noqa: ANN001, ANN003, ANN202
    context = browser.new_context(**options)
    context.add_cookies([{"name": "automap_aid", "value": anonymous_id, "url": site_url}])
    return context


def test_a_phone_chat_answered_in_the_inbox_continues_by_email_and_on_the_desktop(
        app: Flask, harness, browser, built_frontend: Path, mail_server: MailServer, session: Session,  # noqa: F811
        screenshots: Path) -> None:
    harness.runtime.email = settings_for(app, mail_server)
    operator = create_user(session, "erin@shop.example", PASSWORD)
    operator.name = "Erin"
    session.commit()
    user_hash = hmac.new(IDENTITY_SECRET.encode(), USER_ID.encode(), hashlib.sha256).hexdigest()

    with live_server(app, FRONTEND_DIST=str(built_frontend), AUTOMAP_WIDGET_HEARTBEAT=0.5) as server, \
            html_site(lambda _path: SHOP_PAGE.format(url=server.url, key=WRITE_KEY, user_id=USER_ID,
                                                      user_hash=user_hash)) as site_url:
        # The phone: the signed-in customer writes and leaves.
        phone = _device(browser, site_url, "anon-phone", viewport={"width": 390, "height": 844}, is_mobile=True)
        visitor = phone.new_page()
        visitor.goto(f"{site_url}/lamps")
        _eventually(lambda: _linked(harness, "anon-phone"))
        widget = visitor.locator("#automap-widget")
        widget.locator(".launcher").click()
        widget.locator(".reply textarea").fill(QUESTION)
        widget.locator(".reply textarea").press("Enter")
        expect(widget.locator(".me")).to_have_text([QUESTION])
        phone.close()
        harness.clock.advance(timedelta(minutes=2))

        # The operator, two minutes later: signs in, finds the conversation waiting in the inbox, answers.
        desk = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=server.url)
        inbox = desk.new_page()
        inbox.goto("/inbox")
        inbox.get_by_label("Email").fill("erin@shop.example")
        inbox.get_by_label("Password").fill(PASSWORD)
        inbox.get_by_test_id("sign-in").click()
        expect(inbox.get_by_test_id("inbox-badge")).to_have_text("1")
        row = inbox.get_by_test_id("inbox-row").filter(has_text=QUESTION)
        expect(row).to_contain_text("Kim")
        row.click()
        inbox.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
        inbox.get_by_test_id("reply-input").fill(ANSWER)
        inbox.get_by_test_id("reply-send").click()
        expect(inbox.get_by_test_id("thread-item").filter(has_text=ANSWER)).to_be_visible()

        # Away from the site, Kim does not see it: five minutes later it goes by email, with a reply address.
        harness.clock.advance(timedelta(minutes=5))
        Scheduler(harness.runtime).sweep_deliveries()
        harness.drain()
        [email] = mail_server.messages
        assert mail_server.recipients == [["kim@example.com"]]
        assert ANSWER in email.get_body(("plain",)).get_content()
        assert str(email["From"]).startswith("Erin ")

        # Kim answers the email; it comes in through the inbound SMTP server.
        port = free_port()
        settings = app.config["AUTOMAP"]
        with inbound_smtp_server(harness.runtime, reply_addresses(settings), "127.0.0.1", port), \
                smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            reply = answer(email, EMAIL_ANSWER)
            smtp.send_message(reply, from_addr="kim@example.com", to_addrs=[str(email["Reply-To"])])

        # The operator sees it arrive, without reloading.
        expect(inbox.get_by_test_id("thread-item").filter(has_text=EMAIL_ANSWER)).to_be_visible(timeout=10_000)
        assert inbox.evaluate("window.__sameDocument") is True
        inbox.screenshot(path=str(screenshots / "inbox.png"))

        # The desktop: another browser, the same customer (vouched for by the hash), finds the whole dialog.
        desktop = _device(browser, site_url, "anon-desktop")
        home = desktop.new_page()
        home.goto(f"{site_url}/lamps")
        _eventually(lambda: _linked(harness, "anon-desktop"))
        home.reload()  # the next page of the visit
        widget = home.locator("#automap-widget")
        widget.locator(".launcher").click()
        expect(widget.locator(".me, .them")).to_have_text([QUESTION, ANSWER, f"{EMAIL_ANSWER}by email"])
        desk.close()
        desktop.close()

    with harness.session() as reading:
        [conversation] = reading.scalars(select(Conversation)).all()
        # Read at once by the operator's open thread, and waiting for the team's next answer.
        assert (conversation.unread, conversation.waiting_since is not None) == (0, True)
