"""Workspace settings a marketer changes on the Settings page, one row per setting, its value a JSON document (a list for every setting so far).

A setting without a row has its default, which the module that reads it defines; the row appears
when someone saves the setting (so an empty list saved is "none", not "the default").
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, utcnow


class WorkspaceSetting(Base):
    """One setting: its name (e.g. `revenue_events`) and its value as saved."""

    __tablename__ = "workspace_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[list[Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
