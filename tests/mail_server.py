"""A real SMTP server for tests: aiosmtpd on a free local port, keeping every message it accepts."""
from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """Starts, stops and restarts an aiosmtpd server on one port; `messages` holds what it accepted.

    `on_rcpt` and `on_data` run when a recipient or a message's content arrives, before
    the server answers (a test kills a worker there to crash it before or mid-hand-over).
    It offers PIPELINING, as the servers a deployment sends through do, unless `pipelining` is False.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.on_data: Callable[[], None] | None = None
        self.on_rcpt: Callable[[], None] | None = None
        self.rcpt_reply: str | None = None  # e.g. "550 No such user": refuse every recipient
        self.data_reply: str | None = None  # e.g. "451 Try again later": refuse every message's content
        self.pipelining = True
        self.accounts: dict[str, str] = {}  # user → password: when set, mail needs a login (AUTH over plain TCP)
        self.auth_offered = ("PLAIN", "LOGIN")
        self.tls_context: ssl.SSLContext | None = None  # when set: STARTTLS required, or TLS from the start
        self.implicit_tls = False
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          options: list[str]) -> str:
        if self.on_rcpt is not None:
            self.on_rcpt()
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.on_data is not None:
            self.on_data()
        if self.data_reply:
            return self.data_reply
        with self._lock:
            self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        accepted = (isinstance(auth_data, LoginPassword)
                    and self.accounts.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=accepted, handled=False)  # aiosmtpd answers 235 or 535 itself

    def start(self) -> None:
        login: dict[str, Any] = {}
        if self.accounts:
            login = {"authenticator": self.authenticate, "auth_required": True, "auth_require_tls": False,
                     "auth_exclude_mechanism": [name for name in ("PLAIN", "LOGIN") if name not in self.auth_offered]}
        tls: dict[str, Any] = {}
        if self.tls_context is not None:
            tls = {"ssl_context": self.tls_context} if self.implicit_tls else \
                {"tls_context": self.tls_context, "require_starttls": True}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **login, **tls)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
