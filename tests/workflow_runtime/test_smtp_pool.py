"""Pooled, parallel, paced email delivery against a real SMTP server (aiosmtpd): sessions reused across batches,
replaced when the server dropped them, every email sent and recorded once, the rate limit kept."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from flask import Flask

from tests.mail_server import MailServer
from tests.workflow_runtime.email_support import settings_for, welcome_flow
from tests.workflow_runtime.runtime_support import counters, live_version, track_all
from workflow_runtime.channels import smtp_loop
from workflow_runtime.channels.email import CLAIM_BATCH, EmailDeliverer, EmailSettings, compose_email
from workflow_runtime.channels.email_render import RenderedEmail
from workflow_runtime.channels.send_rate import SendRate
from workflow_runtime.channels.smtp import SmtpServer
from workflow_runtime.channels.smtp_pool import SmtpLane, SmtpPool, pool_for
from workflow_runtime.channels.tracking import Tracking
from workflow_runtime.storage.models import DeliveryState


class CountingMailServer(MailServer):
    """The test SMTP server, also counting the sessions opened to it (each starts with EHLO)."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802 - aiosmtpd's name
                          responses: list[str]) -> list[str]:
        self.sessions += 1
        return await super().handle_EHLO(server, session, envelope, hostname, responses)


@pytest.fixture()
def counting_server() -> Iterator[CountingMailServer]:
    server = CountingMailServer()
    server.start()
    yield server
    server.stop()
    smtp_loop.run(pool_for(SmtpServer.from_url(server.url)).close())


def pending_welcomes(harness: Any, count: int) -> tuple[int, list[int]]:  # noqa: ANN401 - the Harness fixture
    """`count` contacts signed up with no SMTP server configured yet: their welcome emails wait in the ledger."""
    flow_id = harness.publish(welcome_flow())
    contacts = [harness.contact(email=f"person{n}@example.com", name=f"Person {n}") for n in range(count)]
    track_all(harness, contacts, "signed_up", {"plan": "pro"})
    return flow_id, contacts


def deliverer(harness: Any, settings: EmailSettings) -> EmailDeliverer:  # noqa: ANN401
    assert settings.smtp is not None
    return EmailDeliverer(harness.runtime.sessions, harness.clock.now, settings.smtp, settings)


def states(harness: Any, contacts: list[int]) -> list[tuple[DeliveryState, int]]:  # noqa: ANN401
    return [(message.delivery_state, message.attempts) for contact in contacts for message in harness.messages(contact)]


def test_parallel_sends_deliver_and_record_every_email_exactly_once_in_few_transactions(
        harness, app: Flask, counting_server: CountingMailServer) -> None:  # noqa: ANN001
    count = CLAIM_BATCH * 4 + 30  # two claimed batches over four connections
    flow_id, contacts = pending_welcomes(harness, count)
    settings = dataclasses.replace(settings_for(app, counting_server), connections=4)
    sender = deliverer(harness, settings)

    assert sender.deliver_due() == count
    assert sorted(to for [to] in counting_server.recipients) == sorted(f"person{n}@example.com" for n in range(count))
    assert states(harness, contacts) == [(DeliveryState.DELIVERED, 1)] * count
    stats = counters(harness, live_version(harness, flow_id))["welcome"]
    assert (stats["email:sent"], stats["email:delivered"], stats.get("email:failed", 0)) == (count, count, 0)
    assert 1 <= counting_server.sessions <= 4  # one session per lane at most, kept across the two batches
    # Each email's `submitting` mark still commits before its message goes out, but the marks and outcomes of the four
    # lanes share transactions: fewer than one per email, not three.
    assert sender.ledger.transactions < count
    assert sender.deliver_due() == 0 and len(counting_server.messages) == count


def test_sessions_are_reused_across_delivery_jobs(harness, app: Flask, counting_server: CountingMailServer) -> None:  # noqa: ANN001
    _flow_id, contacts = pending_welcomes(harness, 3)
    settings = dataclasses.replace(settings_for(app, counting_server), connections=1)
    assert deliverer(harness, settings).deliver_due() == 3
    harness.runtime.email = settings
    harness.track(harness.contact(email="later@example.com"), "signed_up")  # a job of its own, later on
    assert len(counting_server.messages) == 4
    assert counting_server.sessions == 1  # the first job's session sent the later email too
    assert pool_for(settings.smtp).opened == 1  # type: ignore[arg-type]


def test_a_session_the_server_dropped_is_replaced_and_the_email_sent_without_a_retry(
        harness, app: Flask, counting_server: CountingMailServer) -> None:  # noqa: ANN001
    _flow_id, contacts = pending_welcomes(harness, 2)
    settings = dataclasses.replace(settings_for(app, counting_server), connections=1)
    first = deliverer(harness, settings)
    assert first.deliver_due() == 2

    counting_server.stop()  # the server goes away and comes back: the kept session is dead
    counting_server.start()
    later = [harness.contact(email=f"later{n}@example.com") for n in range(2)]
    track_all(harness, later, "signed_up")
    assert deliverer(harness, settings).deliver_due() == 2
    assert states(harness, later) == [(DeliveryState.DELIVERED, 1)] * 2  # first attempt: no backoff
    assert [to for [to] in counting_server.recipients[2:]] == ["later0@example.com", "later1@example.com"]
    assert counting_server.sessions == 2


