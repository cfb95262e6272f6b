"""Group commit: the ledger writes that parallel sending threads ask for at once share one transaction.

A thread that needs its write durable before it goes on (`run`: mark an email `submitting` before
its DATA) queues it and waits. If no commit is under way it becomes the committer: it takes
everything queued — its own write, other threads' and the outcomes queued with `add` — and commits
them in one transaction; meanwhile new writes queue up for the next one. Transactions therefore
grow with the load instead of costing one per email, and a write waits at most for the commit
under way and its own. `add` queues a write without waiting (an outcome recorded after the SMTP
hand-over): it is committed with the next group, at the latest by `flush`.

If a transaction fails (the database is down), every write in it is rolled back and every waiting
thread raises the error; what `add` queued in it is lost with it, as a crash would lose it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
Write = Callable[[Session], Any]


class _Ticket:
    """One queued write and, once its group committed, its result or the group's error."""

    def __init__(self, write: Write) -> None:
        self.write = write
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

    def run(self, write: Callable[[Session], T]) -> T:
        """Commit `write` (with whatever else is queued) and return its result; raises what the transaction raised."""
        ticket = _Ticket(write)
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

    def add(self, write: Write) -> None:
        """Queue `write` for the next commit without waiting for it."""
        with self._changed:
            self._queue.append(_Ticket(write))

    def flush(self) -> None:
        """Commit everything queued so far."""
        self.run(lambda _session: None)

    def _commit(self, group: list[_Ticket]) -> None:
        results: list[Any] = []
        error: BaseException | None = None
        try:
            with self.sessions.begin() as session:
                results = [ticket.write(session) for ticket in group]
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
