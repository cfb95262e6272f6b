"""A per-process rate limit on sends (AUTOMAP_SMTP_RATE): emails are spaced evenly, `1 / rate` seconds apart.

Each `acquire` books the next free slot (a theoretical arrival time, as GCRA does) and then waits for
it, so the sessions sending in parallel share the rate between them, in any order. Sends run on the
process's SMTP loop (`smtp_loop`), whose one thread books the slots, so booking needs no lock.
It limits one worker process: N workers send up to N times the rate. Time is `time.monotonic`
unless a test injects a virtual `clock` and `sleep`.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable


class SendRate:
    """At most `per_second` acquisitions a second, the first at once."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if per_second <= 0:
            raise ValueError(f"a send rate is a number of emails per second above 0, not {per_second}")
        self.interval = 1.0 / per_second
        self.clock = clock
        self.sleep = sleep
        self._next = float("-inf")

    async def acquire(self) -> None:
        """Wait until this send may go."""
        now = self.clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self.sleep(slot - now)


_rates: dict[tuple[object, float], SendRate] = {}
_rates_lock = threading.Lock()  # deliverers are made on the job threads


def rate_for(key: object, per_second: float | None) -> SendRate | None:
    """This process's limit for `key` (an SMTP server) at `per_second`, shared by its deliveries; None: unlimited."""
    if per_second is None:
        return None
    with _rates_lock:
        rate = _rates.get((key, per_second))
        if rate is None:
            rate = _rates[(key, per_second)] = SendRate(per_second)
        return rate
