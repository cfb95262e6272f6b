"""The revenue report: revenue over time, by the contacts' first-touch source (or medium, or campaign) or by flow.

By source, the figures are the workspace's orders (`engine.revenue`): each revenue event once, in the period of
its time, in the group of its contact's first touch (`engine.attribution`; "(none)" for a contact no tagged
event ever reached). The groups add up to the total: every order is in exactly one. The ten groups with the most
revenue are shown, the rest added up as "(other)".

By flow, the figures are what each flow's goal credited: its converted runs (each once, at the time it
converted) and their revenue, as statistics mode counts them. An order two flows credited counts in both and
an order no flow credited in none, so the flows do not add up to the orders' total: the report says so
(`additive` false, and a note), and gives the orders' total beside them.

Periods are UTC days, ISO weeks (from Monday) or months, each named by its first day; every period of the
range is listed, empty ones as zeros.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from workflow_runtime.engine.attribution import first_touch_id
from workflow_runtime.engine.revenue import Order, RevenueEvent, orders, orders_query, revenue_events
from workflow_runtime.storage.models import Contact, Event, Flow, Run

NONE = "(none)"
OTHER = "(other)"
SHOWN_GROUPS = 10
FLOWS_NOTE = ("Each flow shows the revenue its goal credited. An order credited by two flows counts in both, and "
              "an order no flow credited in none, so the flows do not add up to the total of orders.")


class Breakdown(enum.StrEnum):
    SOURCE = "source"
    MEDIUM = "medium"
    CAMPAIGN = "campaign"
    FLOW = "flow"


_TAGS = {Breakdown.SOURCE: "utm_source", Breakdown.MEDIUM: "utm_medium", Breakdown.CAMPAIGN: "utm_campaign"}


class Interval(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    def period_of(self, day: date) -> date:
        """The first day of the period `day` is in."""
        if self is Interval.WEEK:
            return day - timedelta(days=day.weekday())
        if self is Interval.MONTH:
            return day.replace(day=1)
        return day

    def periods(self, first: date, last: date) -> list[date]:
        """Every period from the one holding `first` to the one holding `last`, in order."""
        found, day, final = [], self.period_of(first), self.period_of(last)
        while True:
            found.append(day)
            if day >= final:
                return found
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1) if self is Interval.MONTH else \
                day + timedelta(days=7 if self is Interval.WEEK else 1)


@dataclass(frozen=True)
class RevenueQuery:
    """The days covered (UTC, both ends included), the breakdown, and the periods."""

    first: date
    last: date
    by: Breakdown = Breakdown.SOURCE
    interval: Interval = Interval.DAY

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError(f"the range starts on {self.first} after it ends on {self.last}")

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def until(self) -> datetime:
        """The moment after the last day (the latest moment there is, for the last day there is)."""
        if self.last == date.max:
            return datetime.max.replace(tzinfo=UTC)
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)

    @property
    def period_count(self) -> int:
        """How many periods the range spans, without listing them."""
        if self.interval is Interval.MONTH:
            return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        start = self.interval.period_of(self.first)
        return (self.last - start).days // (7 if self.interval is Interval.WEEK else 1) + 1


@dataclass
class _Figures:
    """Revenue, how many orders (or conversions) and which contacts, in all and per period."""

    revenue: Decimal = Decimal(0)
    count: int = 0
    contacts: set[int] = field(default_factory=set)
    by_period: defaultdict[date, list[Any]] = field(default_factory=lambda: defaultdict(lambda: [Decimal(0), 0]))
    orders: list[Order] = field(default_factory=list)  # kept only to list a row's contacts

    def add(self, period: date, contact_id: int, amount: Decimal) -> None:
        self.revenue += amount
        self.count += 1
        self.contacts.add(contact_id)
        self.by_period[period][0] += amount
        self.by_period[period][1] += 1

    def merge(self, other: _Figures) -> None:
        self.revenue += other.revenue
        self.count += other.count
        self.contacts |= other.contacts
        for period, (amount, count) in other.by_period.items():
            self.by_period[period][0] += amount
            self.by_period[period][1] += count

    def as_json(self, periods: Iterable[date]) -> dict[str, Any]:
        points = []
        for period in periods:
            amount, count = self.by_period.get(period, (Decimal(0), 0))
            points.append({"period": period.isoformat(), "revenue": _money(amount), "count": count})
        return {"revenue": _money(self.revenue), "count": self.count, "contacts": len(self.contacts), "points": points}


def revenue_report(session: Session, query: RevenueQuery) -> dict[str, Any]:
    """The report as plain JSON values: the periods, the orders' total, and a row per group, most revenue first."""
    periods = query.interval.periods(query.first, query.last)
    total, by_source = _orders_by_source(session, query)
    if query.by is Breakdown.FLOW:
        groups = [{"key": str(flow_id), "label": name, **figures.as_json(periods)}
                  for flow_id, name, figures in _credited_by_flow(session, query)]
    else:
        groups = [{"key": key, "label": key, **figures.as_json(periods)} for key, figures in _top(by_source)]
    return {
        "first": query.first.isoformat(), "last": query.last.isoformat(), "by": query.by.value,
        "interval": query.interval.value, "periods": [period.isoformat() for period in periods],
        "revenue_events": [revenue.as_json() for revenue in revenue_events(session)],
        "total": total.as_json(periods), "groups": groups,
        "counts": "conversions" if query.by is Breakdown.FLOW else "orders",
        "additive": query.by is not Breakdown.FLOW,
        "note": FLOWS_NOTE if query.by is Breakdown.FLOW else None,
    }


