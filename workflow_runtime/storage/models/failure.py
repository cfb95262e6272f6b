"""Dead letters: the runs, events and segment checks that failed alone, kept with their traceback until
someone retries or discards them.

A batch that fails for a reason of its own (not a server being down) is split until the item
that fails alone is found (workflow_runtime.dispatch.quarantine); that item gets a row here and
leaves the queues: a parked run's status is `errored`, a quarantined event leaves
`unapplied_events`. Nothing is re-queued for ever; `automap failures retry` and
`POST /api/failures/<id>/retry` put an item back once its cause is fixed.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, str_enum
from workflow_runtime.storage.models.run import RunStatus


class FailureKind(str, enum.Enum):
    """What failed: a run's step, an event's application, or a contact's segment check."""

    RUN = "run"
    EVENT = "event"
    SEGMENT_CHECK = "segment_check"


class FailureState(str, enum.Enum):
    """quarantined: out of every queue; retried: put back (a new failure quarantines it again); discarded."""

    QUARANTINED = "quarantined"
    RETRIED = "retried"
    DISCARDED = "discarded"


class Failure(Base):
    """One failed item: the run, event or contact, where it failed, why, and how often."""

    __tablename__ = "failures"
    __table_args__ = (
        UniqueConstraint("kind", "item_id"),
        Index("ix_failures_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FailureKind] = mapped_column(str_enum(FailureKind))
    item_id: Mapped[int] = mapped_column(BigInteger)  # the run, event or contact
    contact_id: Mapped[int | None] = mapped_column(BigInteger)
    flow_version_id: Mapped[int | None]
    node_id: Mapped[str | None] = mapped_column(String(64))
    run_status: Mapped[RunStatus | None] = mapped_column(str_enum(RunStatus))  # a parked run's status before
    error: Mapped[str] = mapped_column(Text)  # one line: the exception's type and message
    traceback: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    state: Mapped[FailureState] = mapped_column(str_enum(FailureState), default=FailureState.QUARANTINED)
    first_failed_at: Mapped[datetime]
    failed_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
