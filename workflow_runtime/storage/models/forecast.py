"""Forecasts: a flow's draft or version replayed on a past window's events in a scratch database, and what it gave.

A table, not Redis: a forecast's result is computed once from a replay that may take a minute, and Redis is
the rebuildable layer (losing it must lose nothing), so the request, its progress and its result are kept
here and survive a restart. Only this row is written in the live database while a forecast runs.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, str_enum


class ForecastStatus(str, enum.Enum):
    """queued: waiting for a worker; running: replaying (see progress); done: `result` holds the figures;
    failed: `error` says why."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


UNFINISHED_FORECASTS = (ForecastStatus.QUEUED, ForecastStatus.RUNNING)


class Forecast(Base):
    """One forecast of a flow's document (a version's, or its draft as it was when asked) over [window_start,
    window_end)."""

    __tablename__ = "forecasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    version: Mapped[int | None]  # the published version's number; None: the draft
    document: Mapped[dict[str, Any]]  # what is replayed, frozen when asked for
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    step_seconds: Mapped[int]  # events and wake-ups are handled at the end of their step of the window
    status: Mapped[ForecastStatus] = mapped_column(str_enum(ForecastStatus), default=ForecastStatus.QUEUED)
    events_total: Mapped[int] = mapped_column(default=0)  # the window's events to replay
    events_replayed: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    touched_at: Mapped[datetime]  # wall clock of the last progress: a forecast long untouched lost its worker
