"""The journey's audit log: what an operator did to a contact's run, when, who, and why."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base, BigId, str_enum, utcnow


class OperatorAction(str, enum.Enum):
    """What an operator may do to a run from the contact's journey.

    move: end the run where it is and go on from another node of its version (a new run);
    skip_wait: wake a waiting run now, as if its wait had timed out;
    exit: end the run where it is;
    restart: end the run (if it has not ended) and start the journey again at its first node (a new run).
    """

    MOVE = "move"
    SKIP_WAIT = "skip_wait"
    EXIT = "exit"
    RESTART = "restart"


class RunAction(Base):
    """One operator action on one run; `new_run_id` names the run a move or restart started."""

    __tablename__ = "run_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    flow_id: Mapped[int]
    run_id: Mapped[int] = mapped_column(BigId)
    new_run_id: Mapped[int | None] = mapped_column(BigId)
    action: Mapped[OperatorAction] = mapped_column(str_enum(OperatorAction))
    from_node_id: Mapped[str] = mapped_column(String(64))
    to_node_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # Who: the user (None for an API token, or once the user is deleted) and a name kept as it was then.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
