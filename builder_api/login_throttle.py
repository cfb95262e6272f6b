"""Login throttling: failed logins per account and per address earn a growing wait, told before scrypt runs.

Each login attempt is counted as a failure *before* its password is checked, and a success
takes it back. So the check costs one Redis round trip instead of ~100 ms of scrypt, and
concurrent guesses cannot all slip through while the first of them is still being hashed.
The counts live in Redis, shared by every API process (an in-process stand-in in embedded mode).
"""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from redis.client import Pipeline

from builder_api.accounts import normalise_email
from builder_api.settings import Settings
from workflow_runtime.dispatch.embedded import embedded_redis

KEY_PREFIX = "automap:login:"
_EXTENSION = "automap_login_throttle"
# A key is forgotten a day after its last failure: a user who mistyped yesterday starts afresh.
FORGET_AFTER_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Backoff:
    """How many failures are free, and how the wait after the last one then doubles, up to `longest_wait`."""

    free: int
    first_wait: float
    longest_wait: float

    def wait(self, failures: int) -> float:
        """Seconds the next attempt must wait after the last failure, once `failures` have been counted."""
        if failures < self.free:
            return 0.0
        # The exponent is capped so that a long-running attack cannot overflow the float.
        return min(self.longest_wait, self.first_wait * 2 ** min(failures - self.free, 32))


# An account under attack is allowed a handful of typos, then about four guesses an hour.
ACCOUNT = Backoff(free=5, first_wait=1.0, longest_wait=15 * 60)
# An address may be an office behind one NAT, so it is allowed more before it must wait alike.
ADDRESS = Backoff(free=20, first_wait=1.0, longest_wait=15 * 60)


class LoginThrottle:
    """Admits or refuses a login attempt by its email and client address; `clock` is injectable for tests."""

    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock

    def admit(self, email: str, address: str) -> int | None:
        """Count this attempt as failed and return None, or return the whole seconds to wait (counting nothing)."""
        keys = {self._account_key(email): ACCOUNT, self._address_key(address): ADDRESS}

        def attempt(pipe: Pipeline) -> int | None:
            now = self.clock()
            wait = max(self._wait(pipe, key, backoff, now) for key, backoff in keys.items())
            if wait > 0:
                return math.ceil(wait)
            pipe.multi()
            for key in keys:
                pipe.hincrby(key, "failures", 1)
                pipe.hset(key, "last", now)
                pipe.expire(key, FORGET_AFTER_SECONDS)
            return None

        # WATCH/MULTI: should another attempt change these counts between our read and our write, we read again.
        return self.redis.transaction(attempt, *keys, value_from_callable=True)

    def succeeded(self, email: str, address: str) -> None:
        """The admitted attempt was right: clear the account's failures, and take this one back from the address's."""
        # Not cleared for the address: logging in to one's own account must not reset the count of guesses
        # made at others'. admit() has just refreshed the key's expiry, so it is still there to decrement.
        pipe = self.redis.pipeline()
        pipe.delete(self._account_key(email))
        pipe.hincrby(self._address_key(address), "failures", -1)
        pipe.execute()

    def _wait(self, pipe: Pipeline, key: str, backoff: Backoff, now: float) -> float:
        failures, last = pipe.hmget(key, ["failures", "last"])
        if failures is None:
            return 0.0
        return float(last) + backoff.wait(int(failures)) - now

    @staticmethod
    def _account_key(email: str) -> str:
        # Hashed: the key has a bounded length and Redis holds no email address.
        return KEY_PREFIX + "account:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()

    @staticmethod
    def _address_key(address: str) -> str:
        return KEY_PREFIX + "address:" + address


def install(app: Flask, settings: Settings) -> None:
    """Give the app its throttle: on the deployment's Redis, or on an in-process stand-in in embedded mode."""
    redis = embedded_redis() if settings.embedded else Redis.from_url(str(settings.redis_url))
    app.extensions[_EXTENSION] = LoginThrottle(redis)


def current() -> LoginThrottle:
    """The throttle of the app handling this request."""
    return current_app.extensions[_EXTENSION]
