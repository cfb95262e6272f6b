"""A demo flow fed by simulated traffic, so statistics mode is not empty on a first visit.

`seed_demo` publishes the abandoned-cart scenario as its own flow and drives a few hundred
synthetic shoppers through it on a virtual clock, through the real runtime (events, RQ batch
jobs, the send ledger, message statuses), so its node counters, messages and conversions are
exactly what real traffic would have left. A few shoppers also write to the team on the last
days (`CONVERSATIONS`), answered, noted and closed through the inbox's own actions, so the
inbox has a thread of each kind. The simulated days end now; the flow is then paused, so it
never messages real visitors until a marketer resumes it.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from flows.scenarios import all_scenarios
from workflow_runtime.authoring import flow_store
from workflow_runtime.channels import onsite
from workflow_runtime.channels.messages import record_status
from workflow_runtime.clock import VirtualClock
from workflow_runtime.dispatch.embedded import embedded_redis
from workflow_runtime.dispatch.runtime import Runtime, build, configure
from workflow_runtime.dispatch.scheduler import queue_due_runs
from workflow_runtime.dispatch.worker import make_worker
from workflow_runtime.engine import lifecycle
from workflow_runtime.engine.attribution import UTM_TAGS
from workflow_runtime.inbox import team_actions
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import (
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    Event,
    Flow,
    Message,
    MessageStatus,
)

DEMO_SLUG = "demo:abandoned_cart"  # marks the demo flow, so seeding twice finds it and adds nothing
SCENARIO_SLUG = "abandoned_cart"
VISITORS = 300
DAYS = 9  # 300 arrivals over the first ~6 days, then every reminder and late purchase plays out
STEP = timedelta(minutes=10)  # every simulated action and every wait of the scenario falls on a step
# Shoppers arrive in groups (each group's digits, and so behaviours, are mixed): every step's work is then
# one batch job for the group rather than one commit per shopper, which keeps seeding to seconds.
GROUP = 12
GROUP_GAP = timedelta(hours=6)
PRICES = (Decimal("24.90"), Decimal("39.00"), Decimal("59.00"), Decimal("89.00"), Decimal("120.00"),
          Decimal("149.00"), Decimal("34.50"))
FIRST_NAMES = ("Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack",
               "Katie", "Liam", "Maya", "Noah", "Olivia", "Peter", "Quinn", "Ruby", "Sam", "Tara")
LAST_NAMES = ("Adams", "Brown", "Clarke", "Davies", "Evans", "Fisher", "Green", "Hughes", "Irwin", "Jones",
              "King", "Lewis", "Moore", "Norris", "Owen")


# What shoppers write to the team before the simulation ends (on its STEPs): (shopper, time before the end,
# who writes, text);
# "note" and "close" are the team's note and closing. One thread answered and awaiting the shopper's
# thanks, one waiting for its first answer, one handled and closed two days ago.
CONVERSATIONS = (
    (7, timedelta(minutes=50), "contact", "Hi! Do you ship to Berlin?"),
    (7, timedelta(minutes=30), "team", "We do: 2 to 3 days, and free over €50."),
    (7, timedelta(minutes=10), "contact", "Great, ordering now. Thanks!"),
    (13, timedelta(minutes=20), "contact", "Can I pay by invoice?"),
    (21, timedelta(days=2, hours=3), "contact", "The code CART10 did not work for me."),
    (21, timedelta(days=2, hours=2), "note", "The code had expired for this cart: sent CART15 instead."),
    (21, timedelta(days=2, hours=2), "team", "Sorry about that! Use CART15 instead, it is valid all week."),
    (21, timedelta(days=2, hours=1), "contact", "Worked, thank you."),
    (21, timedelta(days=2), "close", ""),
)


@dataclass(frozen=True)
class DemoSeed:
    """What seeding did: the demo flow's id, and whether this call created it (False: it was there already)."""

    flow_id: int
    created: bool
    visitors: int = 0


