"""The enrolment indexes: which live flow versions start on which event, or on entering which segment."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base


class FlowTrigger(Base):
    """One event trigger of a live flow version, so an event finds its flows by an index lookup."""

    __tablename__ = "flow_triggers"

    event_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    flow_version_id: Mapped[int] = mapped_column(
        ForeignKey("flow_versions.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)


class FlowSegmentTrigger(Base):
    """One "entered segment" trigger of a live flow version."""

    __tablename__ = "flow_segment_triggers"

    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True)
    flow_version_id: Mapped[int] = mapped_column(
        ForeignKey("flow_versions.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