def revenue_contacts(session: Session, query: RevenueQuery, key: str, limit: int, offset: int) -> dict[str, Any]:
    """The contacts behind a row's revenue (a source's orders, a flow's credited conversions), most revenue first,
    each with their revenue in the range and when they last ordered (or converted): one page, and how many."""
    found: defaultdict[int, list[Any]] = defaultdict(lambda: [Decimal(0), None])

    def add(contact_id: int, amount: Decimal, at: datetime) -> None:
        found[contact_id][0] += amount
        found[contact_id][1] = max(found[contact_id][1] or at, at)

    if query.by is Breakdown.FLOW:
        for contact_id, at, amount in session.execute(select(Run.contact_id, Run.converted_at, Run.revenue).where(
                Run.flow_id == int(key), Run.converted_at >= query.since, Run.converted_at < query.until)):
            add(contact_id, amount or Decimal(0), at)
    else:
        _total, by_source = _orders_by_source(session, query, keep_orders=True)
        shown = {shown_key for shown_key, _figures in _top(by_source)}
        for source, figures in by_source.items():
            if source == key or (key == OTHER and source not in shown):
                for order in figures.orders:
                    add(order.contact_id, order.amount, order.timestamp)
    ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
    page = ranked[offset:offset + limit]
    people = {row.id: row for row in session.execute(
        select(Contact.id, Contact.name, Contact.email).where(Contact.id.in_([contact_id for contact_id, _ in page])))}
    return {"total": len(ranked), "contacts": [
        {"id": contact_id, "name": people[contact_id].name, "email": people[contact_id].email,
         "revenue": _money(amount), "at": at} for contact_id, (amount, at) in page]}


def _orders_by_source(session: Session, query: RevenueQuery,
                      keep_orders: bool = False) -> tuple[_Figures, defaultdict[str, _Figures]]:
    """The orders in the range added up in all and by their contacts' first-touch tag (the one the breakdown
    names; the source for a breakdown by flow)."""
    total, by_source = _Figures(), defaultdict(_Figures)
    events = revenue_events(session)
    for order, tag in _orders_with_source(session, query, events) if events else ():
        period = query.interval.period_of(order.timestamp.date())
        total.add(period, order.contact_id, order.amount)
        group = by_source[tag or NONE]
        group.add(period, order.contact_id, order.amount)
        if keep_orders:
            group.orders.append(order)
    return total, by_source


def _orders_with_source(session: Session, query: RevenueQuery,
                        events: Sequence[RevenueEvent]) -> Iterable[tuple[Order, str | None]]:
    """The orders in the range, each with its contact's first-touch tag the breakdown names (the source when the
    breakdown is by flow: the orders' total is all it needs)."""
    tag = _TAGS.get(query.by, "utm_source")
    placed = orders_query(session, events, since=query.since, until=query.until).subquery()
    touch = aliased(Event)
    rows = session.execute(
        select(placed, getattr(touch, tag).label("tag"))
        .outerjoin(touch, touch.id == first_touch_id(placed.c.contact_id))
    )
    return ((order, row.tag) for order, row in orders(rows))


def _credited_by_flow(session: Session, query: RevenueQuery) -> list[tuple[int, str, _Figures]]:
    """Each flow whose goal credited conversions in the range: its converted runs, each once, and their revenue,
    most revenue first."""
    found: defaultdict[int, _Figures] = defaultdict(_Figures)
    names: dict[int, str] = {}
    runs = session.execute(
        select(Run.flow_id, Flow.name, Run.contact_id, Run.converted_at, Run.revenue)
        .join(Flow, Flow.id == Run.flow_id)
        .where(Run.converted_at >= query.since, Run.converted_at < query.until)
    )
    for flow_id, name, contact_id, converted_at, amount in runs:
        names[flow_id] = name
        found[flow_id].add(query.interval.period_of(converted_at.date()), contact_id, amount or Decimal(0))
    return sorted(((flow_id, names[flow_id], figures) for flow_id, figures in found.items()),
                  key=lambda item: (-item[2].revenue, item[1].casefold(), item[0]))


def _top(groups: dict[str, _Figures]) -> list[tuple[str, _Figures]]:
    """The groups with the most revenue (then the most orders, then by name), the rest added up as (other)."""
    ranked = sorted(groups.items(), key=lambda item: (-item[1].revenue, -item[1].count, item[0]))
    shown, rest = ranked[:SHOWN_GROUPS], ranked[SHOWN_GROUPS:]
    if len(rest) == 1:
        return ranked
    if rest:
        other = _Figures()
        for _key, figures in rest:
            other.merge(figures)
        shown.append((OTHER, other))
    return shown


def _money(amount: Decimal) -> float:
    return float(round(amount, 2))
