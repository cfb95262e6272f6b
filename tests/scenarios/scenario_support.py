"""What the scenario tests share: publishing a scenario, a synthetic population,
the runtime's split rule, and message statuses as the channels would report them."""
from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from flows.scenarios import all_scenarios
from workflow_runtime.channels.messages import record_status
from workflow_runtime.storage.models import Channel, Contact, Message, MessageStatus

SCENARIOS = {scenario.slug: scenario.document for scenario in all_scenarios()}


def publish_scenario(harness: Any, slug: str) -> int:
    """Import the shipped scenario as a draft and publish it, as the gallery does; returns the flow id."""
    return harness.publish(copy.deepcopy(SCENARIOS[slug]))


def node_config(slug: str, node_id: str) -> Mapping[str, Any]:
    """A node's config in the shipped scenario."""
    return next(node["config"] for node in SCENARIOS[slug]["nodes"] if node["id"] == node_id)


def population(harness: Any, count: int, prefix: str, **fields: Any) -> list[int]:
    """`count` contacts created in one transaction, named `<prefix> <n>` with addresses `<prefix>-<n>@example.com`
    (unless `email=None`); `fields` go to every contact."""
    with harness.runtime.sessions.begin() as session:
        contacts = [
            Contact(
                name=f"{prefix.title()} {number}",
                email=fields.get("email", f"{prefix}-{number}@example.com"),
                properties=dict(fields.get("properties", {})),
                first_seen_at=harness.clock.now(),
                last_seen_at=harness.clock.now(),
            )
            for number in range(count)
        ]
        session.add_all(contacts)
        session.flush()
        return [contact.id for contact in contacts]


def split_variant(contact_id: int, flow_id: int, node_id: str, variants: Sequence[Mapping[str, Any]]) -> str:
    """The variant the runtime gives this contact: the rule of interpreter.RunContext.split_point
    (sha256 of "contact:flow:node", first 8 bytes over 2**64) read through nodes.split.Split.execute
    (the first variant whose cumulative weight exceeds point × 100)."""
    seed = f"{contact_id}:{flow_id}:{node_id}".encode()
    point = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") / 2**64 * 100
    reached = 0.0
    for variant in variants:
        reached += variant["weight"]
        if point < reached:
            return variant["id"]
    return variants[-1]["id"]


def report_status(harness: Any, contact_ids: Sequence[int], node_id: str, channel: str, status: MessageStatus) -> None:
    """What the widget or the email tracking reports: each contact's message from `node_id` on `channel`
    reached `status` (counted once at its node, with the statuses it implies)."""
    with harness.runtime.sessions.begin() as session:
        messages = session.scalars(
            select(Message).where(Message.contact_id.in_(contact_ids), Message.node_id == node_id,
                                  Message.channel == Channel(channel))
        ).all()
        assert len(messages) == len(contact_ids), f"{len(messages)} {channel} messages from {node_id}, not {len(contact_ids)}"
        for message in messages:
            record_status(session, message, status, harness.clock.now())


def sent_subjects(harness: Any, contact_id: int) -> list[str]:
    """The subjects (emails) or titles/bodies (popups, chats) of everything the contact was sent, in order."""
    return [
        message.content.get("subject") or message.content.get("title") or message.content["body"]
        for message in harness.messages(contact_id)
    ]


def at(start: datetime, **offset: float) -> datetime:
    """`start` plus a timedelta given as keyword arguments (days=…, hours=…, minutes=…)."""
    return start + timedelta(**offset)


def live_until(harness: Any, moment: datetime, step: timedelta = timedelta(minutes=30)) -> None:
    """Move virtual time to `moment` in steps, processing what falls due at each one.

    A due run is advanced at the tick that finds it, so one jump of days would send every
    waiting step late; the scenarios' waits are whole half-hours, so half-hour steps keep
    each one on time.
    """
    while harness.clock.now() < moment:
        harness.advance(min(step, moment - harness.clock.now()))
