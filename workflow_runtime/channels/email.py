"""The email channel: renders the ledger's pending emails and hands them to SMTP through the claim protocol."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from nodes.personalisation import contact_variables
from workflow_runtime.channels import delivery
from workflow_runtime.channels.chat_forward import render_forward
from workflow_runtime.channels.delivery import Claim, RetryPolicy
from workflow_runtime.channels.email_render import EmailContentError, RenderedEmail, render_email, source_of
from workflow_runtime.channels.reply_address import ReplyAddresses
from workflow_runtime.channels.smtp import SmtpConnection, SmtpRejected, SmtpRetry, SmtpServer, SmtpUnknown
from workflow_runtime.channels.tracking import Tracking
from workflow_runtime.storage.models import Channel, Contact, DeliveryState, Message, Run

log = logging.getLogger(__name__)
CLAIM_BATCH = 50  # emails per claim: one SMTP session sends them all
HELD = (DeliveryState.SENDING, DeliveryState.SUBMITTING)


@dataclass(frozen=True)
class EmailSettings:
    """What sending email needs: the server, the sender address, how links are signed and reached, and the
    reply addresses of forwarded chat messages (None: forwarded chats carry no Reply-To)."""

    smtp: SmtpServer | None
    mail_from: str
    tracking: Tracking
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    replies: ReplyAddresses | None = None


def build_email(settings: EmailSettings, rendered: RenderedEmail, recipient: str, *, recipient_name: str | None = None,
                from_name: str | None = None, reply_to: str | None = None, message_id: str | None = None,
                unsubscribe_url: str | None = None) -> EmailMessage:
    """A multipart/alternative email (text, then HTML) with one-click unsubscribe headers when given a URL."""
    email = EmailMessage()
    email["Subject"] = rendered.subject
    email["From"] = formataddr((from_name, settings.mail_from)) if from_name else settings.mail_from
    email["To"] = formataddr((recipient_name, recipient)) if recipient_name else recipient
    if reply_to:
        email["Reply-To"] = reply_to
    if message_id:
        email["Message-ID"] = message_id
    if unsubscribe_url:
        email["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    return email


def send_now(server: SmtpServer, email: EmailMessage, sender: str, to: str) -> None:
    """Hand one email to the SMTP server at once, outside the ledger: a test send a person waits for.

    Raises:
        SmtpFailure: the server could not be reached or refused the email.
    """
    with server.connect() as connection:
        connection.send(email, sender, to, before_data=lambda: True)


def render_for_contact(session: Session, settings: EmailSettings, message: Message, contact: Contact) -> EmailMessage:
    """Render a ledger email for its contact: personalised, tracked, with its unsubscribe link."""
    run = session.get(Run, message.run_id) if message.run_id is not None else None
    trigger = (run.context or {}).get("trigger", {}) if run is not None else {}
    variables = contact_variables(contact.builtin_fields(), contact.properties or {}, trigger)
    links = settings.tracking.links_for(message.id)
    content: dict[str, Any] = message.content
    if content.get("forwards") == Channel.CHAT.value:  # a send_chat node's forwarding of an unread chat message
        forwarded = render_forward(session, message, variables, links, settings.replies)
        rendered, from_name, reply_to = forwarded.email, forwarded.sender, forwarded.reply_to
    else:
        rendered = render_email(source_of(session, content), variables, links)
        from_name, reply_to = content.get("from_name"), content.get("reply_to")
    domain = Address(addr_spec=settings.mail_from).domain or "automap.invalid"
    return build_email(settings, rendered, contact.email or "", recipient_name=contact.name,
                       from_name=from_name, reply_to=reply_to,
                       message_id=f"<message-{message.id}@{domain}>", unsubscribe_url=links.unsubscribe_url)


class EmailDeliverer:
    """Delivers the due emails of the ledger: claim a batch, send it over one SMTP session, repeat."""

    channel = Channel.EMAIL

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime], server: SmtpServer,
                 settings: EmailSettings) -> None:
        self.sessions = sessions
        self.now = now
        self.server = server
        self.settings = settings

    def deliver_due(self) -> int:
        """Deliver every due email; returns how many the server accepted."""
        sent = 0
        while True:
            with self.sessions.begin() as session:
                delivery.fail_interrupted(session, self.channel, self.now())
                claims = delivery.claim(session, self.channel, self.now(), CLAIM_BATCH)
            if not claims:
                return sent
            sent += self._send_batch(claims)

    def _send_batch(self, claims: list[Claim]) -> int:
        try:
            with self.server.connect() as connection:
                return sum(self._send_one(connection, held) for held in claims)
        except SmtpRetry as error:  # the server cannot be reached: the whole batch waits for its next try
            for held in claims:
                self._retry(held, str(error))
            return 0

    def _send_one(self, connection: SmtpConnection, held: Claim) -> int:
        """Render and send one claimed email; 1 if the server accepted it."""
        with self.sessions.begin() as session:
            message = session.get(Message, held.message_id)
            contact = session.get(Contact, message.contact_id) if message is not None else None
            if message is None or contact is None or message.attempts != held.attempt:
                return 0
            if contact.unsubscribed_at is not None:
                delivery.withdrawn(message, self.now(), "the contact unsubscribed before it was delivered")
                return 0
            if not contact.email:
                delivery.failed(session, message, self.now(), "the contact has no email address")
                return 0
            try:
                email = render_for_contact(session, self.settings, message, contact)
            except EmailContentError as error:
                delivery.failed(session, message, self.now(), str(error))
                return 0
            except Exception as error:  # noqa: BLE001 - one malformed email (an address the email package
                # refuses, …) must fail alone, not crash every retry of the batch it is in
                log.exception("email message %s cannot be built", message.id)
                delivery.failed(session, message, self.now(), f"the email cannot be built: {error}")
                return 0
            recipient = contact.email
        try:
            sent = connection.send(email, self.settings.mail_from, recipient,
                                   before_data=lambda: self._start_submitting(held))
        except SmtpRetry as error:
            self._retry(held, str(error))
            return 0
        except (SmtpRejected, SmtpUnknown) as error:
            reason = str(error)
            self._settle(held, lambda session, message: delivery.failed(session, message, self.now(), reason))
            return 0
        if not sent:
            return 0
        self._settle(held, lambda session, message: delivery.delivered(session, message, self.now()))
        return 1

    def _start_submitting(self, held: Claim) -> bool:
        with self.sessions.begin() as session:
            return delivery.start_submitting(session, held, self.now())

    def _settle(self, held: Claim, outcome: Callable[[Session, Message], None]) -> None:
        with self.sessions.begin() as session:
            message = session.get(Message, held.message_id)
            if message is not None:
                outcome(session, message)

    def _retry(self, held: Claim, error: str) -> None:
        """Put a claim still held by this attempt back for a retry after the backoff (the server did not keep it)."""
        with self.sessions.begin() as session:
            message = session.get(Message, held.message_id)
            if message is not None and message.attempts == held.attempt and message.delivery_state in HELD:
                delivery.retry_later(session, message, self.now(), error, self.settings.retry)
