"""Saved funnels: a name and the definition the reports page computes (workflow_runtime.reports.funnels)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, utcnow


class SavedFunnel(Base):
    """A funnel a marketer keeps: its definition as the API takes it (steps, window, order, range, breakdown)."""

    __tablename__ = "funnels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