@dataclass(frozen=True)
class Action:
    """One thing a simulated shopper does: an event, or a status of a message the flow sent them."""

    visitor: int
    event: str | None = None
    properties: dict[str, Any] | None = None
    status: MessageStatus | None = None
    channel: Channel | None = None
    utm: tuple[str, str, str] | None = None  # the event's source, medium and campaign


# Where shoppers come from, by number: the UTM tags of their first visit (none for "direct"), which the revenue
# report breaks revenue down by; the `source` property says the same.
SOURCES = ("google", "newsletter", "instagram", "direct")
CAMPAIGNS = {"google": ("google", "cpc", "spring-sale"), "newsletter": ("newsletter", "email", "march-news"),
            "instagram": ("instagram", "social", "spring-sale")}


def demo_runtime(database_url: str, now: datetime) -> Runtime:
    """A runtime on the app's database whose clock starts DAYS before `now`, with a private in-process
    queue, so the simulation's jobs and wake-ups never mix with the real ones."""
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    return build(database_url, embedded_redis(), clock=VirtualClock(start))


def shopper_plan(number: int) -> list[tuple[timedelta, Action]]:
    """What shopper `number` does, as (time after the simulation starts, action).

    By the last digit: 0-1 pay within 20 minutes; 2-4 read the promo popup three hours after the
    reminder; 5-9 never see it and get the email a day later, which 5-6 open and 5 clicks. Shoppers
    whose number ends in 2 or 5 out of every 20 (one in ten) come back and pay two days later,
    10% off with the promo code.
    """
    arrival = GROUP_GAP * (number // GROUP)
    price = PRICES[number % len(PRICES)]
    digit = number % 10
    utm = CAMPAIGNS.get(SOURCES[number % len(SOURCES)])
    plan = [(arrival, Action(number, "cart_updated", {"total": float(price), "items": 1 + number % 3}, utm=utm))]
    if digit <= 1:
        return plan + [(arrival + timedelta(minutes=20), Action(number, "order_paid", {"amount": float(price)}))]
    reminded = arrival + timedelta(hours=1)
    if digit <= 4:
        plan.append((reminded + timedelta(hours=3), Action(number, status=MessageStatus.READ, channel=Channel.POPUP)))
    else:
        emailed = reminded + timedelta(days=1)
        if digit <= 6:
            status = MessageStatus.CLICKED if digit == 5 else MessageStatus.READ
            plan.append((emailed + timedelta(hours=2), Action(number, status=status, channel=Channel.EMAIL)))
    if number % 20 in (2, 5):
        paid = (price * Decimal("0.9")).quantize(Decimal("0.01"))
        plan.append((arrival + timedelta(days=2), Action(number, "order_paid", {"amount": float(paid), "promo_code": "CART10"})))
    return plan


def seed_demo(current: Runtime, visitors: int = VISITORS) -> DemoSeed:
    """Publish the demo flow and simulate `visitors` shoppers over DAYS days from the clock's time;
    does nothing if the demo flow exists already. `current` becomes this process's runtime (its
    RQ jobs run here); its clock must be a VirtualClock."""
    clock = current.clock
    if not isinstance(clock, VirtualClock):
        raise TypeError("the demo simulates time: build its runtime with demo_runtime(), on a VirtualClock")
    configure(current)
    start = clock.now()
    with current.sessions.begin() as session:
        existing = session.scalar(select(Flow.id).where(Flow.scenario_slug == DEMO_SLUG))
        if existing is not None:
            return DemoSeed(existing, created=False)
        flow = flow_store.import_flow(session, _demo_document(visitors), scenario_slug=DEMO_SLUG)
        flow_store.publish_flow(session, flow)
        contacts = [_shopper(number, start) for number in range(visitors)]
        session.add_all(contacts)
        session.flush()
        flow_id, contact_ids = flow.id, [contact.id for contact in contacts]

    timeline: defaultdict[datetime, list[Action]] = defaultdict(list)
    for number in range(visitors):
        for offset, action in shopper_plan(number):
            timeline[start + offset].append(action)
    end = start + timedelta(days=DAYS)
    talks: defaultdict[datetime, list[tuple[int, str, str]]] = defaultdict(list)
    for number, before, who, text in CONVERSATIONS:
        if number < visitors:
            talks[end - before].append((contact_ids[number], who, text))
    simulation = _Simulation(current, contact_ids)
    moment = start
    while moment <= end:
        clock.set(moment)
        simulation.drain()
        simulation.act(timeline.pop(moment, []))
        simulation.converse(talks.pop(moment, []))
        moment += STEP

    with current.sessions.begin() as session:
        lifecycle.pause_flow(session.get(Flow, flow_id))
    return DemoSeed(flow_id, created=True, visitors=visitors)


def _demo_document(visitors: int) -> dict[str, Any]:
    """The abandoned-cart scenario, renamed and described as the demo it is."""
    document = copy.deepcopy(next(t.document for t in all_scenarios() if t.slug == SCENARIO_SLUG))
    document["name"] = f"{document['name']} (demo traffic)"
    document["description"] = (
        f"Demo: {visitors} simulated shoppers over the {DAYS} days before it was seeded, so statistics mode has "
        "something to show. It is paused so it never messages your real visitors; the scenario itself is in the "
        "gallery. " + document["description"]
    )
    return document


def _shopper(number: int, now: datetime) -> Contact:
    first, last = FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[number // len(FIRST_NAMES) % len(LAST_NAMES)]
    return Contact(
        name=f"{first} {last}",
        email=f"{first}.{last}.{number}@demo.example.com".lower(),
        properties={"demo": True, "source": SOURCES[number % len(SOURCES)]},
        tags=["demo"],
        first_seen_at=now,
        last_seen_at=now,
    )


class _Simulation:
    """Feeds simulated actions to the runtime and works its private queue, as ingestion and workers would."""

    def __init__(self, current: Runtime, contact_ids: list[int]) -> None:
        self.runtime = current
        self.contact_ids = contact_ids
        self.worker = make_worker(current, drain=True)

    def drain(self) -> None:
        """Queue what is due now and work until the queue is empty."""
        while True:
            queue_due_runs(self.runtime, self.runtime.clock.now())
            if self.runtime.jobs.queue.count == 0:
                return
            self.worker.work(burst=True, logging_level="WARNING")

    def act(self, actions: list[Action]) -> None:
        """Record this moment's events (then let the workers apply them) and message statuses."""
        if not actions:
            return
        now = self.runtime.clock.now()
        with self.runtime.sessions.begin() as session:
            event_ids = unapplied_events.record(session, [
                Event(contact_id=self.contact_ids[a.visitor], name=a.event, properties=a.properties or {}, timestamp=now,
                      **dict(zip(UTM_TAGS, a.utm or (None, None, None), strict=True)))
                for a in actions if a.event
            ])
            for action in actions:
                if action.status is not None:
                    message = session.scalar(select(Message).where(
                        Message.contact_id == self.contact_ids[action.visitor], Message.channel == action.channel))
                    record_status(session, message, action.status, now)
        self.runtime.jobs.apply_events(event_ids)
        self.drain()

    def converse(self, lines: list[tuple[int, str, str]]) -> None:
        """Play this moment's inbox lines: what contacts wrote, the team's answers (emailed to nobody), notes and
        closings, through the same functions as the widget and the inbox."""
        moment = self.runtime.clock.now()
        for contact_id, who, text in lines:
            with self.runtime.sessions.begin() as session:
                if who == "contact":
                    event_ids = onsite.visitor_message(session, contact_id, text, moment).event_ids
                else:
                    conversation_id = session.scalar(select(Conversation.id).where(Conversation.contact_id == contact_id))
                    if who == "team":
                        change = team_actions.send_message(session, None, conversation_id, text, moment, None)
                    elif who == "note":
                        change = team_actions.add_note(session, None, conversation_id, text, moment)
                    else:
                        change = team_actions.update(session, None, conversation_id, moment,
                                                     status=ConversationStatus.CLOSED)
                    event_ids = change.event_ids
            self.runtime.jobs.apply_events(event_ids)
            self.drain()
