"""Runs: one contact's walk through one published flow version."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.models.base import Base, BigId, str_enum


class RunStatus(str, enum.Enum):
    """Where a run is.

    active: due to advance now; waiting: held in a node until `wake_at` or an event;
    completed: reached an Exit node or a port with nothing after it; exited: taken out
    by an exit rule, by reaching the goal (exit_on_goal) or by archiving the flow.
    """

    ACTIVE = "active"
    WAITING = "waiting"
    COMPLETED = "completed"
    EXITED = "exited"


UNFINISHED = (RunStatus.ACTIVE, RunStatus.WAITING)


class Run(Base):
    """A contact's state in a flow version; the database row is the truth, Redis only mirrors `wake_at`.

    `path` lists every node the run entered, in order, as [node_id, port it left by
    (None while it is still there)]: conversions are credited to it and counters can be
    recounted from it.
    """

    __tablename__ = "runs"
    __table_args__ = (
        # The scheduler's reconciler: unfinished runs due by a time.
        Index("ix_runs_status_wake_at", "status", "wake_at"),
        # Push wake-ups: this contact's runs waiting for this event.
        Index("ix_runs_contact_id_waiting_for", "contact_id", "waiting_for"),
        # Goal crediting: this contact's runs whose goal is this event.
        Index("ix_runs_contact_id_goal_event", "contact_id", "goal_event"),
        # Re-entry rules and the contact card.
        Index("ix_runs_flow_id_contact_id", "flow_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    flow_version_id: Mapped[int] = mapped_column(ForeignKey("flow_versions.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus))
    node_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[list[Any]]
    node_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    wake_at: Mapped[datetime | None]
    waiting_for: Mapped[str | None] = mapped_column(String(200))
    waiting_where: Mapped[list[Any] | None]
    resume: Mapped[str | None] = mapped_column(String(32))
    entered_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(200))
    goal_event: Mapped[str | None] = mapped_column(String(200))
    goal_deadline: Mapped[datetime | None]
    converted_at: Mapped[datetime | None]
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))

    @property
    def visits(self) -> int:
        """How many times the run has entered its current node (an idempotency-key part)."""
        return count_visits(self.path, self.node_id)


def count_visits(path: list[Any], node_id: str) -> int:
    """How many times `path` entered `node_id`."""
    return sum(1 for entered, _port in path if entered == node_id)
