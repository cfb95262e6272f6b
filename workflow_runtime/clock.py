"""Time is injected: one `Clock` interface, the real one and virtual ones that never sleep.

The engine asks a clock for "now" instead of calling `datetime.now()`, so tests,
simulations and benchmarks move time by `advance`/`set`. `VirtualClock` serves one
process (its threads included); `RedisClock` keeps the virtual time in a Redis key so
several worker processes read the same time.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from nodes.timing import as_utc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the time; `now()` is always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, for production."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """A clock that moves only when told to; thread-safe, so a worker thread and a test share it."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Moves time forward by `delta` and returns the new time.

        Raises:
            ValueError: if `delta` is negative (time never goes backwards).
        """
        if delta < timedelta(0):
            raise ValueError(f"A clock cannot go backwards; advance by a non-negative duration, not {delta}.")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        """Jumps to `moment`.

        Raises:
            ValueError: if `moment` is naive or earlier than the current time.
        """
        moment = as_utc(moment)
        with self._lock:
            if moment < self._now:
                raise ValueError(
                    f"A clock cannot go backwards: it reads {self._now.isoformat()}, "
                    f"so it cannot be set to {moment.isoformat()}."
                )
            self._now = moment

    def __repr__(self) -> str:
        return f"VirtualClock({self.now().isoformat()})"


def _to_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


# The read-check-write of both scripts must be atomic, or two processes moving the
# shared clock at once would lose an update or move it backwards.
_ADVANCE_SCRIPT = """
if not redis.call('GET', KEYS[1]) then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""

_SET_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) > tonumber(ARGV[1]) then return {0, current} end
redis.call('SET', KEYS[1], ARGV[1])
return {1, ARGV[1]}
"""


class RedisClock:
    """A virtual clock shared by processes: the time is a Redis key holding epoch microseconds (UTC).

    Args:
        connection: a redis-py (or fakeredis) client; each process may use its own.
        key: the Redis key that holds the time.
    """

    def __init__(self, connection: Any, key: str = "automap:clock") -> None:
        self.connection = connection
        self.key = key
        self._advance = connection.register_script(_ADVANCE_SCRIPT)
        self._set = connection.register_script(_SET_SCRIPT)

    def now(self) -> datetime:
        """The shared time.

        Raises:
            RuntimeError: if the key was never set.
        """
        raw = self.connection.get(self.key)
        if raw is None:
            raise self._unset()
        return _from_micros(int(raw))

    def advance(self, delta: timedelta) -> datetime:
        """Moves the shared time forward by `delta` atomically and returns the new time.

        Raises:
            ValueError: if `delta` is negative.
            RuntimeError: if the key was never set.
        """
        if delta < timedelta(0):
            raise ValueError(f"A clock cannot go backwards; advance by a non-negative duration, not {delta}.")
        micros = self._advance(keys=[self.key], args=[delta // timedelta(microseconds=1)])
        if micros is None:
            raise self._unset()
        return _from_micros(int(micros))

    def set(self, moment: datetime) -> None:
        """Jumps the shared time to `moment` (the first `set` starts the clock).

        Raises:
            ValueError: if `moment` is naive or earlier than the shared time.
        """
        moment = as_utc(moment)
        done, current = self._set(keys=[self.key], args=[_to_micros(moment)])
        if not int(done):
            raise ValueError(
                f"A clock cannot go backwards: the key {self.key!r} reads {_from_micros(int(current)).isoformat()}, "
                f"so it cannot be set to {moment.isoformat()}."
            )

    def _unset(self) -> RuntimeError:
        return RuntimeError(
            f"The shared clock in Redis key {self.key!r} was never set; call RedisClock.set(start) before reading it."
        )

    def __repr__(self) -> str:
        return f"RedisClock(key={self.key!r})"
