"""SMTP sessions kept open across a worker's delivery batches: opening one costs more round trips than an email.

A process keeps one `SmtpPool` per server (`pool_for`), in its SMTP event loop (`smtp_loop`), where
every session lives. A sending task holds a `SmtpLane`: the session it sends on, taken from the pool
on first use and given back when the task is done. A session is retired after `max_age` seconds or
`max_messages` mail transactions (servers limit both), closed when it broke, and asked NOOP when it
sat idle longer than `idle_check` (the server may have timed it out). A pooled session that turns out
dead when an email is started on it (`SmtpDropped`: before the message went, so the server does not
have it) is replaced once and the email sent on the new one; a failure on a new session is the
server's, and the caller's to handle. Sessions are used on the loop's one thread only, so they need no lock.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from email.message import EmailMessage
from typing import TypeVar

from workflow_runtime.channels.smtp import SmtpConnection, SmtpDropped, SmtpServer

MAX_AGE = 300.0  # seconds a session is used for
MAX_MESSAGES = 500  # mail transactions per session
IDLE_CHECK = 15.0  # seconds idle after which a session is checked with NOOP before it is used again
MAX_IDLE = 64  # sessions kept open per server; more are closed when given back
T = TypeVar("T")


class SmtpPool:
    """Idle sessions to one server, shared by the sending tasks of a process."""

    def __init__(self, server: SmtpServer, *, max_age: float = MAX_AGE, max_messages: int = MAX_MESSAGES,
                 idle_check: float = IDLE_CHECK, clock: Callable[[], float] = time.monotonic) -> None:
        self.server = server
        self.max_age = max_age
        self.max_messages = max_messages
        self.idle_check = idle_check
        self.clock = clock
        self.opened = 0  # sessions opened so far (tests and benchmarks read it)
        self._idle: list[tuple[SmtpConnection, float]] = []  # (session, given back at)

    async def take(self) -> SmtpConnection:
        """An idle session still fit for use, or a new one; SmtpRetry if the server cannot be reached."""
        while self._idle:
            connection, since = self._idle.pop()  # the most recent: the likeliest to be alive
            if self.worn(connection) or (self.clock() - since > self.idle_check and not await connection.healthy()):
                await connection.close()
                continue
            return connection
        return await self.open()

    async def open(self) -> SmtpConnection:
        """A new session (not taken from the idle ones); SmtpRetry if the server cannot be reached."""
        connection = await self.server.open()
        connection.opened_at = self.clock()
        self.opened += 1
        return connection

    async def give_back(self, connection: SmtpConnection) -> None:
        """Keep the session for the next batch, or close it if it broke, is worn or too many are idle."""
        if not connection.broken and not self.worn(connection) and len(self._idle) < MAX_IDLE:
            self._idle.append((connection, self.clock()))
            return
        await connection.close()

    def worn(self, connection: SmtpConnection) -> bool:
        """True once the session reached its age or message limit."""
        return (connection.transactions >= self.max_messages
                or self.clock() - connection.opened_at >= self.max_age)

    async def close(self) -> None:
        """Close every idle session (a process shutting down, a test ending)."""
        idle, self._idle = self._idle, []
        await asyncio.gather(*(connection.close() for connection, _since in idle))


class SmtpLane:
    """The session one sending task uses for a run of emails; `close` gives it back to the pool."""

    def __init__(self, pool: SmtpPool) -> None:
        self.pool = pool
        self._connection: SmtpConnection | None = None

    async def send(self, message: EmailMessage | bytes, sender: str, recipient: str,
                   before_data: Callable[[], Awaitable[bool]] | None = None) -> bool:
        """SmtpConnection.send on this lane's session, replacing a worn one, and a reused one found dead once."""
        connection = self._connection
        if connection is not None and (connection.broken or self.pool.worn(connection)):
            await self.close()
        if self._connection is None:
            self._connection = await self.pool.take()
        connection = self._connection
        reused = connection.transactions > 0
        try:
            return await connection.send(message, sender, recipient, before_data)
        except SmtpDropped:
            if not reused:
                raise
        await self.close()  # a kept session the server had closed: the email was not started, so send it on a new one
        self._connection = await self.pool.open()
        return await self._connection.send(message, sender, recipient, before_data)

    async def close(self) -> None:
        """Give the session back (or close it if it broke)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await self.pool.give_back(connection)


async def fan_out(pool: SmtpPool, lanes: int, take: Callable[[], Awaitable[T | None]],
                  send: Callable[[SmtpLane, T], Awaitable[int]]) -> int:
    """Send what `take` gives (None: no more) over up to `lanes` sessions at once, each lane taking the next item as it
    is free; returns the sum of what `send(lane, item)` returned. Raises the first error once all lanes are done."""
    async def work() -> int:
        lane = SmtpLane(pool)  # opens its session with its first email: a lane that gets none opens none
        done = 0
        try:
            while (item := await take()) is not None:
                done += await send(lane, item)
            return done
        finally:
            await lane.close()

    shares = await asyncio.gather(*(work() for _ in range(lanes)), return_exceptions=True)
    for share in shares:
        if isinstance(share, BaseException):
            raise share
    return sum(shares)  # type: ignore[arg-type]


def taking(items: Iterable[T]) -> Callable[[], Awaitable[T | None]]:
    """A `take` for fan_out over items known in advance (none of them None)."""
    remaining = iter(items)

    async def take() -> T | None:
        return next(remaining, None)

    return take


_pools: dict[SmtpServer, SmtpPool] = {}
_pools_lock = threading.Lock()  # deliverers are made on the job threads


def pool_for(server: SmtpServer) -> SmtpPool:
    """This process's pool of sessions to `server` (to be used on the SMTP loop)."""
    with _pools_lock:
        pool = _pools.get(server)
        if pool is None:
            pool = _pools[server] = SmtpPool(server)
        return pool
