"""One SMTP session against a real server (aiosmtpd): the envelope pipelined when the server offers it (RFC 2920)
and sent a command at a time when it does not, or when the URL says not to; the data sent as smtplib would send it;
refusals raised as what they mean, and the session still usable after them; AUTH PLAIN and LOGIN; a silent server
given up on after the time-out."""
from __future__ import annotations

import re
import smtplib
import socket
import ssl
import subprocess
import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.mail_server import MailServer
from workflow_runtime.channels import email_mime, smtp_loop
from workflow_runtime.channels.smtp import SmtpRejected, SmtpRetry, SmtpServer, SmtpUnreachable, WireMessage, _wire

SENDER = "shop@example.com"


def answer(go: bool) -> Callable[[], Awaitable[bool]]:
    """A `before_data` that lets the transaction go on, or declines it."""
    async def before_data() -> bool:
        return go
    return before_data


async def never() -> bool:
    pytest.fail("refused before the data: before_data must not run")


def raw(number: int, body: str) -> bytes:
    return (f"From: {SENDER}\r\nTo: person{number}@example.com\r\nSubject: Note {number}\r\n\r\n{body}\r\n").encode()


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def server(request: pytest.FixtureRequest, mail_server: MailServer) -> MailServer:
    mail_server.pipelining = request.param
    return mail_server


def test_messages_arrive_as_written(server: MailServer) -> None:
    bodies = [".starts with a dot\r\n..two\r\nmiddle\r\n.", "plain", "ends\r\n.\r\nwith a lone dot line"]

    async def session() -> None:
        async with SmtpServer.from_url(server.url).connect() as connection:
            assert connection.pipelining is server.pipelining
            for number, body in enumerate(bodies):
                assert await connection.send(raw(number, body), SENDER, f"person{number}@example.com", answer(True))

    smtp_loop.run(session())
    assert [message.get_content().replace("\r\n", "\n") for message in server.messages] == [
        body.replace("\r\n", "\n") + "\n" for body in bodies]
    assert server.recipients == [[f"person{number}@example.com"] for number in range(3)]


def test_a_refused_recipient_is_refused_for_good_and_the_session_goes_on(server: MailServer) -> None:
    async def session() -> None:
        async with SmtpServer.from_url(server.url).connect() as connection:
            server.rcpt_reply = "550 No such user"
            with pytest.raises(SmtpRejected, match="550 No such user"):
                await connection.send(raw(1, "lost"), SENDER, "nobody@example.com", never)
            server.rcpt_reply = None
            assert await connection.send(raw(2, "kept"), SENDER, "person2@example.com", answer(True))

    smtp_loop.run(session())
    assert server.recipients == [["person2@example.com"]]


def test_refused_content_is_retried_later_and_the_session_goes_on(server: MailServer) -> None:
    async def session() -> None:
        async with SmtpServer.from_url(server.url).connect() as connection:
            server.data_reply = "451 Try again later"
            with pytest.raises(SmtpRetry, match="451 Try again later"):
                await connection.send(raw(1, "later"), SENDER, "person1@example.com", answer(True))
            server.data_reply = None
            assert await connection.send(raw(2, "now"), SENDER, "person2@example.com", answer(True))

    smtp_loop.run(session())
    assert server.recipients == [["person2@example.com"]]


def test_a_transaction_the_caller_declines_sends_nothing(server: MailServer) -> None:
    async def failing() -> bool:
        raise RuntimeError("the ledger is down")

    async def session() -> None:
        for before_data in (answer(False), failing):  # the server already waits for the message: the session ends
            async with SmtpServer.from_url(server.url).connect() as connection:
                with pytest.raises(RuntimeError) if before_data is failing else nullcontext():
                    assert await connection.send(raw(1, "taken over"), SENDER, "person1@example.com",
                                                 before_data) is False
                assert connection.broken
        async with SmtpServer.from_url(server.url).connect() as connection:
            assert await connection.send(raw(2, "sent"), SENDER, "person2@example.com", answer(True))

    smtp_loop.run(session())
    assert server.recipients == [["person2@example.com"]]
    assert [message["Subject"] for message in server.messages] == ["Note 2"]


def test_envelope_addresses(server: MailServer) -> None:
    async def session() -> None:
        async with SmtpServer.from_url(server.url).connect() as connection:
            assert await connection.send(raw(1, "named"), "Shop <shop@example.com>", "Ann Berg <ann@example.com>", answer(True))
            for address in ("anné@example.com", "ann@example.com\r\nRCPT TO:<eve@example.com>"):
                with pytest.raises(SmtpRejected, match="not plain ASCII|line break"):
                    await connection.send(raw(2, "never"), SENDER, address, never)
            assert await connection.send(raw(3, "after"), SENDER, "person3@example.com", answer(True))

    smtp_loop.run(session())
    assert server.recipients == [["ann@example.com"], ["person3@example.com"]]


