"""The claim protocol every server-side channel delivers through: once, with retries, never twice.

A deliverer claims due messages under a lease (state `sending`, attempts + 1), marks each
`submitting` in its own commit just before handing it over, and `delivered` after. Every
change is a compare-and-set on (state, attempts), so a worker whose lease ran out and was
taken over by another finds its claim gone and sends nothing. When a lease runs out:
`sending` goes back to pending (nothing was handed over); `submitting` fails without a
retry — the server may have the message, and this system errs on the side of never
sending an email twice (a crash in that window costs one email, counted `failed`).
A channel whose receiver drops repeats (webhooks, by their Idempotency-Key) claims a lapsed
`submitting` message again instead (`claim(..., resubmit_lapsed=True)`), as a new attempt.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, and_, bindparam, cast, exists, or_, select, update
from sqlalchemy.orm import Session

from workflow_runtime.channels.messages import record_status
from workflow_runtime.engine.counters import CounterBatch
from workflow_runtime.storage.bulk import Prepared, any_of
from workflow_runtime.storage.message_rows import AnyMessage
from workflow_runtime.storage.models import Channel, Message, MessageStatus
from workflow_runtime.storage.models.message import DeliveryState

LEASE = timedelta(minutes=5)
INTERRUPTED = ("the worker stopped while handing the message over, so it may have been delivered; "
               "not retried, so that it is never sent twice")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: `first_delay`, doubling, at most `max_delay`; give up after `max_attempts`."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=6)

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failed attempt."""
        return min(self.first_delay * 2 ** max(attempts - 1, 0), self.max_delay)


@dataclass(frozen=True)
class Claim:
    """A message this worker holds: its id and the attempt number the claim set (the compare-and-set token)."""

    message_id: int
    attempt: int


def _due(channel: Channel, now: datetime, resubmit_lapsed: bool = False):  # noqa: ANN202 - a SQL expression
    pending = and_(Message.delivery_state == DeliveryState.PENDING,
                   or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
    held = [DeliveryState.SENDING, DeliveryState.SUBMITTING] if resubmit_lapsed else [DeliveryState.SENDING]
    lapsed = and_(Message.delivery_state.in_(held), Message.next_attempt_at <= now)
    return and_(Message.channel == channel, or_(pending, lapsed))


def has_due(session: Session, channel: Channel, now: datetime) -> bool:
    """True if a message of `channel` waits for an attempt, or a lease on one ran out."""
    lapsed = and_(Message.channel == channel, Message.delivery_state == DeliveryState.SUBMITTING,
                  Message.next_attempt_at <= now)
    return bool(session.scalar(select(exists().where(or_(_due(channel, now), lapsed)))))


def claim(session: Session, channel: Channel, now: datetime, limit: int, lease: timedelta = LEASE,
          resubmit_lapsed: bool = False) -> list[Claim]:
    """Take up to `limit` due messages under a lease; rows another worker is claiming are skipped. With
    `resubmit_lapsed`, a message whose hand-over lease ran out is taken again too (for a receiver that drops repeats)."""
    query = (select(Message.id).where(_due(channel, now, resubmit_lapsed))
             .order_by(Message.id).limit(limit).with_for_update(skip_locked=True))
    due = list(session.scalars(query))
    if not due:
        return []
    # One UPDATE for the batch; its WHERE repeats the due condition, so a row another worker claimed
    # since the SELECT (possible on SQLite, which has no row locks) is not taken twice.
    taken = session.execute(
        update(Message)
        .where(any_of(session, Message.id, due), _due(channel, now, resubmit_lapsed))
        .values(delivery_state=DeliveryState.SENDING, attempts=Message.attempts + 1, next_attempt_at=now + lease,
                updated_at=now)
        .returning(Message.id, Message.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Claim(message_id, attempt) for message_id, attempt in taken), key=lambda held: held.message_id)


def start_submitting(session: Session, held: Claim, now: datetime, lease: timedelta = LEASE) -> bool:
    """Mark the message as being handed over; False if this worker's claim on it is gone."""
    return start_submitting_all(session, [held], now, lease)[0]


_MESSAGES = Message.__table__
# A claim as one value, `id:attempt`, so a list of claims is one parameter of a statement prepared once.
_CLAIM_KEY = cast(_MESSAGES.c.id, String).concat(":").concat(cast(_MESSAGES.c.attempts, String))
# The statement is the same for any number of claims (a list of keys, one parameter): built and converted once.
_START_SUBMITTING = Prepared(lambda in_list: update(_MESSAGES)
                             .where(in_list(_MESSAGES.c.id, "ids"),
                                    in_list(_CLAIM_KEY, "claims"),
                                    _MESSAGES.c.delivery_state == DeliveryState.SENDING)
                             .values(delivery_state=DeliveryState.SUBMITTING, next_attempt_at=bindparam("lease_ends"),
                                     updated_at=bindparam("now"))
                             .returning(_MESSAGES.c.id))


def start_submitting_all(session: Session, claims: Sequence[Claim], now: datetime,
                         lease: timedelta = LEASE) -> list[bool]:
    """start_submitting for several claims in one statement: for each, whether it was still this worker's.

    A statement on the table, not through the ORM: no object in the session stands for these rows' new state.
    """
    marked = set(session.connection().scalars(*_START_SUBMITTING.bound(
        session, ids=[held.message_id for held in claims],
        claims=[f"{held.message_id}:{held.attempt}" for held in claims], lease_ends=now + lease, now=now)))
    return [held.message_id in marked for held in claims]


def delivered(session: Session, message: AnyMessage, now: datetime, counters: CounterBatch | None = None) -> None:
    """The server accepted it: done, and counted `delivered` at its node (in `counters`, when given, to flush later)."""
    _settle(message, DeliveryState.DELIVERED, now, None)
    record_status(session, message, MessageStatus.DELIVERED, now, counters)


def retry_later(session: Session, message: AnyMessage, now: datetime, error: str, policy: RetryPolicy,
                counters: CounterBatch | None = None) -> None:
    """Not handed over this time: back to pending after the backoff, or failed after the last attempt."""
    if message.attempts >= policy.max_attempts:
        failed(session, message, now, f"gave up after {message.attempts} attempts: {error}", counters)
        return
    _settle(message, DeliveryState.PENDING, now, error)
    message.next_attempt_at = now + policy.delay(message.attempts)


def failed(session: Session, message: AnyMessage, now: datetime, error: str, counters: CounterBatch | None = None) -> None:
    """Given up: never tried again, counted `failed` at its node (in `counters`, when given, to flush later)."""
    _settle(message, DeliveryState.FAILED, now, error)
    record_status(session, message, MessageStatus.FAILED, now, counters)


def withdrawn(message: AnyMessage, now: datetime, reason: str) -> None:
    """Not to be delivered any more (the contact unsubscribed meanwhile): settled, not counted as a failure."""
    _settle(message, DeliveryState.FAILED, now, reason)


def fail_interrupted(session: Session, channel: Channel, now: datetime) -> int:
    """Fail the messages whose hand-over lease ran out: a worker died mid-send (see the module docstring)."""
    query = select(Message).where(Message.channel == channel, Message.delivery_state == DeliveryState.SUBMITTING,
                                  Message.next_attempt_at <= now).with_for_update(skip_locked=True)
    interrupted = list(session.scalars(query))
    for message in interrupted:
        failed(session, message, now, INTERRUPTED)
    return len(interrupted)


def _settle(message: AnyMessage, state: DeliveryState, now: datetime, error: str | None) -> None:
    message.delivery_state = state
    message.next_attempt_at = None
    message.last_error = error
    message.updated_at = now
