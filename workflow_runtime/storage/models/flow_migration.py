"""Migrations: moving the contacts who wait in older versions of a flow to the version just published.

A table, not Redis: the plan and how far its jobs got must survive a lost job, a killed worker or a
flushed Redis (the reconciler queues an unfinished migration again). Jobs move its runs a chunk at a
time in run-id order (workflow_runtime.engine.version_migration), each chunk in a transaction of its
own that also moves `cursor` on, so a lost or repeated job moves no one twice.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow_runtime.storage.models.base import Base, str_enum
from workflow_runtime.storage.models.flow import FlowVersion


class MigrationStatus(str, enum.Enum):
    """queued: no chunk done yet; running; done: every waiting run examined; failed: `error` says why."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


UNFINISHED_MIGRATIONS = (MigrationStatus.QUEUED, MigrationStatus.RUNNING)


class FlowMigration(Base):
    """One move of the runs waiting in a flow's older versions to `to_version_id`, its plan and its progress."""

    __tablename__ = "flow_migrations"
    __table_args__ = (Index("ix_flow_migrations_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    to_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id", ondelete="CASCADE"))
    # The marketer's choices: [{"version": 1, "node_id": "wait", "to": "reminder" | None (exit)}].
    choices: Mapped[list[Any]]
    status: Mapped[MigrationStatus] = mapped_column(str_enum(MigrationStatus), default=MigrationStatus.QUEUED)
    to_move: Mapped[int]  # the contacts the plan would move or exit when it was made (the preview's figure)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)  # the last run id examined in this sweep
    sweep: Mapped[int] = mapped_column(default=1)  # runs another job held are looked at again by the next sweep
    skipped: Mapped[int] = mapped_column(default=0)  # runs this sweep could not lock (held by another job)
    moved: Mapped[int] = mapped_column(default=0)  # runs ended in an older version and started in this one
    exited: Mapped[int] = mapped_column(default=0)  # runs ended by the plan's "exit"
    stayed: Mapped[int | None]  # once done: runs still unfinished in older versions (in flight, mid-send)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    touched_at: Mapped[datetime]  # wall clock of the last commit: the reconciler re-queues idle migrations

    to_version: Mapped[FlowVersion] = relationship()
