"""Handing emails to an SMTP server, telling apart failures worth a retry from ones that may have sent it.

Until the message's final line is sent, a failure means the server does not have it:
a refused connection, a 4xx reply — retry later (`SmtpRetry`); a 5xx reply — give up
(`SmtpRejected`); a connection that drops before then (`SmtpDropped`) may be retried at once on
a new one. Once the message is being transmitted, a dropped connection leaves it
unknown whether the server kept it (`SmtpUnknown`); the caller marks that moment
through `before_data`, so a crash there is recognised afterwards too.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TRUE = ("1", "true", "yes", "on")


class SmtpFailure(Exception):
    """The server did not take the message."""


class SmtpRetry(SmtpFailure):
    """Not taken, for now (server down, 4xx): try again later."""


class SmtpUnreachable(SmtpRetry):
    """No session could be opened (refused, timed out, TLS or login failed): every email waits."""


class SmtpDropped(SmtpRetry):
    """The connection broke before the message was transmitted: the server does not have it."""


class SmtpRejected(SmtpFailure):
    """Refused for good (5xx): retrying would not help."""


class SmtpUnknown(SmtpFailure):
    """The connection broke while the message was transmitted: the server may have kept it."""


@dataclass(frozen=True)
class SmtpServer:
    """Where to send: `smtp://[user:password@]host[:port][?starttls=true]` or `smtps://…` (TLS from the start)."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse an SMTP URL; ValueError naming what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"AUTOMAP_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or url!r}")
        if not parts.hostname:
            raise ValueError("AUTOMAP_SMTP_URL names no host: smtp://host:port")
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            implicit_tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["false"])[0].lower() in TRUE,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def open(self) -> SmtpConnection:
        """A new open, authenticated session; SmtpRetry if the server cannot be reached."""
        try:
            client: smtplib.SMTP
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            # smtplib writes a message's commands and data in several small sends: without this, Nagle's
            # algorithm meets the server's delayed ACK and every email waits ~40 ms.
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.ehlo_or_helo_if_needed()
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise SmtpUnreachable(f"cannot reach the SMTP server {self.host}:{self.port}: {error}") from error
        return SmtpConnection(client)

    @contextmanager
    def connect(self) -> Iterator[SmtpConnection]:
        """An open session for sending several emails, closed afterwards; SmtpRetry if the server cannot be reached."""
        connection = self.open()
        try:
            yield connection
        finally:
            connection.close()


class SmtpConnection:
    """One SMTP session; `send` runs one mail transaction on it. `broken` once the connection failed (close it);
    `opened_at`, `last_used` (time.monotonic) and `transactions` let a pool retire it."""

    def __init__(self, client: smtplib.SMTP) -> None:
        self._client = client
        self.broken = False
        self.transactions = 0
        self.opened_at = self.last_used = time.monotonic()

    def send(self, message: EmailMessage | bytes, sender: str, recipient: str, before_data: Callable[[], bool]) -> bool:
        """Send `message` (an EmailMessage, or its bytes); `before_data` runs once the server accepted the envelope,
        and returning False aborts the transaction without sending (someone else took the message over). True if sent."""
        client = self._client
        self.transactions += 1
        self.last_used = time.monotonic()
        try:
            self._expect(client.mail(sender), (250,))
            self._expect(client.rcpt(recipient), (250, 251))
        except UnicodeEncodeError as error:  # smtplib speaks ASCII addresses only (no SMTPUTF8)
            self._reset()
            raise SmtpRejected(f"the address {recipient!r} is not plain ASCII, which this sender cannot use") from error
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.broken = True
            raise SmtpDropped(f"the SMTP server dropped the connection: {error}") from error
        try:
            go = before_data()
        except BaseException:
            self._reset()  # the caller's failure: end the mail transaction, so the session can be used again
            raise
        if not go:
            self._reset()
            return False
        try:
            client.data(message if isinstance(message, bytes) else message.as_bytes(policy=SMTP))
        except smtplib.SMTPDataError as error:  # a reply, so the server did not keep the message
            raise _by_code(error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.broken = True
            raise SmtpUnknown(f"the connection broke while the message was being sent: {error}") from error
        return True

    def healthy(self) -> bool:
        """True if the server still answers NOOP (a pooled session idle for a while may have been closed)."""
        try:
            code, _text = self._client.noop()
        except (OSError, smtplib.SMTPException):
            code = 0
        self.broken = self.broken or code != 250
        return not self.broken

    def close(self) -> None:
        """End the session politely (QUIT), or just drop the socket if that fails."""
        try:
            self._client.quit()
        except (OSError, smtplib.SMTPException):
            self._client.close()

    def _reset(self) -> None:
        try:
            self._client.rset()
        except (OSError, smtplib.SMTPException):
            self.broken = True

    def _expect(self, reply: tuple[int, bytes], accepted: tuple[int, ...]) -> None:
        code, text = reply
        if code not in accepted:
            self._reset()
            raise _by_code(code, text)


def _by_code(code: int, text: bytes | str) -> SmtpFailure:
    reason = text.decode(errors="replace") if isinstance(text, bytes) else text
    failure = SmtpRejected if 500 <= code < 600 else SmtpRetry
    return failure(f"the SMTP server answered {code} {reason}")
