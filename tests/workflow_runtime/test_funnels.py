"""Funnels computed in SQL equal a brute-force recount over random histories (hypothesis), on SQLite and
PostgreSQL: steps with property rules, the conversion window to the microsecond, sequence and strict order, ties in
time broken by the order events were stored in, the contacts at each step and those who dropped, the medians and the
breakdown."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from tests.workflow_runtime.test_filter_sql import sessions  # noqa: F401 - the SQLite and PostgreSQL schemas
from workflow_runtime.engine.filters import matches_properties
from workflow_runtime.reports.funnels import Breakdown, Funnel, Order, Step, compute, contacts
from workflow_runtime.storage.models import Contact, Event

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NOW = BASE + timedelta(days=1)
NAMES = ("a", "b", "c", "x")

events = st.lists(st.tuples(
    st.sampled_from(NAMES),
    st.integers(0, 120),  # minutes after BASE: ties are common
    st.sampled_from([0, 0, 0, 999_999]),  # microseconds: window ends hit exactly, and just missed
    st.one_of(st.none(), st.integers(0, 3)),  # the property n
    st.sampled_from([None, "google", "mail"]),
), max_size=8)
steps = st.lists(st.tuples(st.sampled_from(NAMES), st.one_of(st.none(), st.integers(0, 3))), min_size=2, max_size=4)
funnels = st.builds(
    lambda chosen, window, order, since, until: Funnel(
        tuple(Step(name, ({"property": "n", "op": "gte", "value": n},) if n is not None else ()) for name, n in chosen),
        timedelta(minutes=window), order, BASE + timedelta(minutes=since), BASE + timedelta(minutes=60 + until),
        Breakdown("utm_source")),
    steps, st.integers(1, 90), st.sampled_from(list(Order)), st.integers(0, 59), st.integers(0, 60))


def _store(sessions: sessionmaker[Session], histories: Sequence[Sequence[tuple]]) -> dict[int, list[dict]]:  # noqa: F811
    """Replace every contact and event with these; each contact's events as stored (with ids), in (time, id) order."""
    with sessions.begin() as session:
        session.execute(delete(Event))
        session.execute(delete(Contact))
        for history in histories:
            contact = Contact(first_seen_at=BASE, last_seen_at=BASE)
            session.add(contact)
            session.flush()
            for name, minute, micro, n, source in history:
                session.add(Event(contact_id=contact.id, name=name, properties={} if n is None else {"n": n},
                                  timestamp=BASE + timedelta(minutes=minute, microseconds=micro), utm_source=source))
            session.flush()
        stored: dict[int, list[dict]] = defaultdict(list)
        for event in session.scalars(select(Event).order_by(Event.timestamp, Event.id)):
            stored[event.contact_id].append({"id": event.id, "name": event.name, "at": event.timestamp,
                                             "properties": event.properties, "utm_source": event.utm_source})
        for contact_id in session.scalars(select(Contact.id)):
            stored.setdefault(contact_id, [])
    return stored


def _matches(step: Step, event: dict) -> bool:
    return event["name"] == step.event and matches_properties(step.where, event["properties"])


def _journey(funnel: Funnel, history: list[dict]) -> list[dict] | None:
    """The brute force: every start, every step's earliest event after the last (or, strict, the very next one);
    the start reaching most steps, the earliest of those."""
    best: list[dict] | None = None
    for position, start in enumerate(history):
        if not (_matches(funnel.steps[0], start) and funnel.since <= start["at"] <= funnel.until):
            continue
        reached, last = [start], position
        for step in funnel.steps[1:]:
            later = history[last + 1:last + 2] if funnel.order is Order.STRICT else history[last + 1:]
            found = next((index for index, event in enumerate(later, start=last + 1)
                          if _matches(step, event) and event["at"] <= start["at"] + funnel.window), None)
            if found is None:
                break
            reached.append(history[found])
            last = found
        if best is None or len(reached) > len(best):
            best = reached
    return best


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories=st.lists(events, max_size=6), funnel=funnels)
def test_sql_funnels_equal_a_brute_force_recount(sessions, histories, funnel: Funnel) -> None:  # noqa: F811
    stored = _store(sessions, histories)
    journeys = {contact_id: _journey(funnel, history) for contact_id, history in stored.items()}
    journeys = {contact_id: journey for contact_id, journey in journeys.items() if journey}
    with sessions() as session:
        result = compute(session, funnel, NOW)
        for step in range(1, len(funnel.steps) + 1):
            reached, total = contacts(session, funnel, NOW, step, dropped=False)
            expected = {contact_id: journey[step - 1]["at"] for contact_id, journey in journeys.items()
                        if len(journey) >= step}
            assert total == len(expected)
            assert {item["id"]: datetime.fromisoformat(item["reached_at"]) for item in reached} == expected
            if step < len(funnel.steps):
                dropped, _total = contacts(session, funnel, NOW, step, dropped=True)
                assert {item["id"] for item in dropped} == {contact_id for contact_id, journey in journeys.items()
                                                             if len(journey) == step}

    for number, figures in enumerate(result["steps"], start=1):
        reached = [journey for journey in journeys.values() if len(journey) >= number]
        assert figures["count"] == len(reached)
        gaps = [(journey[number - 1]["at"] - journey[number - 2]["at"]).total_seconds() for journey in reached] \
            if number > 1 else []
        # PostgreSQL's percentile_cont interpolates as a + (b - a) / 2: the same median to the last bit or so.
        assert figures["median_seconds_from_previous"] == (pytest.approx(statistics.median(gaps), rel=1e-12)
                                                            if gaps else None)
    by_source = Counter(journey[0]["utm_source"] for journey in journeys.values())
    assert {group["value"]: group["steps"][0]["count"] for group in result["breakdown"]} == dict(by_source)


def test_a_shop_funnel_by_hand(sessions) -> None:  # noqa: F811
    """viewed → cart → paid within an hour: the hand-counted example of the README."""
    histories = [
        [("a", 0, 0, None, "google"), ("b", 10, 0, None, None), ("c", 59, 0, None, None)],  # all three
        [("a", 0, 0, None, "mail"), ("b", 10, 0, None, None), ("c", 61, 0, None, None)],  # paid too late
        [("a", 0, 0, None, "google"), ("c", 5, 0, None, None), ("b", 10, 0, None, None)],  # paid before the cart
        [("b", 0, 0, None, None)],  # never viewed
    ]
    _store(sessions, histories)
    funnel = Funnel((Step("a"), Step("b"), Step("c")), timedelta(hours=1), Order.SEQUENCE, BASE, BASE + timedelta(hours=2),
                    Breakdown("utm_source"))
    with sessions() as session:
        result = compute(session, funnel, NOW)
    assert [(step["count"], step["rate_from_previous"]) for step in result["steps"]] == [(3, 1.0), (3, 1.0), (1, 1 / 3)]
    assert [step["median_seconds_from_previous"] for step in result["steps"]] == [None, 600.0, 2940.0]
    assert result["breakdown"] == [
        {"value": "google", "steps": [{"index": 1, "count": 2, "rate_from_first": 1.0},
                                      {"index": 2, "count": 2, "rate_from_first": 1.0},
                                      {"index": 3, "count": 1, "rate_from_first": 0.5}]},
        {"value": "mail", "steps": [{"index": 1, "count": 1, "rate_from_first": 1.0},
                                    {"index": 2, "count": 1, "rate_from_first": 1.0},
                                    {"index": 3, "count": 0, "rate_from_first": 0.0}]},
    ]
