"""The operator inbox's conversations: one thread per contact, its state, the team's notes and response times.

The thread's items stay where they already live — what the site sent in the send ledger (`messages`,
an operator's messages among them, without a run or node) and what the contact wrote in
`message_replies` — so a conversation row holds only what the inbox needs on top: open, snoozed or
closed, who it is assigned to, what is unread, since when the contact waits for an answer, and
the last item for the list. One row per contact keeps the dialog one across devices and channels
(the seed's case 2: phone, email, desktop); closing it and the contact writing again reopens it.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, BigId, str_enum, utcnow


class ConversationStatus(str, enum.Enum):
    """open: the team has it to handle; snoozed: put aside until `snoozed_until` (then open again, and the
    contact writing wakes it sooner); closed: done, until the contact writes again."""

    OPEN = "open"
    SNOOZED = "snoozed"
    CLOSED = "closed"


class Conversation(Base):
    """The inbox's view of one contact's thread."""

    __tablename__ = "conversations"
    __table_args__ = (
        # The inbox list: a status's conversations, latest activity first; and one operator's.
        Index("ix_conversations_status_last_activity_at", "status", "last_activity_at"),
        Index("ix_conversations_assignee_id_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    status: Mapped[ConversationStatus] = mapped_column(str_enum(ConversationStatus), default=ConversationStatus.OPEN)
    snoozed_until: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Messages the contact wrote since an operator last read or answered the conversation.
    unread: Mapped[int] = mapped_column(default=0)
    # When the oldest message the team has not answered yet came; None while nothing waits.
    waiting_since: Mapped[datetime | None]
    # When this opening began (created, or reopened after closing), and its first answer: first-response time.
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None]
    # The list's preview: {"kind", "body", "at"} of the latest message either side wrote.
    last_item: Mapped[dict[str, Any] | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationNote(Base):
    """A note an operator left on a conversation: only the team sees it."""

    __tablename__ = "conversation_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationResponse(Base):
    """One answer of the team to a waiting contact: how long the contact waited, and whether it was the first
    answer of the conversation's opening (first-response time). The inbox's response-time report reads these."""

    __tablename__ = "conversation_responses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    # None: answered through the API with a token, not by a person who logs in.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message_id: Mapped[int] = mapped_column(BigId)
    waited_seconds: Mapped[float]
    first_in_opening: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
