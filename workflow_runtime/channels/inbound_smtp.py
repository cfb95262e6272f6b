"""`automap inbound-smtp`: an SMTP server (aiosmtpd) that takes email answers to forwarded chat messages.

Point the inbound domain's MX record at it (behind port 25). It accepts mail only for the
`reply+…@<inbound domain>` addresses this server signed — any other recipient is refused at
RCPT with 550, so it is never an open relay and a forged address costs the sender one line —
and one reply address per message (a second one gets 452, and the sending server delivers it
in a transaction of its own, as RFC 5321 has it). The content goes through the same
`workflow_runtime.channels.inbound_email.receive_reply` as the webhook; a refused answer is a 5xx
naming the problem, a failure of ours (the database away) a 451, so the sender tries again.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from workflow_runtime.channels.inbound_email import MAX_EMAIL_BYTES, InboundProblem, InboundRefused, receive_reply
from workflow_runtime.channels.process import Process
from workflow_runtime.channels.reply_address import BadReplyAddress, ReplyAddresses

log = logging.getLogger(__name__)

REFUSED = {
    InboundProblem.TOO_LARGE: "552 5.3.4",
    InboundProblem.MALFORMED: "550 5.6.0",
    InboundProblem.NO_REPLY_ADDRESS: "550 5.1.1",
    InboundProblem.FORGED: "550 5.7.1",
    InboundProblem.UNKNOWN_MESSAGE: "550 5.1.1",
    InboundProblem.EMPTY: "550 5.6.0",
}


class ReplyHandler:
    """aiosmtpd's handler: vet each recipient, then store the answer (in a thread: the database calls block)."""

    def __init__(self, current: Process, replies: ReplyAddresses) -> None:
        self.current = current
        self.replies = replies

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802 - aiosmtpd's name
                          options: list[str]) -> str:
        """Take a recipient only if it is a reply address this server signed; one per message."""
        if not self.replies.is_ours(address):
            return f"550 5.1.1 <{address}>: this server takes mail only for reply+…@{self.replies.domain}"
        try:
            self.replies.read(address)
        except BadReplyAddress:
            return f"550 5.7.1 <{address}>: not a reply address this server issued"
        if envelope.rcpt_tos:
            return "452 4.5.3 one reply address per message: send to the others separately"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        """Store the answer in its conversation; 250 once it is committed."""
        raw: bytes = envelope.original_content or b""
        try:
            received = await asyncio.get_running_loop().run_in_executor(
                None, receive_reply, self.current, self.replies, raw, list(envelope.rcpt_tos))
        except InboundRefused as refused:
            return f"{REFUSED[refused.problem]} {_one_line(str(refused))}"
        except Exception:  # noqa: BLE001 - our failure, not the sender's: it keeps the mail and tries again
            log.exception("an email answer to %s could not be stored", envelope.rcpt_tos)
            return "451 4.3.0 the answer could not be stored just now; try again later"
        return f"250 2.0.0 OK: answer to chat message {received.message_id} kept"


def _one_line(text: str) -> str:
    """An SMTP reply is one line of ASCII."""
    return " ".join(text.split()).encode("ascii", "replace").decode()


@contextmanager
def inbound_smtp_server(current: Process, replies: ReplyAddresses, host: str, port: int) -> Iterator[Controller]:
    """The SMTP server running in a thread while the context is open."""
    controller = Controller(ReplyHandler(current, replies), hostname=host, port=port,
                            server_hostname=replies.domain, data_size_limit=MAX_EMAIL_BYTES)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
