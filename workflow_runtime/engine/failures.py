"""Parking what failed alone, and putting it back: the engine's side of dead letters.

A run whose step fails is parked where the step failed, in the transaction of a batch run to
isolate it (interpreter.advance with `isolate`: `park_run`, then `record`); `park` does the same
from what the database holds, for an item whose batch fails outside any step, and quarantines
an event (it leaves `unapplied_events`) or a contact's segment check. `reopen` undoes either
for a retry and says what to queue again.
"""
from __future__ import annotations

import traceback as tracebacks
from dataclasses import dataclass
from datetime import datetime

import redis.exceptions
import sqlalchemy.exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.engine.counters import CounterBatch
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import UNFINISHED, Event, Failure, FailureKind, FailureState, Run, RunStatus
from workflow_runtime.storage.run_rows import AnyRun

ERRORED = "errored"  # the node counter of runs parked there
_ERROR_CHARACTERS = 2000


def find_outage(error: BaseException) -> tuple[str, BaseException] | None:
    """The server a failure says is down or unreachable ("Redis", "the database") and the error that says so,
    looked for in the failure and what caused it (a rollback on a lost connection raises an error of its
    own); None for any other failure. An outage (a deadlock and a lock time-out count as one) fails a job
    whole, to be retried whole; it is never a reason to park an item."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            return "Redis", cause
        if isinstance(cause, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                              sqlalchemy.exc.TimeoutError)):
            return "the database", cause
        if isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated:
            return "the database", cause
        cause = cause.__cause__ or cause.__context__
    return None


def describe(error: BaseException) -> str:
    """The error in one line: its type and the first line of its message (the driver's, for SQLAlchemy's)."""
    cause = getattr(error, "orig", None) or error
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {message}" if message else type(cause).__name__


def park_run(run: AnyRun, error: BaseException, now: datetime, counters: CounterBatch) -> dict[str, object]:
    """Make the run `errored` where it is (its waiting gauge down, the node's `errored` counter up); where it was,
    for its failure's row."""
    where: dict[str, object] = {"contact_id": run.contact_id, "flow_version_id": run.flow_version_id,
                                "node_id": run.node_id, "run_status": run.status}
    if run.status is RunStatus.WAITING:
        counters.add(run.flow_version_id, run.node_id, "waiting", now, count=-1)
    counters.add(run.flow_version_id, run.node_id, ERRORED, now)
    run.status = RunStatus.ERRORED
    run.end_reason = f"error at {run.node_id}: {describe(error)}"[:200]
    run.wake_at = None
    return where


def park(session: Session, kind: FailureKind, item_id: int, error: BaseException, now: datetime) -> bool:
    """Record that the item failed alone and take it out of the queues, as the database has it (what its failing
    batch did is rolled back); False if there is nothing left to park (a run that has ended or was parked, an
    event applied or quarantined meanwhile)."""
    where: dict[str, object] = {"contact_id": None, "flow_version_id": None, "node_id": None, "run_status": None}
    if kind is FailureKind.RUN:
        run = session.scalar(select(Run).where(Run.id == item_id).with_for_update())
        if run is None or run.status not in UNFINISHED:
            return False
        counters = CounterBatch()
        where = park_run(run, error, now, counters)
        counters.flush(session)
    elif kind is FailureKind.EVENT:
        if not unapplied_events.claim(session, [item_id]):
            return False
        where["contact_id"] = session.scalar(select(Event.contact_id).where(Event.id == item_id))
    else:
        where["contact_id"] = item_id
    record(session, kind, item_id, error, now, where)
    return True


def record(session: Session, kind: FailureKind, item_id: int, error: BaseException, now: datetime,
            where: dict[str, object]) -> None:
    """The failure's row; a failure of an item retried before counts one more attempt on the same row."""
    failure = session.scalar(select(Failure).where(Failure.kind == kind, Failure.item_id == item_id)
                             .with_for_update())
    if failure is None:
        failure = Failure(kind=kind, item_id=item_id, attempts=0, first_failed_at=now)
        session.add(failure)
    for name, value in where.items():
        setattr(failure, name, value)
    failure.error = describe(error)[:_ERROR_CHARACTERS]
    failure.traceback = "".join(tracebacks.format_exception(error))
    failure.attempts += 1
    failure.state = FailureState.QUARANTINED
    failure.failed_at = now
    failure.resolved_at = None
    session.flush()


@dataclass(frozen=True)
class Reopened:
    """What a retry queues again: a run due now, an event to apply, or a contact's segments to check."""

    kind: FailureKind
    item_id: int


def reopen(session: Session, failure: Failure, now: datetime) -> Reopened | None:
    """Put a quarantined item back where it was (a parked run's status and waiting gauge, an event's
    unapplied mark) and mark the failure retried; None if it is not quarantined."""
    if failure.state is not FailureState.QUARANTINED:
        return None
    if failure.kind is FailureKind.RUN:
        run = session.scalar(select(Run).where(Run.id == failure.item_id).with_for_update())
        if run is None or run.status is not RunStatus.ERRORED:
            return None
        counters = CounterBatch()
        counters.add(run.flow_version_id, run.node_id, ERRORED, now, count=-1)
        run.status = failure.run_status or RunStatus.ACTIVE
        if run.status is RunStatus.WAITING:
            counters.add(run.flow_version_id, run.node_id, "waiting", now)
        # Due now, from where its step failed; a wake-up time also lets the scheduler's reconciler find it
        # should the job queued for it be lost (stepping clears it again).
        run.wake_at = now
        run.end_reason = None
        counters.flush(session)
    elif failure.kind is FailureKind.EVENT:
        unapplied_events.mark(session, [failure.item_id])
    failure.state = FailureState.RETRIED
    failure.resolved_at = now
    return Reopened(failure.kind, failure.item_id)


def discard(failure: Failure, now: datetime) -> bool:
    """Give up on a quarantined item: a parked run stays `errored` for good, an event stays unapplied."""
    if failure.state is not FailureState.QUARANTINED:
        return False
    failure.state = FailureState.DISCARDED
    failure.resolved_at = now
    return True
