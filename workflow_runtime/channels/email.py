"""The email channel: renders the ledger's pending emails and hands them to SMTP through the claim protocol.

A delivery claims `CLAIM_BATCH` emails per connection and renders them on a thread of its own,
`RENDER_CHUNK` at a time, handing each chunk over as soon as it is rendered (`handoff`) to
`EmailSettings.connections` pooled SMTP sessions sending in parallel, paced by `EmailSettings.rate`:
coroutines on the process's SMTP event loop (`smtp_loop`), one thread for all of them. Each email
is still marked `submitting` in a commit before its message goes out, but those commits and the outcomes
recorded after the hand-over are shared between the sessions (`group_commit`, on a ledger thread),
so the database sees a few transactions per batch instead of three per email, and an accepted
email is recorded with the next commit, as soon as before.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache, partial
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nodes.personalisation import contact_variables
from workflow_runtime.channels import delivery, email_mime, smtp_loop
from workflow_runtime.channels.chat_forward import render_forward, seen_before_due
from workflow_runtime.channels.delivery import Claim, RetryPolicy
from workflow_runtime.channels.email_render import EmailContentError, RenderedEmail, render_email, source_of
from workflow_runtime.channels.group_commit import GroupCommit
from workflow_runtime.channels.handoff import Handoff
from workflow_runtime.channels.reply_address import ReplyAddresses
from workflow_runtime.channels.send_rate import rate_for
from workflow_runtime.channels.smtp import SmtpRejected, SmtpRetry, SmtpServer, SmtpUnknown, SmtpUnreachable
from workflow_runtime.channels.smtp_pool import SmtpLane, fan_out, pool_for
from workflow_runtime.channels.tracking import Tracking
from workflow_runtime.engine.counters import CounterBatch
from workflow_runtime.storage.bulk import Prepared
from workflow_runtime.storage.contact_rows import AnyContact, ContactRow, ContactRows
from workflow_runtime.storage.database import one_connection
from workflow_runtime.storage.message_rows import AnyMessage, MessageRow, MessageRows
from workflow_runtime.storage.models import Channel, DeliveryState, Run

log = logging.getLogger(__name__)
CLAIM_BATCH = 50  # emails claimed per SMTP connection at a time
RENDER_CHUNK = 50  # emails rendered in one transaction and handed to the sessions together
HELD = (DeliveryState.SENDING, DeliveryState.SUBMITTING)
DEFAULT_CONNECTIONS = 4


@dataclass(frozen=True)
class EmailSettings:
    """What sending email needs: the server, the sender address, how links are signed and reached, the
    reply addresses of forwarded chat messages (None: forwarded chats carry no Reply-To), and how many
    connections and emails a second a worker process uses (AUTOMAP_SMTP_CONNECTIONS, AUTOMAP_SMTP_RATE)."""

    smtp: SmtpServer | None
    mail_from: str
    tracking: Tracking
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    replies: ReplyAddresses | None = None
    connections: int = DEFAULT_CONNECTIONS  # SMTP sessions a worker process sends over in parallel
    rate: float | None = None  # emails per second per worker process; None: as fast as the server takes them


def compose_email(settings: EmailSettings, rendered: RenderedEmail, recipient: str, *,
                  recipient_name: str | None = None, from_name: str | None = None, reply_to: str | None = None,
                  message_id: str | None = None, unsubscribe_url: str | None = None) -> bytes:
    """A multipart/alternative email (text, then HTML) as the bytes SMTP sends, with one-click unsubscribe headers
    when given a URL; ValueError (UnicodeEncodeError for a non-ASCII address) if a header cannot be written."""
    headers = [("Subject", rendered.subject), ("From", _sender(from_name, settings.mail_from)),
               ("To", email_mime.address(recipient_name, recipient))]
    if reply_to:
        headers.append(("Reply-To", email_mime.address_list(reply_to, "Reply-To")))
    if message_id:
        headers.append(("Message-ID", message_id))
    if unsubscribe_url:
        headers += [("List-Unsubscribe", f"<{unsubscribe_url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    return email_mime.alternative(headers, rendered.text, rendered.html)


def build_email(settings: EmailSettings, rendered: RenderedEmail, recipient: str, **headers: str | None) -> EmailMessage:
    """`compose_email`'s email as an EmailMessage (a test send; deliveries send the bytes)."""
    return cast(EmailMessage, message_from_bytes(compose_email(settings, rendered, recipient, **headers), policy=SMTP))


def send_now(server: SmtpServer, email: EmailMessage, sender: str, to: str) -> None:
    """Hand one email to the SMTP server at once, outside the ledger: a test send a person waits for.

    Raises:
        SmtpFailure: the server could not be reached or refused the email.
    """
    async def send() -> None:
        async with server.connect() as connection:
            await connection.send(email, sender, to)

    smtp_loop.run(send())


