"""The window a forecast replays: from midnight (UTC) of its first day up to the end of its last day, or now."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from workflow_runtime.reports.stats import DayRange

MAX_DAYS = 366
MAX_STEP_MINUTES = 60
STEP = timedelta(minutes=5)  # the default step of a replay: finer is closer to what happened, coarser faster


class ForecastRefused(ValueError):
    """A forecast that cannot be made as asked; the message is a sentence for the marketer."""


@dataclass(frozen=True)
class Window:
    """[start, end): whole UTC days from `start`, since counters are kept per day; `end` may be within a day (now)."""

    start: datetime
    end: datetime

    @property
    def days(self) -> DayRange:
        """The counter days the window covers, both ends included."""
        return DayRange(self.start.date(), (self.end - timedelta(microseconds=1)).date())


def step_of(minutes: int) -> timedelta:
    """The replay's step: events and wake-ups are handled at the end of their step (whole minutes, up to an hour)."""
    if not 1 <= minutes <= MAX_STEP_MINUTES:
        raise ForecastRefused(f"step_minutes must be between 1 and {MAX_STEP_MINUTES}, not {minutes}.")
    return timedelta(minutes=minutes)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def last_days(days: int, now: datetime) -> Window:
    """The last `days` whole days and today up to `now`."""
    if not 1 <= days <= MAX_DAYS:
        raise ForecastRefused(f"days must be between 1 and {MAX_DAYS}, not {days}.")
    return Window(midnight(now.date() - timedelta(days=days)), now)


def between(first: date, last: date, now: datetime) -> Window:
    """From the start of day `first` to the end of day `last` (or `now`, if that is earlier)."""
    if last < first:
        raise ForecastRefused(f"to ({last}) is before from ({first}): the window must end on or after its first day.")
    if (last - first).days + 1 > MAX_DAYS:
        raise ForecastRefused(f"The window from {first} to {last} is longer than {MAX_DAYS} days: shorten it.")
    if midnight(first) >= now:
        raise ForecastRefused(f"from ({first}) is not in the past: a forecast replays events that happened.")
    return Window(midnight(first), min(midnight(last + timedelta(days=1)), now))
