"""How far a message got; shared by the send ledger and the filter language's message rules."""
from __future__ import annotations

import enum


class MessageStatus(str, enum.Enum):
    """sent: recorded by its send node for its channel; delivered: the channel handed it over
    (SMTP accepted it, the widget showed it); read, clicked, replied, unsubscribed: what the
    contact did; dismissed: the visitor closed an on-site popup without acting on it;
    failed: the channel gave up after its retries."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    CLICKED = "clicked"
    REPLIED = "replied"
    UNSUBSCRIBED = "unsubscribed"
    DISMISSED = "dismissed"
    FAILED = "failed"
