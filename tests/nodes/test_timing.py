"""Timing rules: durations, times of day across DST, quiet hours, frequency caps and their interplay."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import isodate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.schemas import MAX_DURATION
from nodes.timing import (
    WEEKDAYS,
    add_duration,
    after_frequency_cap,
    after_quiet_hours,
    in_quiet_hours,
    next_send_time,
    next_time_of_day,
    parse_duration,
    parse_time_of_day,
    zone,
)

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=tz, fold=fold)


def assert_utc(moment: datetime) -> None:
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


# --- durations ----------------------------------------------------------------------------


def test_parse_duration_exact_and_calendar() -> None:
    assert parse_duration("PT1H") == timedelta(seconds=3600)
    assert parse_duration("P1D") == timedelta(hours=24)
    assert parse_duration("P1DT30M") == timedelta(hours=24, minutes=30)
    assert parse_duration("P1M") == isodate.Duration(months=1)


@pytest.mark.parametrize("text", ["", "1 day", "P", "PT1X", None])
def test_parse_duration_refuses_non_durations(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P99999999D", "P9999999999D", "PT99999999999999H", "P99999999Y", "P1Y99999999D", "P11Y"])
def test_durations_longer_than_ten_years_read_as_ten_years(text: str) -> None:
    # the validator refuses them, but a flow published before it did may hold one: no OverflowError in a batch
    assert parse_duration(text) == MAX_DURATION == timedelta(days=3652, hours=12)
    assert add_duration(utc(2026, 1, 1, 0, 0), text) == utc(2036, 1, 1, 12, 0)
    assert after_frequency_cap(utc(2026, 1, 1, 0, 0), [utc(2026, 1, 1, 0, 0)], 1, text) == utc(2036, 1, 1, 12, 0)


def test_ten_years_is_not_clamped() -> None:
    assert parse_duration("P10Y") == isodate.Duration(years=10)
    assert parse_duration("P3652D") == timedelta(days=3652)


def test_a_day_is_24_hours_even_across_dst() -> None:
    # 2026-03-28 12:00 CET + P1D lands on 13:00 CEST: exactly 24 h later, not at noon again.
    result = add_duration(local(BERLIN, 2026, 3, 28, 12, 0), "P1D")
    assert result == utc(2026, 3, 29, 11, 0)
    assert result.astimezone(BERLIN).hour == 13
    assert_utc(result)


def test_add_duration_calendar_months_in_utc() -> None:
    assert add_duration(utc(2026, 1, 31, 10, 0), "P1M") == utc(2026, 2, 28, 10, 0)
    assert add_duration(utc(2026, 1, 15, 10, 0), "P1M") == utc(2026, 2, 15, 10, 0)
    assert add_duration(utc(2028, 2, 29, 0, 0), "P1Y") == utc(2029, 2, 28, 0, 0)
    assert add_duration(utc(2026, 1, 15, 10, 0), "P1MT1H") == utc(2026, 2, 15, 11, 0)


def test_add_duration_accepts_parsed_durations_and_returns_utc() -> None:
    result = add_duration(local(NEW_YORK, 2026, 7, 1, 9, 0), timedelta(minutes=90))
    assert result == utc(2026, 7, 1, 14, 30)
    assert_utc(result)


def test_add_duration_refuses_naive() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        add_duration(datetime(2026, 1, 1), "PT1H")


# --- zones and times of day ---------------------------------------------------------------


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "Europe", "../../etc/passwd", "not a zone"])
def test_unknown_zone_falls_back_to_utc(name: str | None) -> None:
    assert zone(name) == ZoneInfo("UTC")


def test_known_zone() -> None:
    assert zone("Europe/Berlin") == BERLIN


@pytest.mark.parametrize("text, expected", [("09:00", time(9, 0)), ("9:05", time(9, 5)), ("23:59", time(23, 59))])
def test_parse_time_of_day(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "09:60", "nine", "", "09:00:00"])
def test_parse_time_of_day_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_time_of_day(text)


@pytest.mark.parametrize(
    "tz, friday_evening, expected",
    [
        # Spring forward on the Sunday in between: Monday 09:00 is in summer time.
        (BERLIN, local(BERLIN, 2026, 3, 27, 19, 0), utc(2026, 3, 30, 7, 0)),
        (NEW_YORK, local(NEW_YORK, 2026, 3, 6, 20, 0), utc(2026, 3, 9, 13, 0)),
        # Fall back on the Sunday in between: Monday 09:00 is in winter time.
        (BERLIN, local(BERLIN, 2026, 10, 23, 19, 0), utc(2026, 10, 26, 8, 0)),
        (NEW_YORK, local(NEW_YORK, 2026, 10, 30, 20, 0), utc(2026, 11, 2, 14, 0)),
    ],
)
def test_monday_9am_from_friday_evening_across_dst(tz: ZoneInfo, friday_evening: datetime, expected: datetime) -> None:
    assert friday_evening.weekday() == 4
    result = next_time_of_day(friday_evening, tz.key, "09:00", ["monday"])
    assert result == expected
    assert_utc(result)
    wall = result.astimezone(tz)
    assert (wall.weekday(), wall.hour, wall.minute) == (0, 9, 0)
    assert wall.utcoffset() != friday_evening.utcoffset()


def test_weekday_names_are_case_insensitive_and_several() -> None:
    # Wednesday 2026-07-01 10:00 UTC: the next of Tuesday/Thursday at 08:00 is Thursday.
    assert next_time_of_day(utc(2026, 7, 1, 10, 0), None, "08:00", ["Tuesday", "THURSDAY"]) == utc(2026, 7, 2, 8, 0)


def test_empty_weekdays_mean_any_day() -> None:
    assert next_time_of_day(utc(2026, 7, 1, 10, 0), "UTC", "08:00", []) == utc(2026, 7, 2, 8, 0)
    assert next_time_of_day(utc(2026, 7, 1, 10, 0), "UTC", "11:00", None) == utc(2026, 7, 1, 11, 0)


def test_unknown_weekday_is_refused() -> None:
    with pytest.raises(ValueError, match="'funday' is not a weekday"):
        next_time_of_day(utc(2026, 7, 1, 10, 0), None, "08:00", ["funday"])


def test_strictly_after() -> None:
    at_nine = local(BERLIN, 2026, 7, 1, 9, 0)
    assert next_time_of_day(at_nine, "Europe/Berlin", "09:00", None) == local(BERLIN, 2026, 7, 2, 9, 0)
    just_before = at_nine - timedelta(microseconds=1)
    assert next_time_of_day(just_before, "Europe/Berlin", "09:00", None) == at_nine
    # The same weekday a week later when today's slot has just passed.
    assert next_time_of_day(at_nine, "Europe/Berlin", "09:00", ["wednesday"]) == local(BERLIN, 2026, 7, 8, 9, 0)


def test_unknown_zone_means_utc_time_of_day() -> None:
    assert next_time_of_day(utc(2026, 7, 1, 10, 0), "Nowhere/Special", "09:00", None) == utc(2026, 7, 2, 9, 0)


@pytest.mark.parametrize(
    "after, tz, expected",
    [
        # 02:30 does not exist: the clock jumps from 02:00 to 03:00, and 03:00 is when 02:30 "has been reached".
        (utc(2026, 3, 28, 12, 0), BERLIN, utc(2026, 3, 29, 1, 0)),
        (utc(2026, 3, 7, 12, 0), NEW_YORK, utc(2026, 3, 8, 7, 0)),
    ],
)
def test_gap_time_resolves_to_the_end_of_the_gap(after: datetime, tz: ZoneInfo, expected: datetime) -> None:
    result = next_time_of_day(after, tz.key, "02:30", None)
    assert result == expected
    assert (result.astimezone(tz).hour, result.astimezone(tz).minute) == (3, 0)
    # The day after, 02:30 exists again.
    assert next_time_of_day(result, tz.key, "02:30", None).astimezone(tz).time() == time(2, 30)


@pytest.mark.parametrize(
    "after, tz, at, first, second, next_day",
    [
        (
            utc(2026, 10, 24, 12, 0), BERLIN, "02:30",
            utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 1, 30),
        ),
        (
            utc(2026, 10, 31, 12, 0), NEW_YORK, "01:30",
            utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30), utc(2026, 11, 2, 6, 30),
        ),
    ],
)
def test_ambiguous_time_resolves_to_the_first_occurrence(
    after: datetime, tz: ZoneInfo, at: str, first: datetime, second: datetime, next_day: datetime
) -> None:
    assert first.astimezone(tz).time() == second.astimezone(tz).time() == parse_time_of_day(at)
    result = next_time_of_day(after, tz.key, at, None)
    assert result == first
    assert result.astimezone(tz).fold == 0
    # Between the two occurrences that day's slot has passed: a daily loop does not fire twice.
    assert next_time_of_day(first, tz.key, at, None) == next_day
    assert next_time_of_day(first + timedelta(minutes=45), tz.key, at, None) == next_day
    assert next_day.astimezone(tz).time() == parse_time_of_day(at)


def test_next_time_of_day_refuses_naive() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        next_time_of_day(datetime(2026, 7, 1, 10, 0), None, "09:00", None)


TRICKY_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Apia"]


def _exists(day: date, at: time, tz: ZoneInfo) -> bool:
    wall = datetime.combine(day, at)
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


@settings(max_examples=400, deadline=None)
@given(
    after=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2050, 1, 1), timezones=st.just(UTC)),
    time_zone=st.one_of(st.sampled_from(TRICKY_ZONES), st.timezone_keys()),
    at=st.times().map(lambda value: value.replace(second=0, microsecond=0)),
    weekdays=st.sets(st.sampled_from(WEEKDAYS)),
)
def test_next_time_of_day_property(after: datetime, time_zone: str, at: time, weekdays: set[str]) -> None:
    tz = zone(time_zone)
    allowed = {WEEKDAYS.index(name) for name in weekdays} or set(range(7))
    result = next_time_of_day(after, time_zone, at.strftime("%H:%M"), weekdays)
    assert result > after
    assert_utc(result)
    wall = result.astimezone(tz)
    if wall.time() == at:
        assert wall.weekday() in allowed
    else:
        # Only a skipped wall time may land elsewhere, and then on the instant the clock jumped.
        assert (result - timedelta(microseconds=1)).astimezone(tz).utcoffset() != wall.utcoffset()
        assert any(
            day.weekday() in allowed and not _exists(day, at, tz)
            for day in (wall.date(), wall.date() - timedelta(days=1))
        )


# --- quiet hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wall, quiet",
    [
        ((20, 59), False),
        ((21, 0), True),  # start inclusive
        ((23, 59), True),
        ((0, 0), True),
        ((3, 0), True),
        ((8, 59), True),
        ((9, 0), False),  # end exclusive
        ((12, 0), False),
    ],
)
def test_quiet_hours_wrapping_midnight(wall: tuple[int, int], quiet: bool) -> None:
    moment = local(BERLIN, 2026, 7, 1, *wall)
    assert in_quiet_hours(moment, "21:00", "09:00", "Europe/Berlin") is quiet


@pytest.mark.parametrize("wall, quiet", [((11, 59), False), ((12, 0), True), ((13, 59), True), ((14, 0), False)])
def test_quiet_hours_same_day_window(wall: tuple[int, int], quiet: bool) -> None:
    assert in_quiet_hours(local(NEW_YORK, 2026, 1, 5, *wall), "12:00", "14:00", "America/New_York") is quiet


def test_quiet_hours_use_the_local_clock_and_utc_when_unknown() -> None:
    moment = utc(2026, 7, 1, 20, 0)  # 22:00 in Berlin, 16:00 in New York
    assert in_quiet_hours(moment, "21:00", "09:00", "Europe/Berlin")
    assert not in_quiet_hours(moment, "21:00", "09:00", "America/New_York")
    assert not in_quiet_hours(moment, "21:00", "09:00", None)
    assert not in_quiet_hours(moment, "21:00", "09:00", "Bogus/Zone")


def test_equal_start_and_end_mean_no_quiet_hours() -> None:
    moment = utc(2026, 7, 1, 21, 0)
    assert not in_quiet_hours(moment, "21:00", "21:00", None)
    assert after_quiet_hours(moment, "21:00", "21:00", None) == moment


@pytest.mark.parametrize(
    "moment, expected",
    [
        (local(BERLIN, 2026, 7, 1, 22, 0), local(BERLIN, 2026, 7, 2, 9, 0)),  # evening: next morning
        (local(BERLIN, 2026, 7, 2, 3, 0), local(BERLIN, 2026, 7, 2, 9, 0)),  # after midnight: this morning
        (local(BERLIN, 2026, 7, 1, 21, 0), local(BERLIN, 2026, 7, 2, 9, 0)),
        (local(BERLIN, 2026, 7, 2, 8, 59, 59), local(BERLIN, 2026, 7, 2, 9, 0)),
    ],
)
def test_after_quiet_hours_moves_to_the_next_local_end(moment: datetime, expected: datetime) -> None:
    result = after_quiet_hours(moment, "21:00", "09:00", "Europe/Berlin")
    assert result == expected
    assert_utc(result)


def test_after_quiet_hours_leaves_other_moments_alone_in_utc() -> None:
    moment = local(BERLIN, 2026, 7, 1, 9, 0)
    result = after_quiet_hours(moment, "21:00", "09:00", "Europe/Berlin")
    assert result == moment
    assert_utc(result)


def test_after_quiet_hours_same_day_window() -> None:
    moment = local(NEW_YORK, 2026, 1, 5, 12, 30)
    assert after_quiet_hours(moment, "12:00", "14:00", "America/New_York") == local(NEW_YORK, 2026, 1, 5, 14, 0)


@pytest.mark.parametrize(
    "evening, morning, hours",
    [
        # Spring forward: 22:00 CET to 09:00 CEST is 10 real hours; fall back: 12.
        (local(BERLIN, 2026, 3, 28, 22, 0), utc(2026, 3, 29, 7, 0), 10),
        (local(BERLIN, 2026, 10, 24, 22, 0), utc(2026, 10, 25, 8, 0), 12),
        (local(NEW_YORK, 2026, 3, 7, 22, 0), utc(2026, 3, 8, 13, 0), 10),
        (local(NEW_YORK, 2026, 10, 31, 22, 0), utc(2026, 11, 1, 14, 0), 12),
    ],
)
def test_quiet_hours_across_a_dst_night(evening: datetime, morning: datetime, hours: int) -> None:
    tz = evening.tzinfo
    assert isinstance(tz, ZoneInfo)
    # Every hour of the night is quiet, including the hours that repeat or are skipped.
    moment = evening
    while moment < morning:
        assert in_quiet_hours(moment, "21:00", "09:00", tz.key)
        moment += timedelta(minutes=15)
    assert not in_quiet_hours(morning, "21:00", "09:00", tz.key)
    result = after_quiet_hours(evening, "21:00", "09:00", tz.key)
    assert result == morning
    assert result - evening == timedelta(hours=hours)
    assert result.astimezone(tz).time() == time(9, 0)


def test_quiet_hours_ending_in_the_spring_forward_gap_end_when_the_clock_jumps() -> None:
    # 02:30 is skipped on 2026-03-29 in Berlin: quiet hours end at 03:00 CEST.
    result = after_quiet_hours(local(BERLIN, 2026, 3, 28, 23, 30), "23:00", "02:30", "Europe/Berlin")
    assert result == utc(2026, 3, 29, 1, 0)
    assert not in_quiet_hours(result, "23:00", "02:30", "Europe/Berlin")
    assert in_quiet_hours(result - timedelta(microseconds=1), "23:00", "02:30", "Europe/Berlin")


def test_quiet_hours_in_the_repeated_hour_end_at_the_second_occurrence() -> None:
    # Fall back in Berlin: 02:00-03:00 happens twice. 02:45 CEST is after the end,
    # then 02:10 CET is quiet again and stays so until 02:30 CET, not until tomorrow.
    first_pass = local(BERLIN, 2026, 10, 25, 2, 45, fold=0)
    second_pass = local(BERLIN, 2026, 10, 25, 2, 10, fold=1)
    # Same-zone comparison ignores fold, so compare the instants.
    assert first_pass.astimezone(UTC) == utc(2026, 10, 25, 0, 45)
    assert second_pass.astimezone(UTC) == utc(2026, 10, 25, 1, 10)
    assert not in_quiet_hours(first_pass, "21:00", "02:30", "Europe/Berlin")
    assert in_quiet_hours(second_pass, "21:00", "02:30", "Europe/Berlin")
    assert after_quiet_hours(second_pass, "21:00", "02:30", "Europe/Berlin") == utc(2026, 10, 25, 1, 30)
    # Before the first pass ends, the first occurrence is the end.
    assert after_quiet_hours(local(BERLIN, 2026, 10, 25, 2, 10, fold=0), "21:00", "02:30", "Europe/Berlin") == utc(
        2026, 10, 25, 0, 30
    )


def test_quiet_hours_refuse_bad_times() -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        in_quiet_hours(utc(2026, 7, 1, 12, 0), "9pm", "09:00", None)


# --- frequency cap ------------------------------------------------------------------------


def test_frequency_cap_with_no_history_allows_now() -> None:
    moment = local(BERLIN, 2026, 7, 1, 12, 0)
    result = after_frequency_cap(moment, [], 3, "P1D")
    assert result == moment
    assert_utc(result)


def test_frequency_cap_below_the_limit_allows_now() -> None:
    moment = utc(2026, 7, 1, 15, 0)
    assert after_frequency_cap(moment, [utc(2026, 7, 1, 10, 0), utc(2026, 7, 1, 12, 0)], 3, "P1D") == moment


def test_full_window_waits_for_the_oldest_send_to_leave() -> None:
    sent = [utc(2026, 7, 1, 10, 0), utc(2026, 7, 1, 12, 0), utc(2026, 7, 1, 14, 0)]
    assert after_frequency_cap(utc(2026, 7, 1, 15, 0), sent, 3, "P1D") == utc(2026, 7, 2, 10, 0)
    # Two slots needed when the history is over the cap (e.g. the cap was lowered).
    assert after_frequency_cap(utc(2026, 7, 1, 15, 0), sent, 2, "P1D") == utc(2026, 7, 2, 12, 0)


def test_send_exactly_at_the_window_edge() -> None:
    sent = [utc(2026, 7, 1, 10, 0)]
    # The window is (t - P1D, t]: a send exactly one period ago no longer counts...
    assert after_frequency_cap(utc(2026, 7, 2, 10, 0), sent, 1, "P1D") == utc(2026, 7, 2, 10, 0)
    # ...one microsecond later it still does...
    assert after_frequency_cap(utc(2026, 7, 2, 9, 59, 59, 999999), sent, 1, "P1D") == utc(2026, 7, 2, 10, 0)
    # ...and a send at t itself counts.
    assert after_frequency_cap(utc(2026, 7, 1, 10, 0), sent, 1, "P1D") == utc(2026, 7, 2, 10, 0)


def test_frequency_cap_accepts_unsorted_history_in_any_zone() -> None:
    # Berlin 10:00 is 08:00 UTC, the oldest of the three.
    sent = [utc(2026, 7, 1, 12, 0), local(BERLIN, 2026, 7, 1, 10, 0), utc(2026, 7, 1, 10, 0)]
    assert after_frequency_cap(utc(2026, 7, 1, 13, 0), sent, 3, "PT6H") == utc(2026, 7, 1, 14, 0)


def test_frequency_cap_recounts_sends_that_enter_the_window_while_waiting() -> None:
    sent = [utc(2026, 7, 1, 10, 0), utc(2026, 7, 1, 10, 30)]
    assert after_frequency_cap(utc(2026, 7, 1, 10, 0), sent, 1, "PT1H") == utc(2026, 7, 1, 11, 30)


def test_frequency_cap_per_calendar_month() -> None:
    assert after_frequency_cap(utc(2026, 2, 1, 0, 0), [utc(2026, 1, 31, 9, 0)], 1, "P1M") == utc(2026, 2, 28, 9, 0)


@pytest.mark.parametrize(
    "max_messages, per", [(0, "P1D"), (-1, "P1D"), (1.5, "P1D"), (True, "P1D"), (1, "PT0S"), (1, "-P1D"), (1, "daily")]
)
def test_frequency_cap_refuses_nonsense(max_messages: int, per: str) -> None:
    with pytest.raises(ValueError):
        after_frequency_cap(utc(2026, 7, 1, 0, 0), [], max_messages, per)


# --- next_send_time -----------------------------------------------------------------------

QUIET = {"from": "21:00", "to": "09:00"}


def test_next_send_time_without_rules_is_now() -> None:
    moment = local(BERLIN, 2026, 7, 1, 23, 0)
    result = next_send_time(moment, quiet_hours=None, frequency_cap=None, time_zone="Europe/Berlin", sent_at=[])
    assert result == moment
    assert_utc(result)


def test_next_send_time_quiet_hours_in_the_contacts_zone_or_the_flows() -> None:
    moment = utc(2026, 7, 1, 20, 0)  # 22:00 Berlin, 16:00 New York
    in_berlin = next_send_time(moment, quiet_hours=QUIET, frequency_cap=None, time_zone="Europe/Berlin", sent_at=[])
    assert in_berlin == local(BERLIN, 2026, 7, 2, 9, 0)
    flow_zone = {**QUIET, "time_zone": "America/New_York"}
    in_new_york = next_send_time(
        moment, quiet_hours=flow_zone, frequency_cap=None, time_zone="Europe/Berlin", sent_at=[]
    )
    assert in_new_york == moment


def test_leaving_quiet_hours_can_hit_the_cap() -> None:
    sent = [utc(2026, 7, 1, 9, 30), utc(2026, 7, 1, 10, 0)]
    result = next_send_time(
        utc(2026, 7, 1, 22, 0),
        quiet_hours=QUIET,
        frequency_cap={"max_messages": 2, "per": "P1D"},
        time_zone=None,
        sent_at=sent,
    )
    assert result == utc(2026, 7, 2, 9, 30)


def test_waiting_for_the_cap_can_land_in_quiet_hours() -> None:
    sent = [utc(2026, 7, 1, 20, 30), utc(2026, 7, 1, 20, 45)]
    result = next_send_time(
        utc(2026, 7, 1, 20, 50),
        quiet_hours=QUIET,
        frequency_cap={"max_messages": 2, "per": "PT1H"},
        time_zone=None,
        sent_at=sent,
    )
    assert result == utc(2026, 7, 2, 9, 0)


def test_quiet_cap_quiet_again_until_both_hold() -> None:
    # 23:00 is quiet -> 09:00; a send at 21:30 caps until 21:30 -> quiet again -> 09:00 the day after.
    result = next_send_time(
        utc(2026, 7, 1, 23, 0),
        quiet_hours=QUIET,
        frequency_cap={"max_messages": 1, "per": "P1D"},
        time_zone="UTC",
        sent_at=[utc(2026, 7, 1, 21, 30)],
    )
    assert result == utc(2026, 7, 3, 9, 0)
    assert not in_quiet_hours(result, "21:00", "09:00", "UTC")
    assert after_frequency_cap(result, [utc(2026, 7, 1, 21, 30)], 1, "P1D") == result


def test_next_send_time_across_dst_in_the_contacts_zone() -> None:
    # Saturday 22:30 CET before spring forward: quiet until 09:00 CEST, then capped by Saturday's send.
    result = next_send_time(
        local(BERLIN, 2026, 3, 28, 22, 30),
        quiet_hours=QUIET,
        frequency_cap={"max_messages": 1, "per": "P1D"},
        time_zone="Europe/Berlin",
        sent_at=[local(BERLIN, 2026, 3, 28, 10, 15)],  # 09:15 UTC; free again at 09:15 UTC on Sunday = 11:15 CEST
    )
    assert result == utc(2026, 3, 29, 9, 15)
    assert result.astimezone(BERLIN).time() == time(11, 15)


def test_next_send_time_refuses_naive() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        next_send_time(datetime(2026, 7, 1), quiet_hours=QUIET, frequency_cap=None, time_zone=None, sent_at=[])
