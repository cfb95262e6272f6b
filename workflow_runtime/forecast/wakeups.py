"""The replay's wake-up index: when each waiting run of the scratch database is next due, kept in memory.

It is to the replay what the Redis wake-up set is to the runtime's scheduler, with nothing to reconcile: every run
the replay changes is changed by one of its batches, whose runs (`BatchEffects.runs`, as they were committed) are
noted here, so the index holds exactly the scratch database's `wake_at` column, without a query per moment.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from heapq import heappop, heappush
from typing import Protocol


class Waiting(Protocol):
    id: int
    wake_at: datetime | None


class WakeupIndex:
    """Run id → next wake-up, with a heap of (wake-up, run id) to find the earliest; an entry a run no longer has is
    dropped when it reaches the top."""

    def __init__(self) -> None:
        self._at: dict[int, datetime] = {}
        self._heap: list[tuple[datetime, int]] = []

    def note(self, runs: Iterable[Waiting]) -> None:
        """These runs' wake-ups as they now stand (None: not waiting for a time)."""
        for run in runs:
            self.set(run.id, run.wake_at)

    def set(self, run_id: int, at: datetime | None) -> None:
        """The run's next wake-up is `at` (None: none)."""
        if self._at.get(run_id) == at:
            return
        if at is None:
            del self._at[run_id]
            return
        self._at[run_id] = at
        heappush(self._heap, (at, run_id))

    def earliest(self) -> datetime | None:
        """The earliest wake-up of any run, or None."""
        while self._heap and self._at.get(self._heap[0][1]) != self._heap[0][0]:
            heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def take_due(self, now: datetime) -> list[int]:
        """The runs due by `now`, in id order, taken out of the index (the batch that advances them notes them again)."""
        due = []
        while (at := self.earliest()) is not None and at <= now:
            _at, run_id = heappop(self._heap)
            del self._at[run_id]
            due.append(run_id)
        return sorted(due)
