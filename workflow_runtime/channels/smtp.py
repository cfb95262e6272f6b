"""Handing emails to an SMTP server, telling apart failures worth a retry from ones that may have sent it.

Until the message's final line is sent, a failure means the server does not have it:
a refused connection, a 4xx reply — retry later (`SmtpRetry`); a 5xx reply — give up
(`SmtpRejected`); a connection that drops before then (`SmtpDropped`) may be retried at once on
a new one. Once the message is being transmitted, a dropped connection leaves it
unknown whether the server kept it (`SmtpUnknown`); the caller marks that moment
through `before_data`, so a crash there is recognised afterwards too.

The client speaks SMTP over asyncio streams, so one thread keeps dozens of sessions busy
(`smtp_loop`): the commands it needs (EHLO/HELO, STARTTLS, AUTH PLAIN or LOGIN, MAIL, RCPT,
DATA, RSET, NOOP, QUIT), MAIL, RCPT and DATA pipelined when the server offers it (RFC 2920). Measured
against bench/smtp_sink.py with pre-built emails over 16 sessions: smtplib in a thread per
session took 0.41 ms of CPU an email (26 context switches: every reply hands the GIL over),
aiosmtplib 0.44 ms (a timeout and a parse per command, dot-stuffing line by line), these
streams 0.05 ms.
"""
from __future__ import annotations

import asyncio
import base64
import re
import smtplib
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from functools import cache
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TRUE = ("1", "true", "yes", "on")
# An address without a display name, quotes, comments or spaces: sent as it is, without parsing it.
_PLAIN_ADDRESS = re.compile(r"[^\s<>()\[\]\\,;:\"@]+@[^\s<>()\[\]\\,;:\"@]+")
_LINE_END = re.compile(rb"\r\n|\n|\r")
QUIT_WAIT = 2.0  # seconds a closing session waits for the server's goodbye


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

    async def open(self) -> SmtpConnection:
        """A new open, authenticated session; SmtpUnreachable (a retry) if the server cannot be reached."""
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=ssl.create_default_context() if self.implicit_tls else None)
                # Commands and data go out in small writes: without this, Nagle's algorithm meets the
                # server's delayed ACK and every email waits ~40 ms.
                writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                connection = SmtpConnection(reader, writer, self.timeout)
                await connection.greet(self)
        except (OSError, SmtpFailure) as error:
            if writer is not None:
                writer.close()
            raise SmtpUnreachable(f"cannot reach the SMTP server {self.host}:{self.port}: {_why(error)}") from error
        return connection

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[SmtpConnection]:
        """An open session for sending several emails, closed afterwards; SmtpRetry if the server cannot be reached."""
        connection = await self.open()
        try:
            yield connection
        finally:
            await connection.close()


