"""The click redirect `/t/c/` vouches only for links the template wrote: a link a contact's property fills in
(any visitor can set one through the public tracking API) is sent as it is, untracked, unless its domain is in
AUTOMAP_LINK_DOMAINS; and the endpoint redirects only to the http(s) URL its signed token names."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous.encoding import base64_encode

from builder_api.mail import email_settings
from builder_api.settings import SettingsError, load_settings
from tests.mail_server import MailServer
from tests.workflow_runtime.email_support import local_path, parts, settings_for, tracked_links
from tests.workflow_runtime.runtime_support import counters, document, live_version
from workflow_runtime.channels.tracking import CLICK, Tracking

PHISH = "https://evil.example/phish"
WEBSITE_MJML = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ name }}, we had a look at <a href="{{ website }}">your site</a>.</mj-text>
<mj-button href="https://shop.example/new?utm_source=email&amp;utm_campaign=new">See what is new</mj-button>
<mj-text><a href="https://shop.example/start?plan={{ event.plan }}">Start your {{ event.plan }} plan</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""
NEW = "https://shop.example/new?utm_source=email&utm_campaign=new"


def website_flow() -> dict[str, Any]:
    """signed_up → an email linking the contact's own `website` property → exit."""
    return document("Website", {
        "start": ("trigger", {"event": "signed_up"}),
        "mail": ("send_email", {"subject": "Your site, {{ name }}", "body": WEBSITE_MJML}),
        "end": ("exit", {"reason": "done"}),
    }, [("start", "next", "mail"), ("mail", "next", "end")])


def click_targets(harness: Any, email_text: str) -> set[str]:  # noqa: ANN401 - the Harness fixture
    """The targets the email's `/t/c/` links (in either part) redirect to."""
    tracking: Tracking = harness.runtime.email.tracking
    return {tracking.click_target(token)[1] for token in re.findall(r"/t/c/([\w.-]+)", email_text)}


def test_a_contact_chosen_link_is_sent_untracked_while_the_templates_links_are_tracked_and_counted(
        harness, app: Flask, client: FlaskClient, mail_server: MailServer) -> None:  # noqa: ANN001 - the Harness fixture
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(website_flow())
    eve = harness.contact(email="eve@example.com", name="Eve", properties={"website": PHISH})

    harness.track(eve, "signed_up", {"plan": "pro"})

    [email] = mail_server.messages
    text, html = parts(email)
    assert f'href="{PHISH}"' in html and f"({PHISH})" in text  # as the contact set it: no redirect of ours
    assert 'href="https://shop.example/start?plan=pro"' in html  # personalised too, so untracked as well
    assert click_targets(harness, html + text) == {NEW}
    [new] = tracked_links(html)
    clicked = client.get(local_path(new))
    assert (clicked.status_code, clicked.headers["Location"]) == (302, NEW)
    assert counters(harness, live_version(harness, flow_id))["mail"]["email:clicked"] == 1

    # The literal link's token, re-pointed at the contact's URL: refused, counted nowhere, redirected nowhere.
    message_id, _, signature = local_path(new).rsplit("/", 1)[1].split(".")
    forged = client.get(f"/t/c/{message_id}.{base64_encode(PHISH).decode()}.{signature}")
    assert forged.status_code == 403 and "Location" not in forged.headers
    # A token this server's key did sign, for a target it never tracks: refused too.
    tracking: Tracking = harness.runtime.email.tracking
    for target in ("javascript:alert(document.cookie)", ""):
        signed = client.get(local_path(tracking.url(CLICK, int(message_id), target)))
        assert signed.status_code == 403 and "Location" not in signed.headers
    assert counters(harness, live_version(harness, flow_id))["mail"]["email:clicked"] == 1


def test_a_personalised_link_on_an_allow_listed_domain_is_tracked(
        harness, app: Flask, client: FlaskClient, mail_server: MailServer) -> None:  # noqa: ANN001 - the Harness fixture
    harness.runtime.email = settings_for(app, mail_server, link_domains=("shop.example",))
    flow_id = harness.publish(website_flow())
    ann = harness.contact(email="ann@example.com", name="Ann", properties={"website": "https://www.shop.example/ann"})
    eve = harness.contact(email="eve@example.com", name="Eve", properties={"website": PHISH})

    harness.track(ann, "signed_up", {"plan": "pro"})
    harness.track(eve, "signed_up", {"plan": "pro"})

    ann_email, eve_email = (parts(email) for email in mail_server.messages)
    assert click_targets(harness, "".join(ann_email)) == {
        NEW, "https://shop.example/start?plan=pro", "https://www.shop.example/ann"}
    assert click_targets(harness, "".join(eve_email)) == {NEW, "https://shop.example/start?plan=pro"}
    assert f'href="{PHISH}"' in eve_email[1]
    [own_site] = [link for link in tracked_links(ann_email[1]) if click_targets(harness, link) == {
        "https://www.shop.example/ann"}]
    clicked = client.get(local_path(own_site))
    assert (clicked.status_code, clicked.headers["Location"]) == (302, "https://www.shop.example/ann")
    assert counters(harness, live_version(harness, flow_id))["mail"]["email:clicked"] == 1


def test_the_allowed_domains_are_a_setting_passed_down_to_the_email_links(tmp_path: pytest.TempPathFactory) -> None:
    environ = {"AUTOMAP_INSTANCE_PATH": str(tmp_path), "AUTOMAP_LINK_DOMAINS": " Shop.example, ,news.shop.example "}
    settings = load_settings(environ)
    assert settings.link_domains == ("shop.example", "news.shop.example")
    assert email_settings(settings).tracking.link_domains == ("shop.example", "news.shop.example")
    assert load_settings({"AUTOMAP_INSTANCE_PATH": str(tmp_path)}).link_domains == ()  # none unless configured
    for wrong in ("https://shop.example", "*.shop.example", "shop.example/path"):
        with pytest.raises(SettingsError, match="AUTOMAP_LINK_DOMAINS"):
            load_settings({**environ, "AUTOMAP_LINK_DOMAINS": wrong})
