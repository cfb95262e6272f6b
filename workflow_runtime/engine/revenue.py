"""What counts as revenue: the workspace's revenue events, and the orders they are, read from the stored events.

A flow's goal credits its conversions with revenue, but a contact's revenue is not the sum of those credits:
an order two flows credited would count twice, and an order no flow credited not at all. It is the sum of the
contact's revenue events, each once: the events the workspace names on the Settings page, each with the
property holding its amount. Until someone saves that setting, `order_paid` with its `amount` (what the template
scenarios' goals read) and the Segment e-commerce spec's `Order Completed` with its `revenue` count.

An amount is read as a goal reads one (`nodes.goal.revenue_amount`: a number or numeric text, in cents, below
10^16; anything else makes the event no order). SQL picks the events and the value at the property's path
(through objects only, as a goal's path); Python parses and adds up the amounts exactly, so the rule is
written once.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from nodes.goal import revenue_amount
from workflow_runtime.storage.models import Event, WorkspaceSetting

SETTING = "revenue_events"
MAX_REVENUE_EVENTS = 20


@dataclass(frozen=True)
class RevenueEvent:
    """An event that is an order, and the dotted path of the property holding its amount."""

    event: str
    amount_property: str

    def as_json(self) -> dict[str, str]:
        return {"event": self.event, "amount_property": self.amount_property}


DEFAULT_REVENUE_EVENTS = (RevenueEvent("order_paid", "amount"), RevenueEvent("Order Completed", "revenue"))


@dataclass(frozen=True)
class Order:
    """One revenue event with an amount."""

    event_id: int
    contact_id: int
    timestamp: datetime
    amount: Decimal


def revenue_events(session: Session) -> tuple[RevenueEvent, ...]:
    """The workspace's revenue events: as saved, else the defaults."""
    saved = session.get(WorkspaceSetting, SETTING)
    if saved is None:
        return DEFAULT_REVENUE_EVENTS
    return tuple(RevenueEvent(item["event"], item["amount_property"]) for item in saved.value)


def save_revenue_events(session: Session, events: Sequence[RevenueEvent], now: datetime) -> None:
    """Replace the workspace's revenue events (an empty list: no event is revenue). Each event is named once, so
    no order counts twice; the caller checks that."""
    names = [revenue.event for revenue in events]
    if len(set(names)) != len(names):
        raise ValueError("An event is listed twice: each revenue event is named once.")
    value = [revenue.as_json() for revenue in events]
    saved = session.get(WorkspaceSetting, SETTING)
    if saved is None:
        session.add(WorkspaceSetting(name=SETTING, value=value, updated_at=now))
    else:
        saved.value, saved.updated_at = value, now


def orders_query(session: Session, events: Sequence[RevenueEvent], *, since: datetime | None = None,
                 until: datetime | None = None, contact_ids: Iterable[int] | None = None) -> Select[Any]:
    """The revenue events in [since, until) (of the contacts named, when named), with their amount's raw value as
    the column `raw`: a subquery for callers that join more to it. Read its rows through `orders`."""
    dialect = session.get_bind().dialect.name
    amount = case(*((Event.name == revenue.event, _value_at(revenue.amount_property, dialect)) for revenue in events))
    query = select(Event.id, Event.contact_id, Event.timestamp, amount.label("raw")).where(
        Event.name.in_([revenue.event for revenue in events]))
    if since is not None:
        query = query.where(Event.timestamp >= since)
    if until is not None:
        query = query.where(Event.timestamp < until)
    if contact_ids is not None:
        query = query.where(Event.contact_id.in_(list(contact_ids)))
    return query


def orders(rows: Iterable[Any]) -> Iterator[tuple[Order, Any]]:
    """Each row of a query over `orders_query` as an Order, with the row, skipping the events whose property holds
    no amount."""
    for row in rows:
        amount = revenue_amount(row.raw)
        if amount is not None:
            yield Order(row.id, row.contact_id, row.timestamp, amount), row


@dataclass
class LifetimeRevenue:
    """A contact's revenue events ever: their amounts added up, how many, the first and the last."""

    revenue: Decimal = Decimal(0)
    orders: int = 0
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None

    def add(self, order: Order) -> None:
        self.revenue += order.amount
        self.orders += 1
        self.first_order_at = min(self.first_order_at or order.timestamp, order.timestamp)
        self.last_order_at = max(self.last_order_at or order.timestamp, order.timestamp)

    def as_json(self) -> dict[str, Any]:
        return {"revenue": float(self.revenue), "orders": self.orders,
                "first_order_at": self.first_order_at, "last_order_at": self.last_order_at}


def lifetime_revenue(session: Session, contact_ids: Iterable[int]) -> dict[int, LifetimeRevenue]:
    """Each named contact's lifetime revenue (a contact without orders gets zeros), read on the events' contact
    index: a page of contacts at a time."""
    ids = list(contact_ids)
    found = {contact_id: LifetimeRevenue() for contact_id in ids}
    events = revenue_events(session)
    if ids and events:
        for order, _row in orders(session.execute(orders_query(session, events, contact_ids=ids))):
            found[order.contact_id].add(order)
    return found


def _value_at(path: str, dialect: str) -> ColumnElement[Any]:
    """The number or text at `path` in an event's properties, through objects only (a step into a list finds
    nothing, as a goal reads a path); NULL for anything else."""
    steps = path.split(".")
    if dialect == "postgresql":
        value = Event.properties[steps[0]]
        for step in steps[1:]:
            value = value[step]  # jsonb -> text: NULL on anything but an object
        return case((func.jsonb_typeof(value).in_(("number", "string")), value.as_string()))
    json_path = "$" + "".join(f'."{step}"' for step in steps)
    return case((func.json_type(Event.properties, json_path).in_(("integer", "real", "text")),
                 func.json_extract(Event.properties, json_path)))