class SmtpConnection:
    """One SMTP session; `send` runs one mail transaction on it. `broken` once the connection failed (close it);
    `opened_at`, `last_used` (time.monotonic) and `transactions` let a pool retire it. Every exchange with the
    server is bounded by the server's `timeout`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self._reader = reader
        self._writer = writer
        self._timeout = timeout
        self.pipelining = False  # the server takes MAIL, RCPT and DATA in one write
        self.broken = False
        self.transactions = 0
        self.opened_at = self.last_used = time.monotonic()

    async def greet(self, server: SmtpServer) -> None:
        """The session's start: the server's greeting, EHLO (HELO for an old server), STARTTLS and AUTH as `server`
        asks; SmtpFailure or OSError if any step is refused."""
        self._expect_quietly(await self._reply(), (220,))
        extensions = await self._hello()
        if server.starttls:
            if "starttls" not in extensions:
                raise SmtpRetry("the server does not offer STARTTLS")
            self._expect_quietly(await self._command(b"STARTTLS"), (220,))
            await self._writer.start_tls(ssl.create_default_context(), server_hostname=server.host)
            extensions = await self._hello()
        if server.username:
            await self._log_in(extensions.get("auth", "").upper().split(), server.username, server.password or "")
        self.pipelining = server.pipelining and "pipelining" in extensions

    async def send(self, message: EmailMessage | bytes, sender: str, recipient: str,
                   before_data: Callable[[], Awaitable[bool]] | None = None) -> bool:
        """Send `message` (an EmailMessage, or its bytes); True if sent.

        MAIL, RCPT and DATA go out together when the server allows pipelining (RFC 2920), so one round trip
        brings the server to wait for the message. `before_data` (if given) runs then; returning False (someone
        else took the message over) or raising abandons the transaction by closing the connection, the one way
        to end it past DATA without sending a message (the session is `broken` afterwards).
        """
        self.transactions += 1
        self.last_used = time.monotonic()
        try:
            commands = [b"MAIL FROM:" + _path(sender), b"RCPT TO:" + _path(recipient), b"DATA"]
        except ValueError as error:
            raise SmtpRejected(str(error)) from error
        try:
            async with asyncio.timeout(self._timeout):
                mail, rcpt, data = await self._exchange(commands)
        except OSError as error:
            self.broken = True
            raise SmtpDropped(f"the SMTP server dropped the connection: {_why(error)}") from error
        for reply, accepted in ((mail, (250,)), (rcpt, (250, 251)), (data, (354,))):
            if reply[0] not in accepted:
                if data[0] == 354:  # a server waiting for a message with no one to send it to
                    self._abandon()
                else:
                    await self._reset()
                raise _by_code(*reply)
        try:
            go = await before_data() if before_data is not None else True
        except BaseException:
            self._abandon()
            raise
        if not go:
            self._abandon()
            return False
        try:
            async with asyncio.timeout(self._timeout):
                self._writer.write(_wire(message if isinstance(message, bytes) else message.as_bytes(policy=SMTP)))
                await self._writer.drain()
                code, text = await self._reply()
        except OSError as error:
            self.broken = True
            raise SmtpUnknown(f"the connection broke while the message was being sent: {_why(error)}") from error
        if code != 250:
            raise _by_code(code, text)
        return True

    async def healthy(self) -> bool:
        """True if the server still answers NOOP (a pooled session idle for a while may have been closed)."""
        try:
            async with asyncio.timeout(self._timeout):
                code, _text = await self._command(b"NOOP")
        except OSError:
            code = 0
        self.broken = self.broken or code != 250
        return not self.broken

    async def close(self) -> None:
        """End the session politely (QUIT), or just drop the connection if that fails."""
        try:
            if not self.broken:
                async with asyncio.timeout(min(self._timeout, QUIT_WAIT)):
                    await self._command(b"QUIT")
        except OSError:
            pass
        finally:
            self._writer.close()

    async def _hello(self) -> dict[str, str]:
        """EHLO, or HELO if the server does not know it; the extensions it offers, by lower-case name."""
        code, text = await self._command(b"EHLO " + _local_name())
        if code == 250:
            lines = text.decode("ascii", errors="replace").split("\n")[1:]
            return {name.lower(): value for name, _, value in (line.partition(" ") for line in lines)}
        self._expect_quietly(await self._command(b"HELO " + _local_name()), (250,))
        return {}

    async def _log_in(self, methods: list[str], username: str, password: str) -> None:
        """AUTH PLAIN, or LOGIN where the server offers only that; SmtpFailure if refused or neither is offered."""
        if "PLAIN" in methods:
            token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
            self._expect_quietly(await self._command(f"AUTH PLAIN {token}".encode("ascii")), (235,))
        elif "LOGIN" in methods:
            self._expect_quietly(await self._command(b"AUTH LOGIN"), (334,))
            self._expect_quietly(await self._command(base64.b64encode(username.encode())), (334,))
            self._expect_quietly(await self._command(base64.b64encode(password.encode())), (235,))
        else:
            raise SmtpRetry(f"the server offers no login this client speaks (PLAIN, LOGIN): {' '.join(methods) or 'none'}")

    async def _command(self, command: bytes) -> tuple[int, bytes]:
        self._writer.write(command + b"\r\n")
        return await self._reply()

    async def _exchange(self, commands: list[bytes]) -> list[tuple[int, bytes]]:
        """Send SMTP commands and read their replies: all at once when the server allows pipelining (RFC 2920), else
        one after the other."""
        if self.pipelining:
            self._writer.write(b"".join(command + b"\r\n" for command in commands))
            return [await self._reply() for _command in commands]
        return [await self._command(command) for command in commands]

    async def _reply(self) -> tuple[int, bytes]:
        """The server's next reply: its code and its text (the lines of a multi-line reply joined by newlines);
        ConnectionError if the connection closed or the reply is not SMTP."""
        lines: list[bytes] = []
        while True:
            try:
                line = await self._reader.readline()
            except ValueError as error:  # a line past the stream's limit (64 KiB)
                raise ConnectionError(f"the server's reply is not SMTP: {error}") from error
            if not line.endswith(b"\n"):
                raise ConnectionError("the server closed the connection")
            lines.append(line[4:].rstrip(b"\r\n"))
            if line[3:4] != b"-":
                break
        code = line[:3]
        if not code.isdigit():
            raise ConnectionError(f"the server's reply is not SMTP: {line[:80]!r}")
        return int(code), b"\n".join(lines)

    async def _reset(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                code, _text = await self._command(b"RSET")
        except OSError:
            code = 0
        self.broken = self.broken or code != 250

    def _abandon(self) -> None:
        """End a transaction past DATA without a message: close the connection (the server drops what it had)."""
        self.broken = True
        self._writer.close()

    @staticmethod
    def _expect_quietly(reply: tuple[int, bytes], accepted: tuple[int, ...]) -> None:
        """A step of the session's start: a refusal is raised as it is (the session is not used)."""
        if reply[0] not in accepted:
            raise _by_code(*reply)


