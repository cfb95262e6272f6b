"""The wake-up set: a Redis sorted set that mirrors each waiting run's `wake_at` (~120 bytes a member).

The database's indexed `wake_at` column is the truth; `reconciler` rebuilds the set from it after a
flush, a restart or a lost job. The scheduler claims due members and queues them as batch jobs.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from redis import Redis

WAKEUPS_KEY = "automap:wakeups"
_MIRROR_CHUNK = 10_000  # members per ZADD

# Take the due members and remove them in one step, so two schedulers never both enqueue a run.
_CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return ids
"""
_CLAIM_LIMIT = 5000  # members per script call: Lua's unpack() takes a few thousand arguments


class WakeupSet:
    """When each waiting run is next due, by run id."""

    def __init__(self, connection: Redis) -> None:
        self.connection = connection
        self._claim_due = connection.register_script(_CLAIM_DUE)

    def mirror(self, wakeups: Mapping[int, datetime]) -> None:
        """Record when each run is next due (after the transaction that decided it committed)."""
        items = list(wakeups.items())
        for start in range(0, len(items), _MIRROR_CHUNK):
            chunk = {str(run_id): at.timestamp() for run_id, at in items[start:start + _MIRROR_CHUNK]}
            self.connection.zadd(WAKEUPS_KEY, chunk)

    def claim_due(self, now: datetime) -> Iterator[list[int]]:
        """Take the runs due by `now` out of the set, a few thousand at a time; whoever claims a run queues it."""
        while ids := [int(member) for member in self._claim_due(keys=[WAKEUPS_KEY], args=[now.timestamp(), _CLAIM_LIMIT])]:
            yield ids

    def count(self) -> int:
        """How many wake-ups the set holds."""
        return int(self.connection.zcard(WAKEUPS_KEY))
