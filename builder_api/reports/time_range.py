"""The time range a report reads: what the request names, the last 30 days up to `to` (default now) otherwise."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_RANGE = timedelta(days=30)


def report_range(since: datetime | None, until: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """(from, to); a `to` within 30 days of the year 1 reads from the year 1's first moment."""
    until = until or now
    if since is None:
        try:
            since = until - DEFAULT_RANGE
        except OverflowError:
            since = datetime.min.replace(tzinfo=UTC)
    return since, until
