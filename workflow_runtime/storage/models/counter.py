"""Per-node counters, aggregated as the runtime works so statistics read in O(nodes)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow_runtime.storage.models.base import Base


class NodeCounter(Base):
    """How often `metric` happened at a node of a flow version on a (UTC) day.

    Metrics: entered; left:<port>; waiting (a gauge: +1 on hold, -1 on leaving);
    completed; exited, and beside it exited:<cause> (goal, exit_rule, archived); errored;
    converted (with revenue in `amount`); and per channel message
    events such as sent, delivered, read, clicked, replied, unsubscribed, failed.

    `amount` is a numeric without a limit (PostgreSQL `numeric`): a day's revenue is a sum of
    any number of conversions, so no bound on one amount bounds it, and a sum a fixed
    precision could not hold would fail the whole batch that adds to it.
    """

    __tablename__ = "node_counters"

    flow_version_id: Mapped[int] = mapped_column(
        ForeignKey("flow_versions.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[Decimal] = mapped_column(Numeric(), default=Decimal(0))
