"""Broadcasts: a segment's members, or a list of contacts, entered at a flow's manual trigger by background jobs.

`POST /api/flows/<id>/enrol` only records the broadcast; jobs enrol its audience a chunk at a
time in contact-id order, each chunk in a transaction of its own that also moves `cursor`
on, so a lost or repeated job resumes where the last commit left it and enrols no one twice.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, str_enum


class BroadcastStatus(str, enum.Enum):
    """queued: no chunk done yet; running; done: every contact examined; failed: `error` says why."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


UNFINISHED_BROADCASTS = (BroadcastStatus.QUEUED, BroadcastStatus.RUNNING)


class Broadcast(Base):
    """One enrolment of an audience into a flow, and how far it has got."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    segment_name: Mapped[str | None] = mapped_column(String(200))  # kept if the segment is deleted
    contact_ids: Mapped[list[Any] | None]  # the contacts asked for by id, ascending (else the segment's)
    status: Mapped[BroadcastStatus] = mapped_column(str_enum(BroadcastStatus), default=BroadcastStatus.QUEUED)
    scan_through: Mapped[int] = mapped_column(BigInteger)  # the highest contact id it examines
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)  # the last contact id examined
    to_scan: Mapped[int]  # contacts to examine
    scanned: Mapped[int] = mapped_column(default=0)
    audience: Mapped[int] = mapped_column(default=0)  # contacts examined that belong to the audience
    enrolled: Mapped[int] = mapped_column(default=0)  # runs started (the re-entry rule keeps the others out)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    touched_at: Mapped[datetime]  # wall clock of the last commit: the reconciler re-queues idle broadcasts