def _why(error: BaseException) -> str:
    """What went wrong, for a failure's message: a time-out says so (its own text is empty)."""
    return "no answer in time" if isinstance(error, TimeoutError) else str(error) or type(error).__name__


@cache
def _local_name() -> bytes:
    """The name this host gives in EHLO: its fully qualified name, or an address literal, as smtplib does."""
    name = socket.getfqdn()
    if "." in name and name.isascii():
        return name.encode("ascii")
    try:
        return f"[{socket.gethostbyname(socket.gethostname())}]".encode("ascii")
    except OSError:
        return b"[127.0.0.1]"


def _path(address: str) -> bytes:
    """An envelope address as MAIL and RCPT take it, `<address>`; ValueError for one this sender cannot use."""
    if not address.isascii():
        raise ValueError(f"the address {address!r} is not plain ASCII, which this sender cannot use")
    if "\r" in address or "\n" in address:
        raise ValueError(f"the address {address!r} holds a line break")
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>".encode("ascii")
    return smtplib.quoteaddr(address).encode("ascii")  # `Name <address>` and other forms a person may have typed


class WireMessage(bytes):
    """A message's bytes already as SMTP sends them after DATA: every line ended by CRLF, none starting with a dot
    (what `email_mime` writes). Sent as they are: checking 14 kB for line ends and dots would cost the SMTP loop a
    sixth of its time an email."""


def _wire(data: bytes) -> bytes:
    """A message's data as sent after DATA: line ends CRLF, a leading dot doubled, then the lone dot.

    What smtplib does with two regular expressions over the whole message (a tenth of a millisecond for an
    email of 14 kB), done with byte counts and one replace when the message already ends its lines with
    CRLF; nothing but the lone dot for a WireMessage.
    """
    if isinstance(data, WireMessage):
        return data + b".\r\n"
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
