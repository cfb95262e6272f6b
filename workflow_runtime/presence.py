"""Whether a contact is on the site right now: a short-lived Redis key its open widget streams keep alive.

Why Redis and not a `last_seen` column: presence is a fact about the next few seconds, not a
record. Every open stream refreshes it on each heartbeat (every 15 s by default), which as a
database write would be one UPDATE per visitor every 15 s, fighting the runtime's row locks on
contacts; a Redis `SET … EX` costs nothing and forgets a visitor by itself once the tab is
closed (no stream refreshes the key, so it expires). Losing Redis loses only this fact: every
visitor then counts as away, which errs towards sending the email fallback, never towards
dropping it. Several tabs share the key; none deletes it on closing, the last one to go lets
it expire.
"""
from __future__ import annotations

from redis import Redis

from workflow_runtime import runtime

_PREFIX = "automap:presence:contact:"


def presence_key(contact_id: int) -> str:
    """The Redis key that exists while `contact_id` has a widget stream open."""
    return f"{_PREFIX}{contact_id}"


def mark_on_site(connection: Redis, contact_id: int, ttl_seconds: float) -> None:
    """Note that the contact has a stream open, for the next `ttl_seconds` (a stream calls this on each heartbeat)."""
    connection.set(presence_key(contact_id), b"1", px=max(int(ttl_seconds * 1000), 1))


def is_on_site(connection: Redis, contact_id: int) -> bool:
    """True while one of the contact's widget streams has refreshed its key recently."""
    return bool(connection.exists(presence_key(contact_id)))


def contact_on_site(contact_id: int) -> bool:
    """Presence through this process's runtime (the Redis the streams write to); False where none is configured."""
    current = runtime.configured()
    return current is not None and is_on_site(current.dispatcher.connection, contact_id)