def render_for_contact(session: Session, settings: EmailSettings, message: AnyMessage, contact: AnyContact,
                       trigger: Mapping[str, Any]) -> bytes:
    """Render a ledger email for its contact: personalised (with the `trigger` event of the run that sent it), tracked,
    with its unsubscribe link, as SMTP sends it."""
    variables = contact_variables(contact.builtin_fields(), contact.properties or {}, trigger)
    links = settings.tracking.links_for(message.id)
    content: dict[str, Any] = message.content
    if content.get("forwards") == Channel.CHAT.value:  # a send_chat node's forwarding of an unread chat message
        forwarded = render_forward(session, message, variables, links, settings.replies)
        rendered, from_name, reply_to = forwarded.email, forwarded.sender, forwarded.reply_to
    else:
        rendered = render_email(source_of(session, content), variables, links)
        from_name, reply_to = content.get("from_name"), content.get("reply_to")
    domain = _domain(settings.mail_from)
    return compose_email(settings, rendered, contact.email or "", recipient_name=contact.name,
                         from_name=from_name, reply_to=reply_to,
                         message_id=f"<message-{message.id}@{domain}>", unsubscribe_url=links.unsubscribe_url)


@lru_cache(maxsize=64)
def _sender(from_name: str | None, mail_from: str) -> str:
    """The From header of a node's emails, the same in each: written once, not per email."""
    return email_mime.address(from_name, mail_from)


@lru_cache(maxsize=16)
def _domain(mail_from: str) -> str:
    """The sender address's domain, the right-hand side of every Message-ID (parsed once, not per email)."""
    return Address(addr_spec=mail_from).domain or "automap.invalid"


@dataclass(frozen=True)
class Ready:
    """A claimed email, rendered and ready to hand over."""

    held: Claim
    email: bytes
    recipient: str


