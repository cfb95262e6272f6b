"""Email answers to forwarded chat messages: verified, cut to their new text, kept in the same conversation.

Both inbound paths — the webhook an email provider calls (`POST /inbound/email`) and the SMTP
server (`automap inbound-smtp`) — hand the raw RFC 822 message and its envelope recipients to
`receive_reply`. The reply address (`workflow_runtime.channels.reply_address`) names the chat
message; the answer is stored as a reply from the `email` source, counted `replied` at the
chat's send node, and announced after the commit to the contact's open widget streams, so the
visitor finds the dialog on the site, and to the team's inboxes, so the operator sees it at once. A refused email raises `InboundRefused` naming the
problem before anything is written. The same email delivered twice (by its Message-ID) is kept once.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from email.utils import getaddresses
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflow_runtime.channels import onsite, onsite_push
from workflow_runtime.channels.process import Process
from workflow_runtime.channels.reply_address import BadReplyAddress, ReplyAddresses
from workflow_runtime.channels.reply_text import UnreadableEmail, reply_text
from workflow_runtime.storage.models import Channel, Message, Reply, ReplySource

# A chat answer is text: 1 MB holds it with its quoted history, HTML and a small attachment
# (attachments are not kept). Larger emails are refused before they are parsed.
MAX_EMAIL_BYTES = 1024 * 1024
_ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


class InboundProblem(str, enum.Enum):
    """Why an email answer was refused: too_large (the email or its new text), malformed (not an email, or
    undecodable), no_reply_address (not sent to a reply address of this server), forged (a reply address
    this server did not sign), unknown_message (the chat message is gone), empty (no new text)."""

    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    NO_REPLY_ADDRESS = "no_reply_address"
    FORGED = "forged"
    UNKNOWN_MESSAGE = "unknown_message"
    EMPTY = "empty"


class InboundRefused(ValueError):
    """The email is not taken; `problem` says why, the message says it as a sentence."""

    def __init__(self, problem: InboundProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class ReceivedReply:
    """An answer kept in its conversation: the reply as the widget shows it, and whether it was already there."""

    contact_id: int
    message_id: int
    reply: dict[str, Any]
    duplicate: bool


def parse_email(raw: bytes) -> EmailMessage:
    """The raw message parsed; InboundRefused if it is too large or has no header at all (not an email)."""
    if len(raw) > MAX_EMAIL_BYTES:
        raise InboundRefused(InboundProblem.TOO_LARGE,
                             f"the email is {len(raw)} bytes; at most {MAX_EMAIL_BYTES} are taken")
    message = BytesParser(policy=default).parsebytes(raw)
    if not message.keys():
        raise InboundRefused(InboundProblem.MALFORMED, "the body is not an RFC 822 email: it has no headers")
    return message  # type: ignore[return-value]  # policy.default builds EmailMessage


def chat_message_of(replies: ReplyAddresses, recipients: Iterable[str]) -> int:
    """The chat message the first reply address among `recipients` names; InboundRefused if none does or it is forged."""
    ours = [address for address in recipients if replies.is_ours(address)]
    if not ours:
        raise InboundRefused(InboundProblem.NO_REPLY_ADDRESS,
                             f"none of the recipients is a reply address (reply+…@{replies.domain})")
    try:
        return replies.read(ours[0])
    except BadReplyAddress as error:
        raise InboundRefused(InboundProblem.FORGED, str(error)) from error


def receive_reply(current: Process, replies: ReplyAddresses, raw: bytes,
                  envelope_recipients: Iterable[str] = ()) -> ReceivedReply:
    """Keep the answer in `raw` in the conversation of the chat message its reply address names.

    The envelope recipients (SMTP RCPT TO, a provider's `recipient` field) come first; without
    them the To, Cc and delivery headers are searched.
    """
    email = parse_email(raw)
    recipients = [*envelope_recipients, *(address for _name, address in getaddresses(
        [str(value) for header in _ADDRESS_HEADERS for value in email.get_all(header, [])]))]
    message_id = chat_message_of(replies, recipients)
    try:
        text = reply_text(email)
    except UnreadableEmail as error:
        raise InboundRefused(InboundProblem.MALFORMED, str(error)) from error
    if not text:
        raise InboundRefused(InboundProblem.EMPTY, "the email holds no new text above the quoted message")
    if len(text) > onsite.MAX_REPLY_CHARACTERS:
        # Only the start of a long text is read (reply_text's bounds): its length is not known in full.
        raise InboundRefused(InboundProblem.TOO_LARGE, "the answer is too long for the chat, which takes "
                             f"at most {onsite.MAX_REPLY_CHARACTERS} characters")
    external_id = (str(email.get("Message-ID", "")).strip() or None)
    external_id = external_id[:255] if external_id else None
    try:
        received, written = _store(current, message_id, text, external_id)
    except IntegrityError:  # the same email, delivered twice at the same moment: the other copy won
        received, written = _store(current, message_id, text, external_id)
    if written is not None:
        onsite_push.contact_wrote(current, written)
    return received


def _store(current: Process, message_id: int, text: str,
           external_id: str | None) -> tuple[ReceivedReply, onsite.ContactMessage | None]:
    with current.sessions.begin() as session:
        message = session.get(Message, message_id)
        if message is None or message.channel is not Channel.CHAT:
            raise InboundRefused(InboundProblem.UNKNOWN_MESSAGE, f"there is no chat message {message_id} any more")
        if external_id is not None:
            known = session.scalar(select(Reply).where(Reply.message_id == message_id,
                                                       Reply.external_id == external_id))
            if known is not None:
                return ReceivedReply(message.contact_id, message_id, onsite.reply_view(known), duplicate=True), None
        written = onsite.reply(session, message.contact_id, message_id, text, current.clock.now(),
                               source=ReplySource.EMAIL, external_id=external_id)
        return ReceivedReply(message.contact_id, message_id, written.view, duplicate=False), written
