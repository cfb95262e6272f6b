"""When a run may move on: durations, times of day in the contact's zone, quiet hours, frequency caps.

Pure functions of their arguments (the caller passes "now" from its clock); every
datetime they return is timezone-aware UTC, and naive inputs are refused.

Local wall-clock times are resolved the same way everywhere (`_resolve_local`):

- a wall time that does not exist (the spring-forward gap, e.g. 02:30 in
  Europe/Berlin on the last Sunday of March) becomes the instant the gap ends
  (03:00 local), the first moment at which that time of day has been reached;
- a wall time that happens twice (fall-back) is its first occurrence (fold=0).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import isodate

from flows.schemas import MAX_DURATION, duration_seconds

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_UTC_ZONE = ZoneInfo("UTC")


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused because their instant is unknown.

    Raises:
        ValueError: if `moment` has no time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; pass a timezone-aware datetime (e.g. in UTC).")
    return moment.astimezone(UTC)


@lru_cache(maxsize=1024)  # a flow's few durations are parsed once, not once per run
def parse_duration(text: str) -> isodate.Duration | timedelta:
    """Parses an ISO 8601 duration: a timedelta when exact (PT1H, P1D = 24 h), an isodate Duration with months/years.

    A duration longer than MAX_DURATION (P10Y) is read as MAX_DURATION. The validator refuses
    such durations, but a flow published before it did may still hold one (a wait of
    P99999999D), and adding that to a datetime would raise OverflowError inside a batch of
    runs: ten years is, to any contact, the same wait.

    Raises:
        ValueError: if `text` is not an ISO 8601 duration.
    """
    try:
        duration = isodate.parse_duration(text)
    except OverflowError:  # too long for isodate itself (P9999999999D): the longest allowed
        return MAX_DURATION
    except (ValueError, ArithmeticError, TypeError) as error:  # isodate.ISO8601Error is a ValueError
        raise ValueError(f"{text!r} is not an ISO 8601 duration; write one such as PT1H, P1D or P1M.") from error
    return MAX_DURATION if duration_seconds(duration) > MAX_DURATION.total_seconds() else duration


def add_duration(moment: datetime, duration: str | timedelta | isodate.Duration) -> datetime:
    """`moment` plus `duration` in UTC: a day is exactly 24 h (as Customer.io/Braze wait), a month a calendar month.

    Args:
        moment: a timezone-aware datetime.
        duration: an ISO 8601 string, or an already parsed duration.
    """
    if isinstance(duration, str):
        duration = parse_duration(duration)
    return as_utc(moment) + duration


def zone(name: str | None) -> ZoneInfo:
    """The contact's IANA time zone; UTC for None or an unknown name, since a bad profile field must not stop a run."""
    if not name:
        return _UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: a directory such as "Europe"
        return _UTC_ZONE


def parse_time_of_day(text: str) -> time:
    """Parses a wall-clock time "HH:MM" (24-hour).

    Raises:
        ValueError: if `text` is not HH:MM.
    """
    match = _TIME_OF_DAY.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a time of day; write it as HH:MM, e.g. 09:00 or 21:30.")
    return time(int(match[1]), int(match[2]))


def _weekday_numbers(weekdays: Collection[str] | None) -> frozenset[int]:
    """Weekday names as date.weekday() numbers; empty means any day."""
    numbers = set()
    for name in weekdays or ():
        try:
            numbers.add(WEEKDAYS.index(name.strip().lower()))
        except (ValueError, AttributeError):
            raise ValueError(f"{name!r} is not a weekday; use {', '.join(WEEKDAYS)}.") from None
    return frozenset(numbers)


def _offset_at(instant: datetime, tz: ZoneInfo) -> timedelta | None:
    return instant.astimezone(tz).utcoffset()


