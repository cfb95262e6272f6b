"""Revenue from the stored events equals a brute-force recount over random histories (hypothesis), on SQLite and
PostgreSQL: the workspace's revenue events with amounts in every form a site sends (numbers, numeric text, things
that are no amount, a path through a list), each contact's first touch, the periods, the top groups, each
contact's lifetime revenue; then the setting itself."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from nodes.goal import revenue_amount
from tests.conftest import schema_sessions
from workflow_runtime.engine.revenue import (
    DEFAULT_REVENUE_EVENTS,
    RevenueEvent,
    lifetime_revenue,
    revenue_events,
    save_revenue_events,
)
from workflow_runtime.reports.revenue_report import NONE, OTHER, Breakdown, Interval, RevenueQuery, revenue_report
from workflow_runtime.storage.models import Contact, Event, WorkspaceSetting

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
# The third reads through a list, which a goal's path never does ("lines.0" is a key, not an index): no order.
RULES = (RevenueEvent("order_paid", "amount"), RevenueEvent("Order Completed", "order.total"),
         RevenueEvent("Line Paid", "lines.0"))
AMOUNTS = [12, 0.1, 2.675, "49.90", " 7 ", -5, "abc", True, None, 1e17, {"x": 1}, [3], "NaN"]
SOURCES = [None, None, "google", "mail", "ads"]

events = st.lists(st.tuples(
    st.sampled_from(["order_paid", "Order Completed", "Line Paid", "page", "order_paid_x"]),
    st.integers(0, 24 * 40),  # hours after BASE: forty days
    st.sampled_from(AMOUNTS),
    st.sampled_from(SOURCES),
), max_size=6)
queries = st.builds(
    lambda first, length, by, interval: RevenueQuery(BASE.date() + timedelta(days=first),
                                                     BASE.date() + timedelta(days=first + length), by, interval),
    st.integers(-3, 30), st.integers(0, 20), st.sampled_from([Breakdown.SOURCE, Breakdown.MEDIUM]),
    st.sampled_from(list(Interval)))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """Sessions on an empty schema of the module's own: a SQLite file, or a database on AUTOMAP_DATABASE_URL's server."""
    yield from schema_sessions(request, tmp_path_factory, "revenue", (Contact, Event, WorkspaceSetting))


def _store(sessions: sessionmaker[Session], histories: Sequence[Sequence[tuple]]) -> dict[int, list[dict]]:
    """Replace every contact and event with these, the revenue events with RULES; each contact's events as stored."""
    with sessions.begin() as session:
        session.execute(delete(Event))
        session.execute(delete(Contact))
        session.execute(delete(WorkspaceSetting))
        save_revenue_events(session, RULES, BASE)
        stored: dict[int, list[dict]] = {}
        for history in histories:
            contact = Contact(first_seen_at=BASE, last_seen_at=BASE)
            session.add(contact)
            session.flush()
            stored[contact.id] = []
            for name, hours, amount, source in history:
                properties = {"amount": amount, "order": {"total": amount}, "lines": [amount]}
                event = Event(contact_id=contact.id, name=name, properties=properties,
                              timestamp=BASE + timedelta(hours=hours), utm_source=source,
                              utm_medium=source and f"{source}-medium")
                session.add(event)
                session.flush()
                stored[contact.id].append({"id": event.id, "name": name, "at": event.timestamp, "amount": amount,
                                           "utm_source": source, "utm_medium": event.utm_medium})
    return stored


def _amount(event: dict) -> Decimal | None:
    """The brute force: the event's amount as a goal would read it, when the event is a revenue event."""
    if event["name"] == "Line Paid":
        return None
    return revenue_amount(event["amount"]) if event["name"] in {rule.event for rule in RULES} else None


def _first_touch(history: list[dict], tag: str) -> str | None:
    tagged = [event for event in history if event["utm_source"] or event["utm_medium"]]
    return min(tagged, key=lambda event: (event["at"], event["id"]))[tag] if tagged else None


def _period(day: date, interval: Interval) -> date:
    return {Interval.DAY: day, Interval.WEEK: day - timedelta(days=day.weekday()),
            Interval.MONTH: day.replace(day=1)}[interval]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories=st.lists(events, max_size=14), query=queries)
