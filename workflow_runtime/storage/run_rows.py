"""Runs as plain rows for the batch jobs: read with Core, changed in Python, written in bulk.

A batch changes every run it touches several times (each step sets status, node, path
and more). Plain objects make those changes free of the ORM's attribute bookkeeping,
and the batch writes each run once, in its final state: new runs with one bulk INSERT,
changed runs with one bulk UPDATE (see `bulk`). The interpreter reads and sets the same
attributes on a RunRow as on an ORM `Run`, so the API and lifecycle code keep the ORM.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy import Executable, Select, select
from sqlalchemy.orm import Session

from workflow_runtime.storage import bulk
from workflow_runtime.storage.database import begin_writing, reserve_ids
from workflow_runtime.storage.models import Run, RunStatus
from workflow_runtime.storage.models.run import count_visits

RUNS = Run.__table__
COLUMNS: tuple[str, ...] = tuple(column.key for column in RUNS.columns)
# What running a run changes; the other columns are set once, when it starts.
CHANGING = ("status", "node_id", "path", "node_state", "wake_at", "waiting_for", "waiting_where", "resume",
            "ended_at", "end_reason", "converted_at", "revenue")
_changing_values = attrgetter(*CHANGING)


class RunRow:
    """One run's row, loaded or new; remembers what was last written, to write only changed runs."""

    __slots__ = (*COLUMNS, "_written")

    id: int | None
    flow_id: int
    flow_version_id: int
    contact_id: int
    status: RunStatus
    node_id: str
    path: list[Any]
    node_state: dict[str, Any]
    context: dict[str, Any]
    wake_at: datetime | None
    waiting_for: str | None
    waiting_where: list[Any] | None
    resume: str | None
    entered_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    goal_event: str | None
    goal_deadline: datetime | None
    converted_at: datetime | None
    revenue: Decimal | None

    def __init__(self, **values: Any) -> None:
        for column in COLUMNS:
            setattr(self, column, values.get(column))
        self._written: tuple[Any, ...] | None = None  # None: not in the database yet

    @classmethod
    def loaded(cls, values: Iterable[Any]) -> RunRow:
        """A row read from the database, its values in COLUMNS order."""
        row = cls.__new__(cls)
        for column, value in zip(COLUMNS, values, strict=True):
            setattr(row, column, value)
        row._written = row._changing()
        return row

    @property
    def visits(self) -> int:
        """How many times the run has entered its current node (an idempotency-key part)."""
        return count_visits(self.path, self.node_id)

    def _changing(self) -> tuple[Any, ...]:
        return _changing_values(self)

    def __repr__(self) -> str:
        return f"RunRow(id={self.id}, status={self.status}, node_id={self.node_id!r})"


# What the interpreter steps: a batch's RunRow, or an ORM Run elsewhere (lifecycle, the bench's baseline).
AnyRun = Run | RunRow


def select_runs() -> Select[Any]:
    """SELECT every column of runs, in COLUMNS order (add the WHERE)."""
    return select(*RUNS.columns)


class RunRows:
    """The runs a batch loaded or started; `write` stores the new and the changed ones."""

    def __init__(self) -> None:
        self._rows: list[RunRow] = []

    def load(self, session: Session, query: Executable, params: Mapping[str, Any] | None = None) -> list[RunRow]:
        """The rows `query` (from `select_runs`) returns, tracked for writing (read on the session's
        connection: plain rows need none of the ORM's result handling)."""
        rows = [RunRow.loaded(values) for values in session.connection().execute(query, params).all()]
        self._rows.extend(rows)
        return rows

    def add(self, row: RunRow) -> None:
        """A run the batch started."""
        self._rows.append(row)

    def __iter__(self) -> Iterator[RunRow]:
        """Every run the batch loaded or started, as it is now."""
        return iter(self._rows)

    def give_ids(self, session: Session) -> None:
        """Give the new runs their ids, in creation order, so they can be advanced before they are written,
        and INSERTed later in their final state: from the runs sequence on PostgreSQL, counting on from the
        largest id on SQLite, whose write lock the transaction takes first (what SQLite's own rowids do)."""
        new = [row for row in self._rows if row.id is None]
        if not new:
            return
        begin_writing(session)
        ids = reserve_ids(session, RUNS, len(new))
        unwritten = max((row.id for row in self._rows if row.id is not None and row._written is None), default=0)
        if unwritten >= ids[0]:  # SQLite counts on from the largest id stored, and ids given earlier are not yet
            ids = list(range(unwritten + 1, unwritten + 1 + len(new)))
        for row, run_id in zip(new, ids, strict=True):
            row.id = run_id

    def write(self, session: Session, rows: Iterable[RunRow] | None = None) -> None:
        """INSERT the new runs and UPDATE the changed ones (of `rows`, default all), each in one
        statement sent without waiting for it (`write_behind`)."""
        self.give_ids(session)
        new: list[RunRow] = []
        changed: list[tuple[RunRow, tuple[Any, ...]]] = []
        for row in self._rows if rows is None else rows:
            values = row._changing()
            if row._written is None:
                new.append(row)
            elif values != row._written:
                changed.append((row, values))
            row._written = values
        bulk.insert_rows(session, RUNS, [{column: getattr(row, column) for column in COLUMNS} for row in new],
                         wait=False)
        bulk.update_rows(session, RUNS, [{"id": row.id, **dict(zip(CHANGING, values))} for row, values in changed],
                         wait=False)

