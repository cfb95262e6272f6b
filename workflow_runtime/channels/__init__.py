"""Delivering what the send nodes record in the message ledger, one deliverer per server-side channel.

A send node only writes a ledger row in its batch's transaction; after the commit a
`deliver_messages(channel)` job (and the scheduler's sweep, for anything a lost job or
a down server left behind) hands the channel's due messages over through the claim
protocol in `delivery`. Email is delivered here; a channel the browser fetches (chat,
popups) can use the same ledger states and claim protocol.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from workflow_runtime.models import Channel

if TYPE_CHECKING:
    from workflow_runtime.runtime import Runtime


class Deliverer(Protocol):
    """Hands a channel's due messages over; returns how many went out."""

    def deliver_due(self) -> int: ...


def deliverer_for(current: Runtime, channel: Channel) -> Deliverer | None:
    """The deliverer of `channel` in this runtime, or None if the server does not deliver it or is not set up to
    (no AUTOMAP_SMTP_URL: emails wait in the ledger until one is configured)."""
    if channel is Channel.EMAIL and _delivers_email(current):
        from workflow_runtime.channels.email import EmailDeliverer  # MJML and SMTP: only where email is sent

        return EmailDeliverer(current.sessions, current.clock.now, current.email.smtp, current.email)
    return None


def delivered_channels(current: Runtime) -> set[str]:
    """The channels this runtime delivers, by name (asked by every batch, so it imports nothing)."""
    return {Channel.EMAIL.value} if _delivers_email(current) else set()


def _delivers_email(current: Runtime) -> bool:
    return current.email is not None and current.email.smtp is not None
