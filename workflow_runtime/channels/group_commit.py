"""Group commit: the ledger writes that parallel sending threads ask for at once share one transaction.

A thread that needs its write durable before it goes on (`run`: mark an email `submitting` before
its DATA) queues it and waits. If no commit is under way it becomes the committer: it takes
everything queued — its own write, other threads' and the outcomes queued with `add` — and commits
them in one transaction; meanwhile new writes queue up for the next one. Transactions therefore
grow with the load instead of costing one per email, and a write waits at most for the commit
under way and its own. `add` queues a write without waiting (an outcome recorded after the SMTP
hand-over): it is committed with the next group, at the latest by `flush`.

A write is an item and the batch writer that writes it: the group calls each batch writer once
with all its items (one UPDATE marks every email of the group `submitting`, one statement adds up
their counters), and each waiting thread gets its own item's result.

If a transaction fails (the database is down), every write in it is rolled back and every waiting
thread raises the error; what `add` queued in it is lost with it, as a crash would lose it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
R = TypeVar("R")
# Writes a group's items of one kind in the group's transaction; returns a result per item, in order.
BatchWriter = Callable[[Session, Sequence[Any]], Sequence[Any]]


def _nothing(_session: Session, items: Sequence[Any]) -> list[None]:
    return [None] * len(items)


class _Ticket:
    """One queued item and its batch writer and, once its group committed, its result or the group's error."""

    def __init__(self, writer: BatchWriter, item: Any) -> None:
        self.writer = writer
        self.item = item
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """Writes from several threads committed together; see the module docstring."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.transactions = 0  # commits made (tests and benchmarks read it)
        self._queue: list[_Ticket] = []
        self._committing = False
        self._changed = threading.Condition()

    def run(self, writer: Callable[[Session, Sequence[T]], Sequence[R]], item: T) -> R:
        """Commit `item` (with whatever else is queued) and return what `writer` gave for it; raises what the
        transaction raised."""
        ticket = _Ticket(writer, item)
        group: list[_Ticket] = []
        with self._changed:
            self._queue.append(ticket)
            while self._committing and not ticket.done:
                self._changed.wait()
            if not ticket.done:  # nobody is committing: this thread commits the queue, its own write in it
                self._committing = True
                group, self._queue = self._queue, []
        if group:
            self._commit(group)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[no-any-return]

    def add(self, writer: BatchWriter, item: Any) -> None:
        """Queue `item` for the next commit without waiting for it."""
        with self._changed:
            self._queue.append(_Ticket(writer, item))

    def flush(self) -> None:
        """Commit everything queued so far."""
        self.run(_nothing, None)

    def _commit(self, group: list[_Ticket]) -> None:
        results: list[Any] = [None] * len(group)
        error: BaseException | None = None
        by_writer: dict[BatchWriter, list[int]] = {}
        for index, ticket in enumerate(group):
            by_writer.setdefault(ticket.writer, []).append(index)
        try:
            with self.sessions.begin() as session:
                for writer, indexes in by_writer.items():
                    for index, result in zip(indexes, writer(session, [group[index].item for index in indexes]),
                                             strict=True):
                        results[index] = result
        except BaseException as failure:  # noqa: BLE001 - handed to every thread whose write was in the group
            error = failure
        with self._changed:
            self.transactions += 1
            for index, ticket in enumerate(group):
                ticket.result = results[index] if error is None else None
                ticket.error = error
                ticket.done = True
            self._committing = False
            self._changed.notify_all()
