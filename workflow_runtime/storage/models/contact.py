"""Contacts (known or anonymous end users), their anonymous ids, and their events."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow_runtime.storage.models.base import Base, BigId, utcnow


class Contact(Base):
    """One end user: a signed-up customer, or a visitor known only by anonymous ids."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str | None] = mapped_column(String(200))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    unsubscribed_at: Mapped[datetime | None]

    anonymous_ids: Mapped[list[AnonymousId]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", passive_deletes=True
    )

    def builtin_fields(self) -> dict[str, Any]:
        """The first-class fields, as the filter language sees them next to `properties`."""
        return builtin_fields(self)


def builtin_fields(contact: Any) -> dict[str, Any]:
    """A contact's first-class fields (of a Contact or a batch's ContactRow), as the filter language
    sees them next to `properties`."""
    return {
        "user_id": contact.user_id,
        "email": contact.email,
        "phone": contact.phone,
        "name": contact.name,
        "time_zone": contact.time_zone,
        "tags": list(contact.tags or []),
    }


class AnonymousId(Base):
    """A browser's anonymous id; identify() attaches it to the known contact."""

    __tablename__ = "contact_anonymous_ids"

    anonymous_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact] = relationship(back_populates="anonymous_ids")


class Event(Base):
    """Something a contact did (track, page view), with where it happened."""

    __tablename__ = "events"
    __table_args__ = (
        # Every look-up of events names the contact: "did X within P14D", segments, the contact card's timeline.
        Index("ix_events_contact_id_name_timestamp_id", "contact_id", "name", "timestamp", "id"),
        # A segment's count reads an event rule's window once for every contact: "did X within P14D" (migration 0025).
        Index("ix_events_name_timestamp_contact_id", "name", "timestamp", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    message_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    page_url: Mapped[str | None] = mapped_column(Text)
    page_title: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_medium: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    utm_term: Mapped[str | None] = mapped_column(String(200))
    utm_content: Mapped[str | None] = mapped_column(String(200))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)


class UnappliedEvent(Base):
    """An event no job has applied to the flows yet.

    Stored with the event and deleted by the transaction that applies it, so a replayed job
    finds nothing left to apply. A queue table rather than a column of `events`: the rows
    are few and narrow, and taking one out is a cheap delete, where setting a column would
    rewrite the whole event row and each of its index entries.
    """

    __tablename__ = "unapplied_events"

    event_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
