"""Group commit: the ledger writes that parallel sends ask for at once share one transaction.

A send that needs its write durable before it goes on (`run`: mark an email `submitting` before
its message goes out) queues it and waits. If no commit is under way, one starts: it takes everything queued —
this write, other sends' and the outcomes queued with `add` — and commits them in one transaction
on the ledger's own thread (the event loop goes on sending meanwhile); writes queued while it runs
go into the next one. Transactions therefore grow with the load instead of costing one per email,
and a write waits at most for the commit under way and its own. `add` queues a write without
waiting (an outcome recorded after the SMTP hand-over): it is committed with the next group, at the
latest by `flush`.

A write is an item and the batch writer that writes it: the group calls each batch writer once
with all its items (one UPDATE marks every email of the group `submitting`, one statement adds up
their counters), and each waiting send gets its own item's result.

If a transaction fails (the database is down), every write in it is rolled back and every waiting
send raises the error; what `add` queued in it is lost with it, as a crash would lose it.
All of it runs on one event loop (`smtp_loop`), so the queue needs no lock.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
R = TypeVar("R")
# Writes a group's items of one kind in the group's transaction; returns a result per item, in order.
BatchWriter = Callable[[Session, Sequence[Any]], Sequence[Any]]


def _nothing(_session: Session, items: Sequence[Any]) -> list[None]:
    return [None] * len(items)


@dataclass
class _Ticket:
    """One queued item and its batch writer, and the future of whoever waits for its result (None: nobody)."""

    writer: BatchWriter
    item: Any
    waiting: asyncio.Future[Any] | None


class GroupCommit:
    """Writes from parallel sends committed together on `thread` (a single-thread executor); see the module docstring."""

    def __init__(self, sessions: sessionmaker[Session], thread: Executor) -> None:
        self.sessions = sessions
        self.thread = thread
        self.transactions = 0  # commits made (tests and benchmarks read it)
        self._queue: list[_Ticket] = []
        self._committing: asyncio.Task[None] | None = None

    async def run(self, writer: Callable[[Session, Sequence[T]], Sequence[R]], item: T) -> R:
        """Commit `item` (with whatever else is queued) and return what `writer` gave for it; raises what the
        transaction raised."""
        waiting: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append(_Ticket(writer, item, waiting))
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_queued())
        return await waiting

    def add(self, writer: BatchWriter, item: Any) -> None:
        """Queue `item` for the next commit without waiting for it."""
        self._queue.append(_Ticket(writer, item, None))

    async def flush(self) -> None:
        """Commit everything queued so far."""
        await self.run(_nothing, None)

    async def _commit_queued(self) -> None:
        """Commit groups until nobody waits for one: each takes what was queued when it started."""
        loop = asyncio.get_running_loop()
        while any(ticket.waiting is not None for ticket in self._queue):
            group, self._queue = self._queue, []
            try:
                results = await loop.run_in_executor(self.thread, self._write, group)
            except Exception as error:  # noqa: BLE001 - handed to every send whose write was in the group
                for ticket in group:
                    if ticket.waiting is not None and not ticket.waiting.done():
                        ticket.waiting.set_exception(error)
                continue
            for ticket, result in zip(group, results, strict=True):
                if ticket.waiting is not None and not ticket.waiting.done():
                    ticket.waiting.set_result(result)

    def _write(self, group: list[_Ticket]) -> list[Any]:
        """The group's writes in one transaction (on the ledger's thread); a result per ticket."""
        results: list[Any] = [None] * len(group)
        by_writer: dict[BatchWriter, list[int]] = {}
        for index, ticket in enumerate(group):
            by_writer.setdefault(ticket.writer, []).append(index)
        with self.sessions.begin() as session:
            for writer, indexes in by_writer.items():
                for index, result in zip(indexes, writer(session, [group[index].item for index in indexes]), strict=True):
                    results[index] = result
        self.transactions += 1
        return results
