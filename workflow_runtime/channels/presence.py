"""Whether a contact is on the site right now: a short-lived Redis key its open widget streams keep alive.

Why Redis and not a `last_seen` column: presence is a fact about the next few seconds, not a
record. Every open stream refreshes it on each heartbeat (every 15 s by default), which as a
database write would be one UPDATE per visitor every 15 s, fighting the runtime's row locks on
contacts; a Redis `SET … PX` costs nothing and forgets a visitor by itself once the tab is
closed (no stream refreshes the key, so it expires). The key's value is when it lapses on the
runtime's clock, so on virtual time a visitor leaves as time moves, like everything else. Losing Redis loses only this fact: every
visitor then counts as away, which errs towards sending the email fallback, never towards
dropping it. Several tabs share the key; none deletes it on closing, the last one to go lets
it expire.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from redis import Redis

_PREFIX = "automap:presence:contact:"


def presence_key(contact_id: int) -> str:
    """The Redis key that exists while `contact_id` has a widget stream open."""
    return f"{_PREFIX}{contact_id}"


def mark_on_site(connection: Redis, contact_id: int, ttl_seconds: float, now: datetime) -> None:
    """Note that the contact has a stream open, for the next `ttl_seconds` (a stream calls this on each heartbeat).

    The key holds when it lapses on the runtime's clock, so virtual time (tests, simulations) ages it
    too; Redis also expires it after `ttl_seconds` of real time, so nothing is left behind.
    """
    until = now.timestamp() + ttl_seconds
    connection.set(presence_key(contact_id), repr(until).encode(), px=max(int(ttl_seconds * 1000), 1))


def is_on_site(connection: Redis, contact_id: int, now: datetime) -> bool:
    """True while one of the contact's widget streams has refreshed its key recently."""
    return contact_id in on_site(connection, [contact_id], now)


def on_site(connection: Redis, contact_ids: Collection[int], now: datetime) -> set[int]:
    """Those of the contacts that are on the site now (one round trip)."""
    ids = list(contact_ids)
    if not ids:
        return set()
    lapses = connection.mget([presence_key(contact_id) for contact_id in ids])
    return {contact_id for contact_id, until in zip(ids, lapses) if until is not None and float(until) > now.timestamp()}

