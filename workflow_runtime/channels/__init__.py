"""Channels: how a recorded message reaches the contact — email over SMTP, chat and popups in the widget —
and how answers come back (the widget, email replies, tracking links).

A send node only writes a ledger row in its batch's transaction; after the commit a
`deliver_messages(channel)` job (and the scheduler's sweep, for anything a lost job or
a down server left behind) hands the channel's due messages over through the claim
protocol in `delivery`. Email is delivered that way, and so are webhook nodes' calls to
integrations (`webhook`), which every process delivers; chat and popups are pushed to the
open widgets (`onsite_push`) and read by them from the ledger (`onsite`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from workflow_runtime.channels.email import EmailDeliverer, EmailSettings
from workflow_runtime.channels.webhook import WebhookDeliverer
from workflow_runtime.clock import Clock
from workflow_runtime.storage.models import Channel


class Deliverer(Protocol):
    """Hands a channel's due messages over; returns how many went out."""

    def deliver_due(self) -> int: ...


def deliverer_for(channel: Channel, email: EmailSettings | None, sessions: sessionmaker[Session],
                  clock: Clock, wake: Callable[[Mapping[int, datetime]], None] | None = None) -> Deliverer | None:
    """The deliverer of `channel`, or None if the server does not deliver it or is not set up to
    (no AUTOMAP_SMTP_URL: emails wait in the ledger until one is configured). `wake` mirrors the runs a
    delivery woke into the wake-up set, after its commit (webhooks wake the run waiting for the call)."""
    if channel is Channel.EMAIL and email is not None and email.smtp is not None:
        return EmailDeliverer(sessions, clock.now, email.smtp, email)
    if channel is Channel.WEBHOOK:
        return WebhookDeliverer(sessions, clock.now, wake)
    return None


def delivered_channels(email: EmailSettings | None) -> set[str]:
    """The channels this process delivers, by name: webhooks always, email once SMTP is set up."""
    return {Channel.WEBHOOK.value} | ({Channel.EMAIL.value} if email is not None and email.smtp is not None else set())
