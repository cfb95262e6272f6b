"""Messages sent by send nodes; the unique idempotency key makes this the send ledger."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, BigId, str_enum, utcnow
from workflow_runtime.storage.models.message_template import Channel


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


class DeliveryState(str, enum.Enum):
    """pending: waiting for its first or next attempt (`next_attempt_at`, none = at once);
    sending: claimed by a worker under a lease, nothing handed over yet (an expired lease
    puts it back to pending); submitting: being handed to the server, so a crash leaves it
    unknown whether it went out (an expired lease fails it rather than risk a second copy);
    delivered: the server accepted it; failed: given up (last_error says why)."""

    PENDING = "pending"
    SENDING = "sending"
    SUBMITTING = "submitting"
    DELIVERED = "delivered"
    FAILED = "failed"


class Message(Base):
    """One message to one contact. A retried or re-delivered job finds the key taken and sends nothing."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_contact_id_created_at", "contact_id", "created_at"),
        # The deliverer's sweep: a channel's due pending messages and expired leases.
        Index("ix_messages_channel_delivery_state_next_attempt_at", "channel", "delivery_state", "next_attempt_at"),
        # The statistics' drill-down: who got (read, clicked, …) the messages of one send node.
        Index("ix_messages_flow_version_id_node_id", "flow_version_id", "node_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # The run and version that sent it, without foreign keys: the ledger takes a row for every send,
    # and each key's check cost about a sixth of the INSERT. Only a batch holding the run writes
    # its messages, and deleting a flow clears them (lifecycle.delete_flow), as ON DELETE SET NULL did.
    run_id: Mapped[int | None] = mapped_column(BigId, index=True)
    flow_version_id: Mapped[int | None]
    node_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus), default=MessageStatus.SENT)
    content: Mapped[dict[str, Any]]
    statuses: Mapped[list[Any]] = mapped_column(default=list)
    delivery_state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState), default=DeliveryState.PENDING, server_default=DeliveryState.PENDING.value
    )
    # When a pending message is next tried (None: at once), or when a claim's lease runs out.
    next_attempt_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