class EmailDeliverer:
    """Delivers the due emails of the ledger: claim a batch, render it, send it over the pooled sessions, until none
    is due."""

    channel = Channel.EMAIL

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime], server: SmtpServer,
                 settings: EmailSettings) -> None:
        self.sessions = sessions
        self.now = now
        self.server = server
        self.settings = settings
        self.pool = pool_for(server)
        self.rate = rate_for(server, settings.rate)
        self.connections = max(1, settings.connections)
        self.ledger: GroupCommit | None = None  # the last delivery's (tests read how many commits it made)

    def deliver_due(self) -> int:
        """Deliver every due email; returns how many the server accepted."""
        with (one_connection(self.sessions) as ledger_sessions,
              ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-render") as renderer,
              ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-ledger") as ledger):
            self.ledger = GroupCommit(ledger_sessions, ledger)
            return smtp_loop.run(self._deliver(self.ledger, renderer))

    async def _deliver(self, ledger: GroupCommit, renderer: ThreadPoolExecutor) -> int:
        """Send what the render thread claims and renders (`_produce`) over the pooled sessions as it comes."""
        loop = asyncio.get_running_loop()
        rendered: Handoff[Ready] = Handoff(loop, max(1, CLAIM_BATCH * self.connections // RENDER_CHUNK))  # in chunks
        unreachable: list[SmtpUnreachable] = []  # once a lane cannot connect, nothing more is claimed
        producing = loop.run_in_executor(renderer, self._produce, rendered, unreachable)
        try:
            return await fan_out(self.pool, self.connections, rendered.take, partial(self._send_item, ledger, unreachable))
        finally:
            rendered.close()
            await producing
            await ledger.flush()  # every outcome recorded before the job ends

    def _produce(self, rendered: Handoff[Ready], unreachable: list[SmtpUnreachable]) -> None:
        """Claim batch after batch and render it `RENDER_CHUNK` emails at a time, each chunk handed to the lanes as
        soon as it is ready; until nothing is due, the server proved unreachable or the lanes stopped taking."""
        try:
            with one_connection(self.sessions) as sessions:
                while not unreachable:
                    with sessions.begin() as session:
                        delivery.fail_interrupted(session, self.channel, self.now())
                        claims = delivery.claim(session, self.channel, self.now(), CLAIM_BATCH * self.connections)
                    if not claims:
                        return
                    for start in range(0, len(claims), RENDER_CHUNK):
                        if not rendered.put(self._render(sessions, claims[start:start + RENDER_CHUNK])):
                            return
        finally:
            rendered.end()

    def _render(self, sessions: sessionmaker[Session], claims: list[Claim]) -> list[Ready]:
        """Render the claimed emails in one transaction, settling those that cannot be sent; the rest, ready.

        The emails, their contacts and their runs' trigger events are read as plain rows (three queries a chunk).
        """
        ready: list[Ready] = []
        with sessions.begin() as session:
            emails = MessageRows()
            messages = emails.load(session, [held.message_id for held in claims])
            contacts = ContactRows().load(session, {message.contact_id for message in messages.values()})
            triggers = _triggers(session, {message.run_id for message in messages.values() if message.run_id is not None})
            for held in claims:
                message = messages.get(held.message_id)
                contact = contacts.get(message.contact_id) if message is not None else None
                if message is None or contact is None or message.attempts != held.attempt:
                    continue
                trigger = triggers.get(message.run_id, {}) if message.run_id is not None else {}
                email = self._render_one(session, message, contact, trigger)
                if email is not None:
                    ready.append(Ready(held, email, contact.email or ""))
            emails.write(session)  # those settled as not to be sent
        return ready

    def _render_one(self, session: Session, message: MessageRow, contact: ContactRow,
                    trigger: Mapping[str, Any]) -> bytes | None:
        """The email's bytes, or None once it is settled as not to be sent (unsubscribed, no address, bad content)."""
        if contact.unsubscribed_at is not None:
            delivery.withdrawn(message, self.now(), "the contact unsubscribed before it was delivered")
            return None
        if not contact.email:
            delivery.failed(session, message, self.now(), "the contact has no email address")
            return None
        try:
            if seen_before_due(session, message):
                delivery.withdrawn(message, self.now(), "the chat message was seen on the site before it was due")
                return None
            return render_for_contact(session, self.settings, message, contact, trigger)
        except EmailContentError as error:
            delivery.failed(session, message, self.now(), str(error))
        except Exception as error:  # noqa: BLE001 - one malformed email (an address the email package
            # refuses, …) must fail alone, not crash every retry of the batch it is in
            log.exception("email message %s cannot be built", message.id)
            delivery.failed(session, message, self.now(), f"the email cannot be built: {error}")
        return None

    async def _send_item(self, ledger: GroupCommit, unreachable: list[SmtpUnreachable], lane: SmtpLane,
                         item: Ready) -> int:
        """Pace and send one email, unless the server proved unreachable in this job; 1 if it was accepted."""
        if unreachable:
            self._retry(ledger, item.held, str(unreachable[0]))
            return 0
        if self.rate is not None:
            await self.rate.acquire()
        try:
            return await self._hand_over(ledger, lane, item)
        except SmtpUnreachable as error:
            unreachable.append(error)
            self._retry(ledger, item.held, str(error))
            return 0

    async def _hand_over(self, ledger: GroupCommit, lane: SmtpLane, item: Ready) -> int:
        """Send one email on the lane; 1 if the server accepted it. Its outcome is queued for the next commit."""
        held = item.held

        async def mark_submitting() -> bool:
            return await ledger.run(self._mark_submitting, held)

        try:
            sent = await lane.send(item.email, self.settings.mail_from, item.recipient, before_data=mark_submitting)
        except SmtpUnreachable:
            raise
        except SmtpRetry as error:
            self._retry(ledger, held, str(error))
            return 0
        except (SmtpRejected, SmtpUnknown) as error:
            reason = str(error)
            _settle(ledger, held, lambda session, message, counters: delivery.failed(
                session, message, self.now(), reason, counters))
            return 0
        if not sent:
            return 0
        _settle(ledger, held, lambda session, message, counters: delivery.delivered(
            session, message, self.now(), counters))
        return 1

    def _mark_submitting(self, session: Session, claims: Sequence[Claim]) -> list[bool]:
        """A group's emails about to be handed over, marked `submitting` in one statement."""
        return delivery.start_submitting_all(session, claims, self.now())

    def _retry(self, ledger: GroupCommit, held: Claim, error: str) -> None:
        """Queue a claim still held by this attempt for a retry after the backoff (the server did not keep it)."""
        def retry(session: Session, message: MessageRow, counters: CounterBatch) -> None:
            if message.attempts == held.attempt and message.delivery_state in HELD:
                delivery.retry_later(session, message, self.now(), error, self.settings.retry, counters)

        _settle(ledger, held, retry)


# What a hand-over's outcome does to its message, its counts added to the group's counters.
Outcome = Callable[[Session, MessageRow, CounterBatch], None]


def _settle(ledger: GroupCommit, held: Claim, outcome: Outcome) -> None:
    """Queue the outcome of a hand-over for the ledger's next commit."""
    ledger.add(_record_outcomes, (held, outcome))


_RUN_TRIGGERS = Prepared(lambda in_list: select(Run.id, Run.context).where(in_list(Run.id, "ids")))


def _triggers(session: Session, run_ids: set[int]) -> dict[int, Mapping[str, Any]]:
    """The trigger event of each run, by id: what its emails are personalised with besides the contact."""
    if not run_ids:
        return {}
    rows = session.connection().execute(*_RUN_TRIGGERS.bound(session, ids=run_ids))
    return {run_id: (context or {}).get("trigger", {}) for run_id, context in rows}


def _record_outcomes(session: Session, outcomes: Sequence[tuple[Claim, Outcome]]) -> list[None]:
    """A group's outcomes of hand-overs: their messages read (locked) in one query and written back in one statement,
    their counters in another."""
    rows = MessageRows()
    messages = rows.load_for_settling(session, [held.message_id for held, _outcome in outcomes])
    counters = CounterBatch()
    for held, outcome in outcomes:
        message = messages.get(held.message_id)
        if message is not None:
            outcome(session, message, counters)
    rows.write(session)
    counters.flush(session)
    return [None] * len(outcomes)
