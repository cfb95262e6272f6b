"""The abandoned-cart story end to end: a shopper in headless Chromium, the gallery's scenario flow
on virtual time, the fallback email through a real SMTP server (aiosmtpd), the click back, the order.

What runs for real: the app on an HTTP server, widget.js on a shop of another origin, /v1
ingestion, RQ jobs (drained explicitly by the harness), MJML email over SMTP, the /t/ click
redirect, the widget's stream and status reports, the goal counters read through the API.
Only time is virtual: the hour and the day the scenario waits pass with `harness.advance`.

The scenario (flows/scenarios/abandoned_cart.json) decides the story's order: after an unpaid
hour the promo code goes on the contact's card and a popup is recorded; the shopper is away,
so the popup stays unread and after a day the same offer goes by email — the popup is not
withdrawn, it still waits for the next visit. So the shopper who follows the email's link
lands on the shop and sees that popup with the code (the issue's "returns, sees the popup").
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from builder_api.mail import email_settings
from tests.conftest import WRITE_KEY
from tests.e2e.browser_support import html_site
from tests.live_server import LiveServer, live_server
from tests.mail_server import MailServer
from tests.workflow_runtime.conftest import START, harness, redis_connection  # noqa: F401  (fixtures)
from tests.workflow_runtime.email_support import parts, tracked_links
from workflow_runtime.storage.models import Channel, Contact, Event, MessageStatus, RunStatus

SHOP = "https://shop.example.com"  # where the scenario's links point: the shop's public address
PAGE = "<!doctype html><title>{title}</title><h1>{title}</h1>{embed}"
TITLES = {"/": "Northwind Goods", "/shoes": "Shoes", "/cart": "Your cart"}


def _page(api_url: str, path: str) -> str:
    """A page of the shop's site: every page carries the README's one line that embeds the widget."""
    title = TITLES.get(urlsplit(path).path, "Northwind Goods")
    embed = f'<script src="{api_url}/widget.js" data-write-key="{WRITE_KEY}" async></script>'
    return PAGE.format(title=title, embed=embed)


@dataclasses.dataclass
class Shop:
    """The browser context the shopper uses, the shop's URL, the app's server, and where /t/ clicks were sent."""

    context: object
    site_url: str
    server: LiveServer
    click_redirects: list[str] = dataclasses.field(default_factory=list)


@pytest.fixture
def shop(app: Flask, harness, browser, mail_server: MailServer) -> Iterator[Shop]:  # noqa: F811
    """The app live, the shop on another origin, email to aiosmtpd.

    The scenario's links point at https://shop.example.com, a name Chromium cannot resolve here,
    and Playwright does not intercept a redirect's target. So the click's request goes to the
    app as it is, and the Location of the app's answer (recorded in `click_redirects`) is mapped
    to the local shop, as DNS would send the browser to the shop's server; nothing else changes.
    """
    with live_server(app, AUTOMAP_WIDGET_HEARTBEAT=0.5) as server, \
            html_site(lambda path: _page(server.url, path)) as site_url:
        api_url = server.url
        settings = dataclasses.replace(app.config["AUTOMAP"], smtp_url=mail_server.url,
                                       mail_from="shop@northwind.test", public_url=api_url)
        harness.runtime.email = email_settings(settings)
        opened = Shop(browser.new_context(), site_url, server)

        def click_to_local_shop(route) -> None:
            answer = route.fetch(max_redirects=0)
            location = answer.headers.get("location", "")
            opened.click_redirects.append(location)
            route.fulfill(response=answer, headers={**answer.headers,
                                                    "location": location.replace(SHOP, opened.site_url, 1)})

        opened.context.route(f"{api_url}/t/c/**", click_to_local_shop)
        try:
            yield opened
        finally:
            opened.context.close()


def _visit(context, url: str):
    """Open a page of the shop in a new tab; returns (page, the Segment page call), once the
    widget's page view was stored and its message stream is open."""
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/v1/page") and r.ok) as page_call, \
            page.expect_response(lambda r: "/widget/stream" in r.url):
        page.goto(url)
    return page, json.loads(page_call.value.request.post_data)


def _reported(status: str):
    """Matches the widget's answered report of `status` for a message."""
    return lambda r: (r.url.endswith("/status") and r.request.method == "POST" and r.ok
                      and json.loads(r.request.post_data)["status"] == status)


def _call(page, script: str, endpoint: str) -> None:
    """Run the site's own `automap(...)` call and wait until the server accepted it."""
    with page.expect_response(lambda r: r.url.endswith(endpoint)) as answer:
        page.evaluate(script)
    assert answer.value.status == 200, answer.value.text()


def _the_abandoned_cart_email(email: EmailMessage, api_url: str) -> str:
    """Check the fallback email: addressed to Anna, personalised with her code, tracked and
    unsubscribable in one click; returns its tracked button link."""
    assert email["Subject"] == "Your cart is waiting, with 10% off"
    assert email["To"].addresses[0].addr_spec == "anna@example.com"
    assert email["From"].addresses[0].addr_spec == "shop@northwind.test"
    text, html = parts(email)
    greeting = "Hi Anna, your cart is still waiting for you. Use the code {} at checkout for 10% off your order."
    assert greeting.format("CART10") in text
    assert greeting.format("<strong>CART10</strong>") in " ".join(html.split())
    assert f'<img src="{api_url}/t/o/' in html  # the open pixel
    unsubscribe = email["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{api_url}/t/u/") and unsubscribe.endswith(">")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [button] = tracked_links(html)
    assert button.startswith(f"{api_url}/t/c/") and urlsplit(button).path in text  # the text part's link too
    return button