def test_the_url_can_turn_pipelining_off(mail_server: MailServer) -> None:
    assert SmtpServer.from_url(mail_server.url).pipelining is True
    server = SmtpServer.from_url(f"{mail_server.url}?pipelining=false")

    async def session() -> None:
        async with server.connect() as connection:
            assert (server.pipelining, connection.pipelining) == (False, False)
            assert await connection.send(raw(1, "one at a time"), SENDER, "person1@example.com", answer(True))

    smtp_loop.run(session())
    assert len(mail_server.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS", "ignore:Session.login_data is deprecated")
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_session_logs_in_with_what_the_server_offers(mail_server: MailServer, mechanism: str) -> None:
    mail_server.stop()
    mail_server.accounts = {"shop@example.com": "s3cret:pass"}
    mail_server.auth_offered = (mechanism,)
    mail_server.start()
    server = SmtpServer.from_url(f"smtp://shop%40example.com:s3cret%3Apass@127.0.0.1:{mail_server.port}")

    async def session() -> None:
        async with server.connect() as connection:
            assert await connection.send(raw(1, "signed in"), SENDER, "person1@example.com", answer(True))

    smtp_loop.run(session())
    assert mail_server.recipients == [["person1@example.com"]]
    wrong = SmtpServer.from_url(f"smtp://shop%40example.com:guess@127.0.0.1:{mail_server.port}")
    with pytest.raises(SmtpUnreachable, match="535"):  # a retry: the settings may be fixed before the next attempt
        smtp_loop.run(wrong.open())


@pytest.fixture()
def certificate(tmp_path: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (its key beside it, `.key`)."""
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "tls-from-the-start"])
def test_a_session_is_encrypted_as_the_url_says_and_trusts_only_a_verified_certificate(
        mail_server: MailServer, certificate: Path, monkeypatch: pytest.MonkeyPatch, implicit: bool) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, certificate.with_suffix(".key"))
    mail_server.stop()
    mail_server.tls_context, mail_server.implicit_tls = context, implicit  # STARTTLS: refused MAIL before it
    mail_server.start()
    url = f"smtps://127.0.0.1:{mail_server.port}" if implicit else f"smtp://127.0.0.1:{mail_server.port}?starttls=true"
    with pytest.raises(SmtpUnreachable, match="certificate verify failed"):  # not signed by a trusted authority
        smtp_loop.run(SmtpServer.from_url(url).open())
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # OpenSSL's default trust store, for this test

    async def session() -> None:
        async with SmtpServer.from_url(url).connect() as connection:
            assert await connection.send(raw(1, "encrypted"), SENDER, "person1@example.com", answer(True))

    smtp_loop.run(session())
    assert mail_server.recipients == [["person1@example.com"]]


def test_a_server_that_never_answers_is_given_up_on_after_the_time_out() -> None:
    with socket.socket() as silent:  # takes the connection (the kernel's backlog) and never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        server = SmtpServer("127.0.0.1", silent.getsockname()[1], timeout=0.3)
        started = time.monotonic()
        with pytest.raises(SmtpUnreachable, match="no answer in time"):
            smtp_loop.run(server.open())
        assert time.monotonic() - started < 5


@given(st.lists(st.sampled_from([b"a", b".", b"..", b"\r", b"\n", b"\r\n", b"x.y"]), max_size=30))
def test_the_data_is_sent_as_smtplib_sends_it_with_line_ends_made_crlf(parts: list[bytes]) -> None:
    data = b"".join(parts)
    sent = _wire(data)
    crlf = re.sub(rb"\r\n|\n|\r", b"\r\n", data)
    quoted = smtplib._quote_periods(crlf)  # noqa: SLF001 - what smtplib.SMTP.data sends, for CRLF data
    assert sent == (quoted if quoted.endswith(b"\r\n") else quoted + b"\r\n") + b".\r\n"


@given(st.text(), st.text(), st.text(), st.text(alphabet="a. é\r\n"))
def test_an_email_written_by_email_mime_is_sent_as_it_is(subject: str, name: str, text: str, html: str) -> None:
    """The MIME writer's bytes (a WireMessage) skip the line-end and dot checks: they would change nothing."""
    try:
        email = email_mime.alternative([("Subject", subject), ("To", email_mime.address(name, "ann@example.com"))],
                                       text, html)
    except ValueError:  # a line break in a header: refused before anything is sent
        return
    assert isinstance(email, WireMessage)
    assert _wire(email) == _wire(bytes(email))
