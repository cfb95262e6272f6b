"""A contact without a name is greeted by the message's fallback, never as "None", on every channel.

The flow prints the name with a fallback and without one, so it is published with warnings
(flows.validation.flow_warnings) that do not stop it.
"""
from __future__ import annotations

from email.utils import parseaddr

from flask import Flask

from flows.validation import flow_warnings
from tests.mail_server import MailServer
from tests.workflow_runtime.email_support import settings_for
from tests.workflow_runtime.runtime_support import assert_no_failed_jobs, document, track_all
from workflow_runtime.channels import onsite
from workflow_runtime.storage.models import MessageStatus

GREETINGS = document("Greetings", {
    "start": ("trigger", {"event": "signed_up"}),
    "chat": ("send_chat", {"body": 'Hi {{ name | default("there") }}!'}),
    "popup": ("send_popup", {"size": "small", "title": 'Hi {{ contact.name | d("there") }}!', "body": "Hello {{ name }}."}),
    "mail": ("send_email", {
        "subject": 'Hi {{ contact.name | default("there") }}!',
        "body": "<mjml><mj-body><mj-section><mj-column><mj-text>Dear {{ name }}, your code is "
                '{{ promo_code | default("WELCOME") }}.</mj-text></mj-column></mj-section></mj-body></mjml>'}),
    "end": ("exit", {"reason": "done"}),
}, [("start", "next", "chat"), ("chat", "next", "popup"), ("popup", "next", "mail"), ("mail", "next", "end")])


def test_a_contact_without_a_name_gets_the_fallback_and_never_none(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001 - the Harness fixture
    assert [warning.pointer for warning in flow_warnings(GREETINGS)] == ["/nodes/2/config/body", "/nodes/3/config/body"]
    harness.runtime.email = settings_for(app, mail_server)
    harness.publish(GREETINGS)  # warnings do not stop publishing
    nameless = harness.contact(name=None, email="nameless@example.com")
    blank = harness.contact(name="", email="blank@example.com", properties={"promo_code": None})
    anna = harness.contact(name="Anna", email="anna@example.com", properties={"promo_code": "ANNA5"})
    track_all(harness, [nameless, blank, anna], "signed_up")
    assert_no_failed_jobs(harness)

    with harness.session() as session:
        shown = {contact: [(view.get("title"), view["body"]) for view in onsite.pending(session, contact)]
                 for contact in (nameless, blank, anna)}
    assert shown[nameless] == shown[blank] == [(None, "Hi there!"), ("Hi there!", "Hello .")]
    assert shown[anna] == [(None, "Hi Anna!"), ("Hi Anna!", "Hello Anna.")]

    emails = {parseaddr(email["To"])[1]: email for email in mail_server.messages}
    for address in ("nameless@example.com", "blank@example.com"):
        assert emails[address]["Subject"] == "Hi there!"
        text = emails[address].get_body(("plain",)).get_content()
        assert "Dear , your code is WELCOME." in text and "None" not in text
    assert emails["anna@example.com"]["Subject"] == "Hi Anna!"
    assert "Dear Anna, your code is ANNA5." in emails["anna@example.com"].get_body(("plain",)).get_content()
    for contact in (nameless, blank, anna):
        assert [message.status for message in harness.messages(contact)] == [
            MessageStatus.SENT, MessageStatus.SENT, MessageStatus.DELIVERED]
