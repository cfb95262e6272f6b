"""Runs: one contact's walk through one published flow version."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, BigId, str_enum


class RunStatus(str, enum.Enum):
    """Where a run is.

    active: due to advance now; waiting: held in a node until `wake_at` or an event;
    completed: reached an Exit node or a port with nothing after it; exited: taken out
    by an exit rule, by reaching the goal (exit_on_goal) or by archiving the flow;
    errored: parked where a step failed, its reason in `end_reason` and its traceback in
    `failures`, until it is retried or discarded.
    """

    ACTIVE = "active"
    WAITING = "waiting"
    COMPLETED = "completed"
    EXITED = "exited"
    ERRORED = "errored"


UNFINISHED = (RunStatus.ACTIVE, RunStatus.WAITING)


class Run(Base):
    """A contact's state in a flow version; the database row is the truth, Redis only mirrors `wake_at`.

    `path` lists every node the run entered, in order, as [node_id, port it left by (None while it
    is still there), when it entered (seconds since the epoch, UTC)] and, for a step that chose its
    port by a rule, a JSON pointer into the node's config naming the rule that decided (see
    `PathStep`): conversions are credited to it, counters can be recounted from it and a contact's
    journey is read from it. Runs started before the times were kept have [node_id, port] steps.
    """

    __tablename__ = "runs"
    # Each status change rewrites the row's entry in every index whose columns or predicate it
    # touches (such an UPDATE cannot be HOT), and a batch changes thousands of runs: runs keep
    # only the indexes their look-ups need. ix_runs_flow_version_id (below) serves the drill-down
    # and the flow lifecycle, through the flow's versions.
    __table_args__ = (
        # The scheduler's reconciler: waiting runs due by a time (only a held run has a wake_at).
        Index("ix_runs_wake_at", "wake_at", postgresql_where=text("wake_at IS NOT NULL"),
              sqlite_where=text("wake_at IS NOT NULL")),
        # A contact's runs: event batches (wake-ups, goals, exit rules), re-entry rules, the contact card.
        Index("ix_runs_contact_id_flow_id", "contact_id", "flow_id"),
        # Ids never reused, as PostgreSQL's sequence: the ledger keeps a deleted run's message keys, which name it.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The version's flow, copied for look-ups; the version's foreign key cascades a deleted flow's runs.
    flow_id: Mapped[int]
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
    revenue: Mapped[Decimal | None] = mapped_column(Numeric())  # no limit, as node_counters.amount

    @property
    def visits(self) -> int:
        """How many times the run has entered its current node (an idempotency-key part)."""
        return count_visits(self.path, self.node_id)


def count_visits(path: list[Any], node_id: str) -> int:
    """How many times `path` entered `node_id`."""
    return sum(1 for step in path if step[0] == node_id)


def step_key(run_id: int, node_id: str, visits: int) -> str:
    """What the ledger keys a run's messages by (with their channel after it): the run, its node and which visit to
    it, so a step replayed after a crash finds its send already recorded and never sends twice."""
    return f"run:{run_id}:node:{node_id}:visit:{visits}"


def entered_step(node_id: str, at: datetime) -> list[Any]:
    """The path step of a run entering `node_id` at `at` (naive datetimes are UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
    return [node_id, None, int(aware.timestamp())]


def left_step(step: list[Any], port: str, rule: str | None = None) -> list[Any]:
    """`step` (the run's last) left by `port`, decided by the rule at JSON pointer `rule` if one did: a new
    list, so the path last written stays as it was (a RunRow compares them). A step kept before times were
    gets None for its time, so a rule never takes the time's place."""
    left = [step[0], port, step[2] if len(step) > 2 else None]
    return left if rule is None else [*left, rule]


@dataclass(frozen=True)
class PathStep:
    """One step of a run's path, read: the node, the port it left by (None: still there or ended there),
    when it entered (None for steps kept before times were) and the rule that chose the port."""

    node_id: str
    port: str | None
    entered_at: datetime | None
    rule: str | None

    @classmethod
    def read(cls, step: list[Any]) -> PathStep:
        seconds = step[2] if len(step) > 2 else None
        entered = None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)
        return cls(step[0], step[1], entered, step[3] if len(step) > 3 else None)
