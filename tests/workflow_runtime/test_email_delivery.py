"""Email through the runtime to a real SMTP server (aiosmtpd): personalised, tracked, unsubscribable, retried, never twice."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.mail_server import MailServer
from tests.workflow_runtime.email_support import (
    WELCOME_MJML,
    local_path,
    only_message,
    parts,
    settings_for,
    sweep_and_drain,
    tracked_links,
    welcome_flow,
)
from tests.workflow_runtime.runtime_support import assert_counters_balance, counters, document, live_version, track_all
from workflow_runtime.authoring import message_templates
from workflow_runtime.channels.delivery import RetryPolicy
from workflow_runtime.storage.models import Contact, DeliveryState, MessageStatus, MessageTemplate


def test_an_email_flow_delivers_a_personalised_multipart_email_with_tracking_and_unsubscribe(
        harness, app: Flask, client: FlaskClient, mail_server: MailServer) -> None:  # noqa: ANN001 - the Harness fixture
    # The button's link is personalised ({{ event.plan }}): tracked only because shop.example is allow-listed.
    harness.runtime.email = settings_for(app, mail_server, link_domains=("shop.example",))
    flow_id = harness.publish(welcome_flow())
    ann = harness.contact(email="ann@example.com", name="Ann <b>", properties={"promo_code": "SAVE10"})

    harness.track(ann, "signed_up", {"plan": "pro"})

    [email] = mail_server.messages
    assert mail_server.recipients == [["ann@example.com"]]
    assert email["Subject"] == "Welcome, Ann <b>"  # a header is text: nothing to escape
    assert email["From"] == "Shop <shop@automap.test>"
    assert email["To"].addresses[0].addr_spec == "ann@example.com"
    text, html = parts(email)
    assert "Hi Ann &lt;b&gt;, welcome to the pro plan." in html and "Ann <b>" not in html
    assert "Hi Ann <b>, welcome to the pro plan." in text
    assert "Your code: SAVE10" in text and "SAVE10" in html
    assert "Your pro plan is ready" in html and "Your pro plan is ready" not in text  # the hidden preheader
    assert 'href="mailto:help@shop.example"' in html
    unsubscribe_header = email["List-Unsubscribe"]
    assert unsubscribe_header.startswith("<http://127.0.0.1:5000/t/u/") and unsubscribe_header.endswith(">")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{unsubscribe_header[1:-1]}"' in html  # {{ unsubscribe_url }} in the body: the same link, not tracked
    [button] = tracked_links(html)
    assert local_path(button) in text  # the text part's link is tracked too

    message = only_message(harness, ann)
    assert (message.delivery_state, message.status, message.attempts) == (DeliveryState.DELIVERED, MessageStatus.DELIVERED, 1)
    version = live_version(harness, flow_id)
    assert counters(harness, version)["welcome"] == {"entered": 1, "email:sent": 1, "email:delivered": 1,
                                                     "left:next": 1}

    pixel = html.split('<img src="')[1].split('"')[0]
    opened = client.get(local_path(pixel))
    assert (opened.status_code, opened.mimetype) == (200, "image/gif")
    assert counters(harness, version)["welcome"]["email:read"] == 1

    for _ in range(2):  # a second click counts nothing new
        clicked = client.get(local_path(button))
        assert clicked.status_code == 302
        assert clicked.headers["Location"] == "https://shop.example/start?plan=pro&from=email"
    stats = counters(harness, version)["welcome"]
    assert (stats["email:read"], stats["email:clicked"]) == (1, 1)

    assert client.get(local_path(button)[:-2] + "xx").status_code == 403  # a forged signature
    assert client.get(local_path(unsubscribe_header[1:-1]).replace("/t/u/", "/t/c/")).status_code == 403

    confirm = client.get(local_path(unsubscribe_header[1:-1]))
    assert confirm.status_code == 200 and b'<form method="post"' in confirm.data
    with harness.session() as session:
        assert session.get(Contact, ann).unsubscribed_at is None  # a GET (a mail scanner) unsubscribes nobody
    one_click = client.post(local_path(unsubscribe_header[1:-1]), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and b"You are unsubscribed" in one_click.data
    with harness.session() as session:
        assert session.get(Contact, ann).unsubscribed_at is not None
    assert counters(harness, version)["welcome"]["email:unsubscribed"] == 1

    harness.advance(timedelta(days=1))  # the second email is suppressed, not sent
    assert len(mail_server.messages) == 1
    assert counters(harness, version)["tips"] == {"entered": 1, "email:suppressed": 1, "left:next": 1}
    assert_counters_balance(harness, flow_id)


def test_a_down_smtp_server_is_retried_with_backoff_and_the_email_delivered_once_it_is_back(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server, RetryPolicy(max_attempts=5, first_delay=timedelta(minutes=1)))
    flow_id = harness.publish(welcome_flow())
    ann = harness.contact(email="ann@example.com", name="Ann")
    mail_server.stop()

    harness.track(ann, "signed_up", {"plan": "pro"})  # connection refused
    message = only_message(harness, ann)
    assert (message.delivery_state, message.attempts) == (DeliveryState.PENDING, 1)
    assert message.next_attempt_at == harness.clock.now() + timedelta(minutes=1)
    assert "cannot reach the SMTP server" in message.last_error

    harness.clock.advance(timedelta(seconds=59))
    assert sweep_and_drain(harness) == 0  # not due yet
    harness.clock.advance(timedelta(seconds=1))
    assert sweep_and_drain(harness) == 1  # due: tried again, still down
    message = only_message(harness, ann)
    assert (message.attempts, message.next_attempt_at) == (2, harness.clock.now() + timedelta(minutes=2))

    mail_server.start()
    harness.clock.advance(timedelta(minutes=1))
    assert sweep_and_drain(harness) == 0 and mail_server.messages == []  # the backoff doubled
    harness.clock.advance(timedelta(minutes=1))
    sweep_and_drain(harness)
    assert len(mail_server.messages) == 1
    message = only_message(harness, ann)
    assert (message.delivery_state, message.attempts, message.last_error) == (DeliveryState.DELIVERED, 3, None)

    harness.clock.advance(timedelta(hours=1))
    assert sweep_and_drain(harness) == 0
    assert len(mail_server.messages) == 1
    stats = counters(harness, live_version(harness, flow_id))["welcome"]
    assert (stats["email:sent"], stats["email:delivered"], stats.get("email:failed", 0)) == (1, 1, 0)


def test_after_the_last_retry_the_email_fails_and_is_counted(harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server, RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=1)))
    flow_id = harness.publish(welcome_flow())
    ann = harness.contact(email="ann@example.com", name="Ann")
    mail_server.stop()
    harness.track(ann, "signed_up")
    for delay in (1, 2):
        harness.clock.advance(timedelta(minutes=delay))
        sweep_and_drain(harness)
    message = only_message(harness, ann)
    assert (message.delivery_state, message.status, message.attempts) == (DeliveryState.FAILED, MessageStatus.FAILED, 3)
    assert message.last_error.startswith("gave up after 3 attempts: cannot reach the SMTP server")
    mail_server.start()
    harness.advance(timedelta(days=1))
    sweep_and_drain(harness)
    assert [email["Subject"] for email in mail_server.messages] == ["Tips for Ann"]  # the failed one never went out
    assert counters(harness, live_version(harness, flow_id))["welcome"]["email:failed"] == 1


def test_a_recipient_refused_for_good_fails_without_a_retry(harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(welcome_flow())
    ann = harness.contact(email="ann@example.com", name="Ann")
    mail_server.rcpt_reply = "550 No such user here"
    harness.track(ann, "signed_up")
    message = only_message(harness, ann)
    assert (message.delivery_state, message.attempts) == (DeliveryState.FAILED, 1)
    assert "550 No such user here" in message.last_error
    assert counters(harness, live_version(harness, flow_id))["welcome"]["email:failed"] == 1


def test_a_contact_without_an_address_is_suppressed_at_the_node(harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(welcome_flow())
    visitor = harness.contact(name="Ann", email=None)  # an anonymous visitor
    harness.track(visitor, "signed_up")
    assert harness.messages(visitor) == [] and mail_server.messages == []
    assert counters(harness, live_version(harness, flow_id))["welcome"]["email:suppressed"] == 1


def test_an_address_removed_before_delivery_fails_the_email_with_its_reason(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    flow_id = harness.publish(welcome_flow())
    ann = harness.contact(name="Ann")
    harness.track(ann, "signed_up")  # no SMTP server configured yet: the email waits in the ledger
    with harness.runtime.sessions.begin() as session:
        session.get(Contact, ann).email = None
    harness.runtime.email = settings_for(app, mail_server)
    sweep_and_drain(harness)
    message = only_message(harness, ann)
    assert (message.delivery_state, message.last_error) == (DeliveryState.FAILED, "the contact has no email address")
    assert mail_server.messages == []
    assert counters(harness, live_version(harness, flow_id))["welcome"]["email:failed"] == 1


def test_a_send_node_using_a_saved_template_sends_its_current_version(
        harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    with harness.runtime.sessions.begin() as session:
        template = message_templates.save(session, MessageTemplate(), {
            "name": "Welcome", "channel": "email", "subject": "Hello {{ name }}", "body": WELCOME_MJML})
        template_id = template.id
    flow_id = harness.publish(document("Saved", {
        "start": ("trigger", {"event": "signed_up"}),
        "mail": ("send_email", {"template_id": template_id, "preheader": "For {{ name }}"}),
        "end": ("exit", {"reason": "done"}),
    }, [("start", "next", "mail"), ("mail", "next", "end")]))
    ann, bo = harness.contact(email="ann@example.com", name="Ann"), harness.contact(email="bo@example.com", name="Bo")
    harness.track(ann, "signed_up", {"plan": "pro"})
    with harness.runtime.sessions.begin() as session:
        message_templates.save(session, session.get(MessageTemplate, template_id), {"subject": "Welcome aboard, {{ name }}"})
    harness.track(bo, "signed_up", {"plan": "free"})

    first, second = mail_server.messages
    assert (first["Subject"], second["Subject"]) == ("Hello Ann", "Welcome aboard, Bo")
    assert "welcome to the free plan" in parts(second)[0] and "For Bo" in parts(second)[1]
    assert counters(harness, live_version(harness, flow_id))["mail"]["email:delivered"] == 2


def test_an_address_the_sender_cannot_use_fails_alone(harness, app: Flask, mail_server: MailServer) -> None:  # noqa: ANN001
    harness.runtime.email = settings_for(app, mail_server)
    flow_id = harness.publish(welcome_flow())
    zoe = harness.contact(email="zoë@exämple.com", name="Zoë")
    ann = harness.contact(email="ann@example.com", name="Ann")
    track_all(harness, [zoe, ann], "signed_up")
    assert only_message(harness, zoe).delivery_state is DeliveryState.FAILED
    assert only_message(harness, zoe).last_error.startswith("the email cannot be built")
    assert only_message(harness, ann).delivery_state is DeliveryState.DELIVERED
    assert mail_server.recipients == [["ann@example.com"]]
    stats = counters(harness, live_version(harness, flow_id))["welcome"]
    assert (stats["email:delivered"], stats["email:failed"]) == (1, 1)