def test_an_abandoned_cart_is_reminded_by_popup_then_email_and_the_order_counts(
        shop, harness, client: FlaskClient, admin_headers: dict[str, str], mail_server: MailServer) -> None:  # noqa: F811
    context, site_url, api_url = shop.context, shop.site_url, shop.server.url
    imported = client.post("/api/scenarios/abandoned_cart/import", headers=admin_headers)
    assert imported.status_code == 201, imported.json
    flow_id = imported.json["id"]
    published = client.post(f"/api/flows/{flow_id}/publish", headers=admin_headers)
    assert published.status_code == 201, published.json

    # The shopper browses, signs in, fills a cart and leaves (closes the tab).
    page, first_view = _visit(context, f"{site_url}/shoes")
    anonymous_id = first_view["anonymousId"]
    page.close()
    page, _ = _visit(context, f"{site_url}/cart")
    _call(page, "automap('identify', 'anna-1', {email: 'anna@example.com', name: 'Anna'})", "/v1/identify")
    _call(page, "automap('track', 'cart_updated', {total: 120})", "/v1/track")
    page.close()
    shop.server.wait_idle()  # she has left: her tab's widget stream ended, so she is no longer on the site
    harness.drain()

    with harness.session() as session:
        anna = session.scalar(select(Contact).where(Contact.email == "anna@example.com"))
        views = session.scalars(select(Event.page_title).where(Event.contact_id == anna.id,
                                                               Event.name == "page_viewed").order_by(Event.id))
        assert (anna.user_id, anna.name) == ("anna-1", "Anna")
        assert list(views) == ["Shoes", "Your cart"]  # the anonymous browsing is Anna's history now
    [run] = harness.runs(flow_id)
    assert (run.contact_id, run.status, run.node_id) == (anna.id, RunStatus.WAITING, "wait_for_payment")

    # An hour without paying: the code goes on her card and the popup waits for her next visit.
    harness.advance(timedelta(hours=1))
    [popup] = harness.messages(anna.id)
    assert (popup.channel, popup.status, popup.node_id) == (Channel.POPUP, MessageStatus.SENT, "promo_popup")
    with harness.session() as session:
        card = session.get(Contact, anna.id)
        assert card.properties["promo_code"] == "CART10" and "abandoned_cart" in card.tags
    assert mail_server.messages == []

    # She stays away a whole day: the unread popup's offer goes by email.
    harness.advance(timedelta(days=1))
    [email] = mail_server.messages
    assert mail_server.recipients == [["anna@example.com"]]
    button = _the_abandoned_cart_email(email, api_url)
    assert [run.status for run in harness.runs(flow_id)] == [RunStatus.COMPLETED]

    # She follows the email's link: the click is counted, the redirect lands on the shop's cart,
    # and the popup that waited for her shows the code.
    page = context.new_page()
    with page.expect_response(lambda r: "/t/c/" in r.url) as click, \
            page.expect_response(lambda r: r.url.endswith("/v1/page") and r.ok) as view, \
            page.expect_response(lambda r: "/widget/stream" in r.url), \
            page.expect_response(_reported("read")):
        page.goto(button)
    assert click.value.status == 302
    assert shop.click_redirects == [f"{SHOP}/cart?utm_source=email&utm_campaign=abandoned_cart"]
    assert page.url == f"{site_url}/cart?utm_source=email&utm_campaign=abandoned_cart"
    assert json.loads(view.value.request.post_data)["anonymousId"] == anonymous_id  # the same browser
    shown = page.locator("#automap-widget .popup.small")
    assert shown.locator(".title").text_content() == "Forgot something?"
    assert shown.locator(".text").text_content() == \
        "Your cart is still waiting. Use the code CART10 at checkout for 10% off today."

    # She pays from the page.
    _call(page, "automap('track', 'order_paid', {amount: 108})", "/v1/track")
    harness.drain()

    with harness.session() as session:
        utm = session.scalars(select(Event.utm_source).where(Event.contact_id == anna.id,
                                                             Event.name == "page_viewed").order_by(Event.id))
        assert list(utm)[-1] == "email"
    statuses = {message.channel: message.status for message in harness.messages(anna.id)}
    assert statuses == {Channel.POPUP: MessageStatus.READ, Channel.EMAIL: MessageStatus.CLICKED}
    [run] = harness.runs(flow_id)
    assert run.converted_at is not None and float(run.revenue) == 108

    # Everything happened on the story's two (virtual) days: what the browser reported too.
    story = f"from={START.date()}&to={harness.clock.now().date()}"
    stats = client.get(f"/api/flows/{flow_id}/stats?{story}", headers=admin_headers)
    assert stats.status_code == 200, stats.json
    assert stats.json["totals"] == {"entered": 1, "converted": 1, "conversion_rate": 1.0, "revenue": 108.0}
    nodes = stats.json["nodes"]
    for node in ("cart_updated", "wait_for_payment", "give_promo_code", "promo_popup", "reminded"):
        assert (nodes[node]["converted"], nodes[node]["revenue"]) == (1, 108.0), node
    assert nodes["paid"]["converted"] == 0
    # The popup and its fallback email, each counted on its own channel: both shown or accepted, read; the email clicked.
    popup, email = nodes["promo_popup"]["channels"]["popup"], nodes["promo_popup"]["channels"]["email"]
    assert (popup["sent"], popup["queued"], popup["delivered"], popup["read"], popup["clicked"]) == (1, 0, 1, 1, 0)
    assert (email["sent"], email["queued"], email["delivered"], email["read"], email["clicked"]) == (1, 0, 1, 1, 1)
    assert [day["day"] for day in stats.json["series"]] == ["2026-03-02", "2026-03-03"]
    contacts = client.get(f"/api/flows/{flow_id}/nodes/promo_popup/contacts?metric=email:clicked", headers=admin_headers)
    assert [row["email"] for row in contacts.json["contacts"]] == ["anna@example.com"]
