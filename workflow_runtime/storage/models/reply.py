"""What a contact wrote — an answer to a chat message or popup, or a message of its own: the contact's side of
the conversation."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, BigId, str_enum, utcnow


class ReplySource(str, enum.Enum):
    """Where a reply came from: widget (the on-site reply box) or email (an answer to a forwarded message)."""

    WIDGET = "widget"
    EMAIL = "email"


class Reply(Base):
    """One message from a contact: attached to the message it answers, so the reply counts at that send node, or
    to none when the visitor wrote first (`message_id` None)."""

    __tablename__ = "message_replies"
    __table_args__ = (
        Index("ix_message_replies_contact_id_created_at", "contact_id", "created_at"),
        # An email answer is kept once per message, however often its provider delivers it.
        UniqueConstraint("message_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    source: Mapped[ReplySource] = mapped_column(str_enum(ReplySource))
    body: Mapped[str] = mapped_column(Text)
    # Where the answer came from, for de-duplication: an email's Message-ID; None for the widget.
    external_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
