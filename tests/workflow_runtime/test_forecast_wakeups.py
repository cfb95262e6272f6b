"""The replay's wake-up index: what is due, from the runs its batches committed, without a query."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from workflow_runtime.forecast.wakeups import WakeupIndex

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)


def run(run_id: int, wake_at: datetime | None) -> SimpleNamespace:
    return SimpleNamespace(id=run_id, wake_at=wake_at)


def test_the_index_answers_what_the_runs_wake_at_column_would() -> None:
    index = WakeupIndex()
    index.note([run(3, T0 + timedelta(hours=1)), run(1, T0 + timedelta(minutes=5)), run(2, None),
                run(4, T0 + timedelta(minutes=5))])
    assert index.earliest() == T0 + timedelta(minutes=5)

    # Run 1 woken early by an event (no wake-up now), run 4 held longer: their old entries no longer count.
    index.note([run(1, None), run(4, T0 + timedelta(hours=2))])
    assert index.earliest() == T0 + timedelta(hours=1)
    assert index.take_due(T0 + timedelta(minutes=30)) == []

    index.set(5, T0)  # a webhook's outcome makes its caller due at once
    assert index.take_due(T0 + timedelta(hours=1)) == [3, 5]  # in id order, taken out
    assert index.take_due(T0 + timedelta(hours=1)) == []
    assert index.earliest() == T0 + timedelta(hours=2)

    index.note([run(3, T0 + timedelta(hours=1))])  # the batch that advanced it held it again at the same time
    assert index.take_due(T0 + timedelta(hours=3)) == [3, 4]
    assert index.earliest() is None
