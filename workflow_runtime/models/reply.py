"""What a contact wrote back to a chat message or popup: the contact's side of the conversation."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.models.base import Base, BigId, str_enum, utcnow


class ReplySource(str, enum.Enum):
    """Where a reply came from: widget (the on-site reply box) or email (an answer to a forwarded message)."""

    WIDGET = "widget"
    EMAIL = "email"


class Reply(Base):
    """One reply from a contact, attached to the message it answers, so the reply counts at that send node."""

    __tablename__ = "message_replies"
    __table_args__ = (Index("ix_message_replies_contact_id_created_at", "contact_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    source: Mapped[ReplySource] = mapped_column(str_enum(ReplySource))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
