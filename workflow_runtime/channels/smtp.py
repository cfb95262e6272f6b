"""Handing emails to an SMTP server, telling apart failures worth a retry from ones that may have sent it.

Until the message's final line is sent, a failure means the server does not have it:
a refused connection, a 4xx reply — retry later (`SmtpRetry`); a 5xx reply — give up
(`SmtpRejected`); a connection that drops before then (`SmtpDropped`) may be retried at once on
a new one. Once the message is being transmitted, a dropped connection leaves it
unknown whether the server kept it (`SmtpUnknown`); the caller marks that moment
through `before_data`, so a crash there is recognised afterwards too.
"""
from __future__ import annotations

import re
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
# An address without a display name, quotes, comments or spaces: sent as it is, without parsing it.
_PLAIN_ADDRESS = re.compile(r"[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+")
_LINE_END = re.compile(rb"\r\n|\n|\r")


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
    """Where to send: `smtp://[user:password@]host[:port][?starttls=true]` or `smtps://…` (TLS from the start);
    `pipelining=false` sends each command after the last one's reply even to a server that offers pipelining."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    pipelining: bool = True  # when the server offers it; ?pipelining=false for one that offers it and fails at it

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
            pipelining=query.get("pipelining", ["true"])[0].lower() in TRUE,
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
        return SmtpConnection(client, pipelining=self.pipelining and client.has_extn("pipelining"))

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

    def __init__(self, client: smtplib.SMTP, pipelining: bool = False) -> None:
        self._client = client
        self.pipelining = pipelining  # the server takes MAIL and RCPT in one write
        self.broken = False
        self.transactions = 0
        self.opened_at = self.last_used = time.monotonic()

    def send(self, message: EmailMessage | bytes, sender: str, recipient: str, before_data: Callable[[], bool]) -> bool:
        """Send `message` (an EmailMessage, or its bytes); `before_data` runs once the server accepted the envelope,
        and returning False aborts the transaction without sending (someone else took the message over). True if sent."""
        self.transactions += 1
        self.last_used = time.monotonic()
        try:
            envelope = [b"MAIL FROM:" + _path(sender), b"RCPT TO:" + _path(recipient)]
        except ValueError as error:
            raise SmtpRejected(str(error)) from error
        try:
            mail, rcpt = self._exchange(envelope)
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.broken = True
            raise SmtpDropped(f"the SMTP server dropped the connection: {error}") from error
        self._expect(mail, (250,))
        self._expect(rcpt, (250, 251))
        try:
            go = before_data()
        except BaseException:
            self._reset()  # the caller's failure: end the mail transaction, so the session can be used again
            raise
        if not go:
            self._reset()
            return False
        try:
            [start] = self._exchange([b"DATA"])
            if start[0] != 354:  # a reply: the server has nothing of the message
                self._reset()
                raise _by_code(*start)
            self._client.sock.sendall(_wire(message if isinstance(message, bytes) else message.as_bytes(policy=SMTP)))
            code, text = self._client.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.broken = True
            raise SmtpUnknown(f"the connection broke while the message was being sent: {error}") from error
        if code != 250:
            raise _by_code(code, text)
        return True

    def _exchange(self, commands: list[bytes]) -> list[tuple[int, bytes]]:
        """Send SMTP commands and read their replies: all at once when the server allows pipelining (RFC 2920), else
        one after the other."""
        client = self._client
        if self.pipelining:
            client.sock.sendall(b"".join(command + b"\r\n" for command in commands))
            return [client.getreply() for _command in commands]
        replies = []
        for command in commands:
            client.sock.sendall(command + b"\r\n")
            replies.append(client.getreply())
        return replies

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


def _path(address: str) -> bytes:
    """An envelope address as MAIL and RCPT take it, `<address>`; ValueError for one this sender cannot use."""
    if not address.isascii():
        raise ValueError(f"the address {address!r} is not plain ASCII, which this sender cannot use")
    if "\r" in address or "\n" in address:
        raise ValueError(f"the address {address!r} holds a line break")
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>".encode("ascii")
    return smtplib.quoteaddr(address).encode("ascii")  # `Name <address>` and other forms a person may have typed


def _wire(data: bytes) -> bytes:
    """A message's data as sent after DATA: line ends CRLF, a leading dot doubled, then the lone dot.

    What smtplib does with two regular expressions over the whole message (a tenth of a millisecond for an
    email of 14 kB), done with byte counts and one replace when the message already ends its lines with
    CRLF, as the emails `email_mime` writes do.
    """
    line_ends = data.count(b"\r\n")
    if line_ends != data.count(b"\n") or line_ends != data.count(b"\r"):
        data = _LINE_END.sub(b"\r\n", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return (b"." if data.startswith(b".") else b"") + data.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def _by_code(code: int, text: bytes | str) -> SmtpFailure:
    reason = text.decode(errors="replace") if isinstance(text, bytes) else text
    failure = SmtpRejected if 500 <= code < 600 else SmtpRetry
    return failure(f"the SMTP server answered {code} {reason}")
