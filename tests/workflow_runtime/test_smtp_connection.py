"""One SMTP session against a real server (aiosmtpd): the envelope pipelined when the server offers it (RFC 2920)
and sent a command at a time when it does not, or when the URL says not to; the data sent as smtplib would send it;
refusals raised as what they mean, and the session still usable after them."""
from __future__ import annotations

import re
import smtplib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.mail_server import MailServer
from workflow_runtime.channels.smtp import SmtpRejected, SmtpRetry, SmtpServer, _wire

SENDER = "shop@example.com"


def raw(number: int, body: str) -> bytes:
    return (f"From: {SENDER}\r\nTo: person{number}@example.com\r\nSubject: Note {number}\r\n\r\n{body}\r\n").encode()


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def server(request: pytest.FixtureRequest, mail_server: MailServer) -> MailServer:
    mail_server.pipelining = request.param
    return mail_server


def test_messages_arrive_as_written(server: MailServer) -> None:
    bodies = [".starts with a dot\r\n..two\r\nmiddle\r\n.", "plain", "ends\r\n.\r\nwith a lone dot line"]
    with SmtpServer.from_url(server.url).connect() as connection:
        assert connection.pipelining is server.pipelining
        for number, body in enumerate(bodies):
            assert connection.send(raw(number, body), SENDER, f"person{number}@example.com", lambda: True)
    assert [message.get_content().replace("\r\n", "\n") for message in server.messages] == [
        body.replace("\r\n", "\n") + "\n" for body in bodies]
    assert server.recipients == [[f"person{number}@example.com"] for number in range(3)]


def test_a_refused_recipient_is_refused_for_good_and_the_session_goes_on(server: MailServer) -> None:
    with SmtpServer.from_url(server.url).connect() as connection:
        server.rcpt_reply = "550 No such user"
        with pytest.raises(SmtpRejected, match="550 No such user"):
            connection.send(raw(1, "lost"), SENDER, "nobody@example.com", lambda: pytest.fail("no envelope: no data"))
        server.rcpt_reply = None
        assert connection.send(raw(2, "kept"), SENDER, "person2@example.com", lambda: True)
    assert server.recipients == [["person2@example.com"]]


def test_refused_content_is_retried_later_and_the_session_goes_on(server: MailServer) -> None:
    with SmtpServer.from_url(server.url).connect() as connection:
        server.data_reply = "451 Try again later"
        with pytest.raises(SmtpRetry, match="451 Try again later"):
            connection.send(raw(1, "later"), SENDER, "person1@example.com", lambda: True)
        server.data_reply = None
        assert connection.send(raw(2, "now"), SENDER, "person2@example.com", lambda: True)
    assert server.recipients == [["person2@example.com"]]


def test_a_transaction_the_caller_declines_sends_nothing(server: MailServer) -> None:
    with SmtpServer.from_url(server.url).connect() as connection:
        assert connection.send(raw(1, "taken over"), SENDER, "person1@example.com", lambda: False) is False
        assert connection.send(raw(2, "sent"), SENDER, "person2@example.com", lambda: True)
    assert server.recipients == [["person2@example.com"]]


def test_envelope_addresses(server: MailServer) -> None:
    with SmtpServer.from_url(server.url).connect() as connection:
        assert connection.send(raw(1, "named"), "Shop <shop@example.com>", "Ann Berg <ann@example.com>", lambda: True)
        for address in ("anné@example.com", "ann@example.com\r\nRCPT TO:<eve@example.com>"):
            with pytest.raises(SmtpRejected, match="not plain ASCII|line break"):
                connection.send(raw(2, "never"), SENDER, address, lambda: pytest.fail("refused before the envelope"))
        assert connection.send(raw(3, "after"), SENDER, "person3@example.com", lambda: True)
    assert server.recipients == [["ann@example.com"], ["person3@example.com"]]


def test_the_url_can_turn_pipelining_off(mail_server: MailServer) -> None:
    assert SmtpServer.from_url(mail_server.url).pipelining is True
    server = SmtpServer.from_url(f"{mail_server.url}?pipelining=false")
    with server.connect() as connection:
        assert (server.pipelining, connection.pipelining) == (False, False)
        assert connection.send(raw(1, "one at a time"), SENDER, "person1@example.com", lambda: True)
    assert len(mail_server.messages) == 1


@given(st.lists(st.sampled_from([b"a", b".", b"..", b"\r", b"\n", b"\r\n", b"x.y"]), max_size=30))
def test_the_data_is_sent_as_smtplib_sends_it_with_line_ends_made_crlf(parts: list[bytes]) -> None:
    data = b"".join(parts)
    sent = _wire(data)
    crlf = re.sub(rb"\r\n|\n|\r", b"\r\n", data)
    quoted = smtplib._quote_periods(crlf)  # noqa: SLF001 - what smtplib.SMTP.data sends, for CRLF data
    assert sent == (quoted if quoted.endswith(b"\r\n") else quoted + b"\r\n") + b".\r\n"
