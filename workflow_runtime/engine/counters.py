"""Per-node counter increments, gathered for a batch and written with its transaction.

Writing them in the same transaction as the run changes they describe keeps the
counters exactly equal to a recount from the runs, whatever crashes in between.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from workflow_runtime.storage import bulk
from workflow_runtime.storage.models import NodeCounter

CounterKey = tuple[int, str, str, date]  # (flow_version_id, node_id, metric, day)


def left(port: str) -> str:
    """The metric name for leaving a node by `port`."""
    return f"left:{port}"


def converted_by(port: str) -> str:
    """The metric name for conversions of runs that left a node by `port` (kept for split nodes)."""
    return f"converted:{port}"


# A message waiting for its channel to hand it over (SMTP, the widget, the integration): a gauge, +1 when
# recorded, -1 when first delivered or failed, so a popup and its fallback email are never added together.
QUEUED = "queued"


def message_metric(channel: str, status: str) -> str:
    """The metric name for a node's messages on `channel` that reached `status` (or are `queued`)."""
    return f"{channel}:{status}"


class ExitCause(str, enum.Enum):
    """Why a run left its flow before its path ended: counted beside `exited` at the node it was in."""

    GOAL = "goal"  # the flow's goal was reached and the goal exits its runs
    EXIT_RULE = "exit_rule"  # one of the flow's exit rules matched an event
    ARCHIVED = "archived"  # the flow was archived
    MOVED = "moved"  # moved elsewhere (another node, the start, a newer version): a new run goes on from there
    OPERATOR = "operator"  # an operator ended it from the contact's journey


# A run that exited says why in its end_reason, which starts with its cause's text (an exit rule adds the event,
# a move where to, an operator's exit the reason given).
EXIT_REASONS = {ExitCause.GOAL: "reached the goal", ExitCause.EXIT_RULE: "exit rule: ",
                ExitCause.ARCHIVED: "flow archived", ExitCause.MOVED: "moved ", ExitCause.OPERATOR: "exited by an operator: "}


def exited_by(cause: ExitCause) -> str:
    """The metric name for runs that exited at a node for `cause` (each also counts in `exited`)."""
    return f"exited:{cause.value}"


class CounterBatch:
    """Increments waiting to be written: many steps, one upsert per distinct counter."""

    def __init__(self) -> None:
        self._counts: defaultdict[CounterKey, int] = defaultdict(int)
        self._amounts: defaultdict[CounterKey, Decimal] = defaultdict(Decimal)
        self._day: tuple[datetime | None, date | None] = (None, None)  # a batch counts at one `now`

    def add(self, version_id: int, node_id: str, metric: str, at: datetime, count: int = 1,
            amount: Decimal | None = None) -> None:
        """Count `metric` at a node on the UTC day of `at`."""
        if self._day[0] is not at:
            self._day = (at, at.date())
        key = (version_id, node_id, metric, self._day[1])
        self._counts[key] += count
        if amount:
            self._amounts[key] += amount

    def add_to_nodes(self, version_id: int, node_ids: Iterable[str], metric: str, at: datetime,
                     amount: Decimal | None = None) -> None:
        """Count `metric` once at each of `node_ids` (e.g. a conversion along a run's path)."""
        for node_id in node_ids:
            self.add(version_id, node_id, metric, at, amount=amount)

    def __bool__(self) -> bool:
        return bool(self._counts)

    def copy(self) -> CounterBatch:
        """An independent copy of the increments so far (to go back to, should a step fail)."""
        copied = CounterBatch()
        copied._counts.update(self._counts)
        copied._amounts.update(self._amounts)
        return copied

    def flush(self, session: Session) -> None:
        """Add every pending increment to node_counters (sent without waiting, see `write_behind`), then start empty."""
        rows = [
            {
                "flow_version_id": version_id,
                "node_id": node_id,
                "metric": metric,
                "day": day,
                "count": count,
                "amount": self._amounts.get((version_id, node_id, metric, day), Decimal(0)),
            }
            for (version_id, node_id, metric, day), count in sorted(self._counts.items())
            if count or self._amounts.get((version_id, node_id, metric, day))
        ]
        bulk.add_rows(session, NodeCounter.__table__, rows, key=("flow_version_id", "node_id", "metric", "day"),
                      wait=False)
        self._counts.clear()
        self._amounts.clear()

