"""What the email tests share: a harness that delivers through a real SMTP server, and a welcome flow."""
from __future__ import annotations

import dataclasses
import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from builder_api.mail import email_settings
from tests.mail_server import MailServer
from tests.workflow_runtime.runtime_support import document
from workflow_runtime.channels.delivery import RetryPolicy
from workflow_runtime.channels.email import EmailSettings
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.storage.models import Message

WELCOME_MJML = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ contact.name }}, welcome to the {{ event.plan }} plan.</mj-text>
<mj-text>Your code: {{ promo_code }}</mj-text>
<mj-button href="https://shop.example/start?plan={{ event.plan }}&amp;from=email">Start now</mj-button>
<mj-text><a href="mailto:help@shop.example">Write to us</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def settings_for(app: Flask, server: MailServer, retry: RetryPolicy | None = None,
                 link_domains: tuple[str, ...] = ()) -> EmailSettings:
    """The app's email settings (so its /t/ routes read the tokens) pointed at the test SMTP server; personalised
    links are tracked on `link_domains` (AUTOMAP_LINK_DOMAINS)."""
    configured = email_settings(dataclasses.replace(app.config["AUTOMAP"], smtp_url=server.url,
                                                    mail_from="shop@automap.test", link_domains=link_domains))
    return dataclasses.replace(configured, retry=retry or RetryPolicy(max_attempts=4))


def welcome_flow(**second_email: Any) -> dict[str, Any]:
    """signed_up → welcome email → wait a day → a second email → exit."""
    return document("Welcome", {
        "start": ("trigger", {"event": "signed_up"}),
        "welcome": ("send_email", {"subject": "Welcome, {{ name }}", "preheader": "Your {{ event.plan }} plan is ready",
                                   "body": WELCOME_MJML, "from_name": "Shop"}),
        "pause": ("wait", {"duration": "P1D"}),
        "tips": ("send_email", {"subject": "Tips for {{ name }}", "body": WELCOME_MJML, **second_email}),
        "end": ("exit", {"reason": "done"}),
    }, [("start", "next", "welcome"), ("welcome", "next", "pause"), ("pause", "next", "tips"), ("tips", "next", "end")])


def sweep_and_drain(harness: Any) -> int:
    """What the scheduler does every tick for deliveries, then let the workers run; returns jobs queued."""
    queued = Scheduler(harness.runtime).sweep_deliveries()
    harness.drain()
    return queued


def only_message(harness: Any, contact_id: int) -> Message:
    [message] = harness.messages(contact_id)
    return message


def parts(email: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of a multipart/alternative email."""
    assert email.get_content_type() == "multipart/alternative"
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def local_path(url: str) -> str:
    """The path of one of this server's URLs, for the Flask test client."""
    return urlsplit(url).path


def tracked_links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*/t/c/[^"]*)"', html)
