"""A generated history for forecast tests: a scenario live on virtual time, with contacts acting on a half-hour grid.

Every action falls on the grid and every wait of the scenarios is a whole number of half-hours, so the live
runtime, ticked every half-hour, handles each wake-up on time, as the forecast's replay does.
"""
from __future__ import annotations

import copy
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from tests.scenarios.scenario_support import SCENARIOS
from tests.workflow_runtime.runtime_support import track_all
from workflow_runtime.channels.messages import record_status
from workflow_runtime.forecast.forecasts import request_forecast, run_forecast
from workflow_runtime.forecast.window import Window
from workflow_runtime.storage.models import Contact, Forecast, Message, MessageStatus

GRID = timedelta(minutes=30)
WINDOW_START = datetime(2026, 3, 3, tzinfo=UTC)  # a midnight: counters are per UTC day
REACTIONS = (MessageStatus.READ, MessageStatus.CLICKED, MessageStatus.REPLIED, MessageStatus.DISMISSED,
             MessageStatus.DELIVERED)


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside `value`."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def event_names(document: dict[str, Any]) -> list[str]:
    """Every event the document names (triggers, waits, goals, exit rules, conditions)."""
    names = {item["event"] for item in walk(document) if isinstance(item.get("event"), str)}
    return sorted(names | {"page_viewed"})


def matching(document: dict[str, Any], name: str) -> dict[str, Any]:
    """Properties that pass the `where` rules of the document's triggers on `name`."""
    properties: dict[str, Any] = {}
    for node in document["nodes"]:
        if node["type"] == "trigger" and node["config"].get("event") == name:
            for rule in node["config"].get("where", []):
                value = rule.get("value")
                properties[rule["property"]] = value + 1 if rule["op"] == "gt" else value or "given"
    return properties


@dataclass
class Plan:
    """What happens at each grid step: events (contact, name, properties), statuses, unsubscribes, broadcasts."""

    events: defaultdict[int, list[tuple[int, str, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(list))
    unsubscribes: defaultdict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    broadcasts: defaultdict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


def plan_history(document: dict[str, Any], contacts: list[int], steps: int, seed: str) -> Plan:
    """Random but fixed behaviour: a few events each, some unsubscribes, a broadcast for a manual trigger."""
    rng = random.Random(seed)
    names = event_names(document)
    plan = Plan()
    for contact in contacts:
        for _ in range(rng.randint(0, 6)):
            name = rng.choice(names)
            properties = matching(document, name) if rng.random() < 0.8 else {}
            properties["amount"] = rng.choice([20, 35.5, 120])
            plan.events[rng.randrange(steps)].append((contact, name, properties))
        if rng.random() < 0.05:
            plan.unsubscribes[rng.randrange(steps)].append(contact)
    if any(node["type"] == "trigger" and node["config"].get("on") == "manual" for node in document["nodes"]):
        plan.broadcasts[rng.randrange(steps // 2)] = sorted(rng.sample(contacts, len(contacts) * 2 // 3))
    return plan


def make_contacts(harness: Any, count: int, seed: str) -> list[int]:
    """Contacts with the properties the scenarios' conditions ask about; one in eight without an email address."""
    rng = random.Random(seed)
    with harness.runtime.sessions.begin() as session:
        contacts = [Contact(name=f"Contact {n}", email=None if n % 8 == 7 else f"c{n}@example.com",
                            properties={"business_type": rng.choice(["landing", "online_store", "saas", "other"]),
                                        "plan_status": rng.choice(["active", "cancelled", "trial"]),
                                        "plan": rng.choice(["trial", "pro"])},
                            first_seen_at=harness.clock.now(), last_seen_at=harness.clock.now())
                    for n in range(count)]
        session.add_all(contacts)
        session.flush()
        return [contact.id for contact in contacts]


def react(harness: Any, flow_id: int, rng: random.Random) -> None:
    """Some contacts act on a message of the flow they have not acted on yet: one status each, so the time the
    ledger keeps (its last change) is the time of every status it reached."""
    with harness.runtime.sessions.begin() as session:
        messages = session.scalars(select(Message).where(Message.run_id.is_not(None)).order_by(Message.id)).all()
        fresh = [message for message in messages if message.statuses == ["sent"]]
        for message in rng.sample(fresh, min(len(fresh), rng.randint(0, 3))):
            record_status(session, message, rng.choice(REACTIONS), harness.clock.now())


def play(harness: Any, flow_id: int, plan: Plan, steps: int, seed: str) -> None:
    """Live: at each grid step, what falls due, then statuses and unsubscribes, broadcasts, then the events."""
    rng = random.Random(seed + ":reactions")
    for step in range(steps):
        moment = WINDOW_START + step * GRID
        harness.advance(moment - harness.clock.now())
        react(harness, flow_id, rng)
        if plan.unsubscribes[step]:
            with harness.runtime.sessions.begin() as session:
                session.execute(update(Contact).where(Contact.id.in_(plan.unsubscribes[step]))
                                .values(unsubscribed_at=moment))
            track_all(harness, plan.unsubscribes[step], "unsubscribed")
        if plan.broadcasts[step]:
            harness.broadcast(flow_id, contact_ids=plan.broadcasts[step])
        by_name: defaultdict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        for contact, name, properties in plan.events[step]:
            by_name[name].append((contact, properties))
        for name, items in sorted(by_name.items()):
            track_all(harness, [contact for contact, _ in items], name, [props for _, props in items])
    harness.advance(WINDOW_START + steps * GRID - harness.clock.now())


def live_scenario(harness: Any, slug: str, contacts: int, days: int) -> tuple[int, Window]:
    """Publish the scenario at the window's start and play a generated history through it live; returns the flow
    and the window."""
    harness.clock.set(WINDOW_START)
    flow_id = harness.publish(copy.deepcopy(SCENARIOS[slug]))
    steps = days * 24 * 2
    people = make_contacts(harness, contacts, slug)
    play(harness, flow_id, plan_history(SCENARIOS[slug], people, steps, slug), steps, slug)
    return flow_id, Window(WINDOW_START, WINDOW_START + timedelta(days=days))


def forecast(harness: Any, flow_id: int, version: int | None, window: Window) -> Forecast:
    """Ask for a forecast and run its job's function in this process; returns the finished row."""
    with harness.runtime.sessions.begin() as session:
        forecast_id = request_forecast(session, flow_id, version, window, harness.clock.now()).id
    run_forecast(harness.runtime.sessions, forecast_id)
    with harness.session() as session:
        return session.get(Forecast, forecast_id)