def test_a_session_is_retired_after_its_message_limit(counting_server: CountingMailServer) -> None:
    pool = SmtpPool(SmtpServer.from_url(counting_server.url), max_messages=2)
    email = compose_email(_settings(), RenderedEmail("Hi", "", "<p>Hi</p>", "Hi"), "ann@example.com")

    async def send_five() -> None:
        lane = SmtpLane(pool)
        for _ in range(5):
            assert await lane.send(email, "shop@automap.test", "ann@example.com")
        await lane.close()
        await pool.close()

    smtp_loop.run(send_five())
    assert (len(counting_server.messages), counting_server.sessions, pool.opened) == (5, 3, 3)


def test_an_idle_session_is_checked_before_use_and_replaced_if_dead(counting_server: CountingMailServer) -> None:
    now = [0.0]
    pool = SmtpPool(SmtpServer.from_url(counting_server.url), idle_check=10.0, clock=lambda: now[0])
    email = compose_email(_settings(), RenderedEmail("Hi", "", "<p>Hi</p>", "Hi"), "ann@example.com")

    async def send_one() -> None:
        lane = SmtpLane(pool)
        assert await lane.send(email, "shop@automap.test", "ann@example.com")
        await lane.close()

    smtp_loop.run(send_one())
    counting_server.stop()
    counting_server.start()
    now[0] = 11.0  # idle past the check: NOOP finds it dead, so a new session is opened before the email starts

    async def take() -> None:
        connection = await pool.take()
        assert connection.transactions == 0 and pool.opened == 2
        await pool.give_back(connection)
        await pool.close()

    smtp_loop.run(take())


def test_the_rate_limit_spaces_parallel_sends(harness, app: Flask, counting_server: CountingMailServer) -> None:  # noqa: ANN001
    _flow_id, contacts = pending_welcomes(harness, 30)
    settings = dataclasses.replace(settings_for(app, counting_server), connections=4, rate=10.0)
    sender = deliverer(harness, settings)
    assert sender.rate is not None and sender.rate.interval == pytest.approx(0.1)
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    sender.rate = SendRate(10.0, clock=lambda: 0.0, sleep=wait)  # virtual time that does not move
    assert sender.deliver_due() == 30
    # With time standing still, every send after the first books the next slot 0.1 s later, whichever session.
    assert sorted(waits) == pytest.approx([n / 10 for n in range(1, 30)])
    assert len(counting_server.messages) == 30


def test_a_send_rate_lets_one_send_through_per_interval_and_saves_up_no_burst() -> None:
    now = [100.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    rate = SendRate(4.0, clock=lambda: now[0], sleep=sleep)

    async def acquire(times: int) -> None:
        for _ in range(times):
            await rate.acquire()

    smtp_loop.run(acquire(9))
    assert now[0] == pytest.approx(102.0)  # 9 sends at 4/s: the first at once, 8 intervals of 0.25 s
    now[0] += 60  # a minute idle saves up nothing
    smtp_loop.run(acquire(2))
    assert now[0] == pytest.approx(162.25)
    with pytest.raises(ValueError, match="above 0"):
        SendRate(0)


def test_the_written_email_encodes_what_is_not_ascii_and_refuses_header_injection() -> None:
    settings = _settings()
    rendered = RenderedEmail("Привет, Zoë — your cart " + "x" * 80, "", "<p>Hallo Zoë</p>", "Hallo Zoë")
    raw = compose_email(settings, rendered, "zoe@example.com", recipient_name="Zoë Ñ", from_name="Shöp",
                        reply_to="Support <help@shop.example>, sales@shop.example", message_id="<m-1@automap.test>",
                        unsubscribe_url="https://automap.example/t/u/" + "a" * 120)
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    email = message_from_bytes(raw, policy=policy.default)
    assert email["Subject"] == rendered.subject
    assert email["From"].addresses[0].display_name == "Shöp"
    assert email["To"].addresses[0].display_name == "Zoë Ñ"
    assert [a.addr_spec for a in email["Reply-To"].addresses] == ["help@shop.example", "sales@shop.example"]
    assert email["List-Unsubscribe"] == "<https://automap.example/t/u/" + "a" * 120 + ">"
    assert email.get_body(("plain",)).get_content().strip() == "Hallo Zoë"
    assert email.get_body(("html",)).get_content().strip() == "<p>Hallo Zoë</p>"
    with pytest.raises(ValueError, match="line break"):
        compose_email(settings, RenderedEmail("Hi\r\nBcc: everyone@example.com", "", "", ""), "zoe@example.com")
    with pytest.raises(UnicodeEncodeError):
        compose_email(settings, rendered, "zoë@exämple.com")


def test_each_delivered_email_carries_its_own_message_id(
        harness, app: Flask, counting_server: CountingMailServer) -> None:  # noqa: ANN001
    _flow_id, contacts = pending_welcomes(harness, 3)
    settings = settings_for(app, counting_server)
    assert deliverer(harness, settings).deliver_due() == 3
    ids = [message.id for contact in contacts for message in harness.messages(contact)]
    assert sorted(email["Message-ID"] for email in counting_server.messages) == sorted(
        f"<message-{message_id}@automap.test>" for message_id in ids)


def _settings() -> EmailSettings:
    return EmailSettings(None, "shop@automap.test", Tracking("test-secret-key", "http://127.0.0.1:5000"))
