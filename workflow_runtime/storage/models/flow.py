"""Flows and their published, immutable versions."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow_runtime.storage.models.base import Base, str_enum, utcnow


class FlowStatus(str, enum.Enum):
    """Where a flow is in its life.

    draft: never published; live: enrols and advances runs; paused: holds its runs
    (no sends) until resumed; archived: runs exited, kept for its statistics.
    """

    DRAFT = "draft"
    LIVE = "live"
    PAUSED = "paused"
    ARCHIVED = "archived"


class Flow(Base):
    """An automation map: the draft a marketer edits, and a pointer to its live version."""

    __tablename__ = "flows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[FlowStatus] = mapped_column(str_enum(FlowStatus), default=FlowStatus.DRAFT, index=True)
    draft: Mapped[dict[str, Any]]
    scenario_slug: Mapped[str | None] = mapped_column(String(100), unique=True)
    live_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("flow_versions.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[FlowVersion]] = relationship(
        back_populates="flow",
        order_by="FlowVersion.number",
        foreign_keys="FlowVersion.flow_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    live_version: Mapped[FlowVersion | None] = relationship(foreign_keys=[live_version_id], post_update=True)


class FlowVersion(Base):
    """A published snapshot of a flow's document. Runs are pinned to one; it never changes."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "number", name="uq_flow_versions_flow_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    document: Mapped[dict[str, Any]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    flow: Mapped[Flow] = relationship(back_populates="versions", foreign_keys=[flow_id])


class ImmutableVersionError(RuntimeError):
    """Raised when code tries to change a published FlowVersion."""


@event.listens_for(FlowVersion, "before_update")
def _refuse_version_changes(mapper: Any, connection: Any, version: FlowVersion) -> None:
    raise ImmutableVersionError(
        f"flow version {version.flow_id}/v{version.number} is published and immutable: publish a new version"
    )