def test_revenue_equals_a_brute_force_recount(sessions, histories, query: RevenueQuery) -> None:
    stored = _store(sessions, histories)
    since, until = (datetime.combine(day, time(), timezone.utc) for day in (query.first, query.last + timedelta(days=1)))
    tag = f"utm_{query.by.value}"
    expected: dict[str, dict[str, Any]] = defaultdict(lambda: {"revenue": Decimal(0), "count": 0, "contacts": set(),
                                                               "points": defaultdict(Decimal)})
    lifetime: dict[int, tuple[Decimal, int]] = {}
    for contact_id, history in stored.items():
        amounts = [(event, _amount(event)) for event in history]
        orders = [(event, amount) for event, amount in amounts if amount is not None]
        lifetime[contact_id] = (sum((amount for _event, amount in orders), Decimal(0)), len(orders))
        for event, amount in orders:
            if since <= event["at"] < until:
                for key in ("(total)", _first_touch(history, tag) or NONE):
                    group = expected[key]
                    group["revenue"] += amount
                    group["count"] += 1
                    group["contacts"].add(contact_id)
                    group["points"][_period(event["at"].date(), query.interval)] += amount

    with sessions() as session:
        report = revenue_report(session, query)
        found_lifetime = lifetime_revenue(session, stored)

    def figures(group: dict[str, Any]) -> tuple:
        return (group["revenue"], group["count"], group["contacts"],
                {date.fromisoformat(point["period"]): point["revenue"] for point in group["points"] if point["revenue"]})

    total = expected.pop("(total)", None)
    assert figures(report["total"]) == (float(total["revenue"]), total["count"], len(total["contacts"]),
                                        {day: float(amount) for day, amount in total["points"].items() if amount}) \
        if total else (0.0, 0, 0, {})
    assert report["periods"][0] == _period(query.first, query.interval).isoformat()
    assert all(point["period"] in report["periods"] for point in report["total"]["points"])
    groups = {group["key"]: figures(group) for group in report["groups"]}
    if len(expected) <= 11:  # every group shown: ten, or eleven without an (other) of one
        assert groups == {key: (float(group["revenue"]), group["count"], len(group["contacts"]),
                                {day: float(amount) for day, amount in group["points"].items() if amount})
                          for key, group in expected.items()}
    else:
        assert OTHER in groups
    assert sum(group["count"] for group in report["groups"]) == report["total"]["count"]
    assert {contact_id: (found.revenue, found.orders) for contact_id, found in found_lifetime.items()} == lifetime


def test_by_hand_a_week_of_orders_by_source(sessions) -> None:
    """Two shoppers from google and one from mail, a week apart: the weekly periods, the groups in revenue order."""
    _store(sessions, [
        [("page", 0, None, "google"), ("order_paid", 1, "20.00", None), ("order_paid", 24 * 8, 5, "mail")],
        [("order_paid", 2, 10.5, "mail")],  # the order's own tag is the first touch
        [("Order Completed", 3, "7.25", None), ("order_paid", 4, "free", None)],  # untagged; "free" is no amount
    ])
    with sessions() as session:
        report = revenue_report(session, RevenueQuery(BASE.date(), BASE.date() + timedelta(days=13),
                                                      Breakdown.SOURCE, Interval.WEEK))
    assert report["periods"] == ["2026-03-02", "2026-03-09"]
    assert report["total"] == {"revenue": 42.75, "count": 4, "contacts": 3, "points": [
        {"period": "2026-03-02", "revenue": 37.75, "count": 3}, {"period": "2026-03-09", "revenue": 5.0, "count": 1}]}
    assert [(group["key"], group["revenue"], group["count"]) for group in report["groups"]] == [
        ("google", 25.0, 2), ("mail", 10.5, 1), (NONE, 7.25, 1)]
    assert report["additive"] is True and report["note"] is None


def test_the_revenue_events_setting(sessions) -> None:
    with sessions.begin() as session:
        session.execute(delete(WorkspaceSetting))
    with sessions.begin() as session:
        assert revenue_events(session) == DEFAULT_REVENUE_EVENTS
        save_revenue_events(session, [RevenueEvent("purchase", "price.value")], BASE)
    with sessions.begin() as session:
        assert revenue_events(session) == (RevenueEvent("purchase", "price.value"),)
        save_revenue_events(session, [], BASE)
    with sessions() as session:
        assert revenue_events(session) == ()  # saved empty: nothing is revenue, not the defaults
        with pytest.raises(ValueError, match="listed twice"):
            save_revenue_events(session, [RevenueEvent("a", "x"), RevenueEvent("a", "y")], BASE)