def _resolve_local(day: date, at: time, tz: ZoneInfo, *, later_than: datetime | None = None) -> datetime:
    """The UTC instant at which the wall clock in `tz` reads `at` on `day` (gap and fold rules in the module docstring).

    Args:
        later_than: when the time happens twice and its first occurrence is not later
            than this, the second occurrence is returned instead.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if later_than is not None and first <= later_than < second:
            return second
        return first
    # In a gap, fold=1 reads the wall time with the offset after the transition, which
    # places it before the transition, and fold=0 after it: the transition lies between.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = first
    offset_after = _offset_at(after, tz)
    one_second = timedelta(seconds=1)  # tzdata transitions fall on whole seconds
    while after - before > one_second:
        middle = before + (after - before) // one_second // 2 * one_second
        if _offset_at(middle, tz) == offset_after:
            after = middle
        else:
            before = middle
    return after


def next_time_of_day(
    after: datetime, time_zone: str | None, at: str, weekdays: Collection[str] | None = None
) -> datetime:
    """The first moment strictly after `after` when the contact's clock reads `at` on an allowed weekday.

    Each local day has one such moment: a time skipped by spring-forward resolves to
    the end of the gap (02:30 in Berlin on 2026-03-29 becomes 03:00 CEST), a time
    repeated by fall-back to its first occurrence (fold=0), so a wait that loops
    daily never fires twice in one night.

    Args:
        after: a timezone-aware datetime.
        time_zone: IANA name; None or unknown means UTC.
        at: "HH:MM" local wall-clock time.
        weekdays: "monday".."sunday"; None or empty means any day.
    """
    tz = zone(time_zone)
    wanted = parse_time_of_day(at)
    days = _weekday_numbers(weekdays)
    after = as_utc(after)
    today = after.astimezone(tz).date()
    # Two weeks cover a zone that skipped a whole calendar day (Pacific/Apia, 2011).
    for offset in range(15):
        day = today + timedelta(days=offset)
        if days and day.weekday() not in days:
            continue
        candidate = _resolve_local(day, wanted, tz)
        if candidate > after:
            return candidate
    raise AssertionError(f"no {at} on {sorted(days)} within two weeks of {after.isoformat()} in {tz}")


def _quiet_window(start: str, end: str) -> tuple[time, time] | None:
    begins, ends = parse_time_of_day(start), parse_time_of_day(end)
    return None if begins == ends else (begins, ends)


def in_quiet_hours(moment: datetime, start: str, end: str, time_zone: str | None) -> bool:
    """Whether `moment`'s local wall-clock time is in [start, end), which may wrap midnight; start == end: never."""
    window = _quiet_window(start, end)
    if window is None:
        return False
    begins, ends = window
    local = as_utc(moment).astimezone(zone(time_zone)).time()
    if begins < ends:
        return begins <= local < ends
    return local >= begins or local < ends


def after_quiet_hours(moment: datetime, start: str, end: str, time_zone: str | None) -> datetime:
    """`moment` if it is outside quiet hours, otherwise the moment they end: the next local `end`."""
    moment = as_utc(moment)
    if not in_quiet_hours(moment, start, end, time_zone):
        return moment
    tz = zone(time_zone)
    ends = parse_time_of_day(end)
    local = moment.astimezone(tz)
    day = local.date() if local.time() < ends else local.date() + timedelta(days=1)
    # A moment in the repeated hour of a fall-back night (after the first `end` went by)
    # is quiet again until the second `end`, not until tomorrow's.
    return _resolve_local(day, ends, tz, later_than=moment)


def after_frequency_cap(
    moment: datetime, sent_at: Sequence[datetime], max_messages: int, per: str | timedelta | isodate.Duration
) -> datetime:
    """The earliest t >= `moment` at which fewer than `max_messages` of `sent_at` fall in the window (t - per, t].

    A send at s counts while s <= t < s + per (for calendar durations "s + per" is
    calendar arithmetic), so a full window opens when its oldest counted sends age out.

    Raises:
        ValueError: if `max_messages` < 1 or `per` is not a positive duration.
    """
    if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 1:
        raise ValueError(f"The frequency cap's max_messages must be a whole number, at least 1, not {max_messages!r}.")
    window = parse_duration(per) if isinstance(per, str) else per
    t = as_utc(moment)
    if add_duration(t, window) <= t:
        raise ValueError(f"The frequency cap's period must be a positive duration such as P1D, not {per!r}.")
    sends = [as_utc(sent) for sent in sent_at]
    expiries = [add_duration(sent, window) for sent in sends]
    while True:
        counted = sorted(expiry for sent, expiry in zip(sends, expiries) if sent <= t < expiry)
        if len(counted) < max_messages:
            return t
        # Enough of the oldest must age out to leave room for one more; sends between t and then are re-counted.
        t = counted[len(counted) - max_messages]


def next_send_time(
    moment: datetime,
    *,
    quiet_hours: Mapping[str, Any] | None,
    frequency_cap: Mapping[str, Any] | None,
    time_zone: str | None,
    sent_at: Sequence[datetime],
) -> datetime:
    """The earliest moment >= `moment` outside quiet hours and under the cap: a send is deferred, never dropped.

    Args:
        quiet_hours: {"from": "21:00", "to": "09:00", "time_zone"?: IANA name that overrides the contact's}.
        frequency_cap: {"max_messages": 3, "per": "P1D"}.
        time_zone: the contact's IANA time zone.
        sent_at: when this contact was sent messages before.
    """
    t = as_utc(moment)
    quiet_zone = (quiet_hours or {}).get("time_zone") or time_zone
    # Leaving quiet hours may fill the cap's window and waiting for the cap may land in
    # quiet hours, so repeat until neither moves the time.
    while True:
        settled = t
        if quiet_hours:
            t = after_quiet_hours(t, quiet_hours["from"], quiet_hours["to"], quiet_zone)
        if frequency_cap:
            t = after_frequency_cap(t, sent_at, frequency_cap["max_messages"], frequency_cap["per"])
        if t == settled:
            return t
