"""The webhook channel: calls the integrations webhook nodes recorded in the ledger, outside any transaction.

A webhook node (nodes.webhook) records its rendered request as a `webhook` message in its batch's
transaction and holds the run. This deliverer claims due calls under the claim protocol's lease
(`delivery`), commits `submitting`, and only then calls, with no transaction open and no row locked,
through the outbound policy's client (nodes.outbound) with the node's time-out (capped at
nodes.webhook.MAX_TIMEOUT) and an Idempotency-Key that is the same on every attempt (the node visit's
key, which the node sent before it used the outbox). A 2xx answer is `delivered`; an address the policy
refuses is `failed` at once; any other answer, a time-out or a connection error is retried after
nodes.webhook.retry_delay, `retries` times, then `failed`. Unlike an email, a call whose hand-over lease
ran out (the worker died, or RQ's time-out stopped the job, mid-call) is claimed and made again, as a new
attempt: the receiver drops the repeat by its Idempotency-Key.

The commit that records the outcome also sets the run's `wake_at` to now, if it still waits at that
node, so the node reads the outcome and goes on by `next` or `failed`; after the commit the woken runs
are handed to `wake` (the dispatch layer mirrors them into the Redis wake-up set). Without `wake`, the
scheduler's reconcile of overdue wake-ups finds them. A call whose run no longer waits for it (it left
by its deadline, an exit rule took it out, the flow was archived) is withdrawn, not made.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from nodes import outbound
from nodes.webhook import DEFAULT_RETRIES, FIRST_RETRY_DELAY, MAX_RETRY_DELAY, MAX_TIMEOUT, HttpMethod
from workflow_runtime.channels import delivery
from workflow_runtime.channels.delivery import Claim, RetryPolicy
from workflow_runtime.storage.models import Channel, DeliveryState, Message, Run, RunStatus
from workflow_runtime.storage.models.run import step_key

log = logging.getLogger(__name__)
# Calls per claim. They are made one after another, each within its time-out (connecting, then answering),
# so a claim's lease (delivery.LEASE) outlasts the calls it holds.
CLAIM_BATCH = 5
# A job stops claiming after this long (wall clock), well inside RQ's job time-out; the scheduler's sweep
# queues another for what is left.
JOB_BUDGET = 120.0
SETTLED = (DeliveryState.DELIVERED, DeliveryState.FAILED)

Wake = Callable[[Mapping[int, datetime]], None]


@dataclass(frozen=True)
class Request:
    """A recorded call, as the node rendered it for its contact."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any
    timeout: float
    retries: int

    @classmethod
    def of(cls, content: Mapping[str, Any]) -> Request:
        return cls(str(content.get("method") or HttpMethod.POST.value), str(content["url"]),
                   dict(content.get("headers") or {}), content.get("body"),
                   min(float(content.get("timeout") or MAX_TIMEOUT.total_seconds()), MAX_TIMEOUT.total_seconds()),
                   int(content.get("retries", DEFAULT_RETRIES)))

    @property
    def retry(self) -> RetryPolicy:
        """The node's backoff: the first attempt and `retries` more, 30 s doubling, at most an hour apart."""
        return RetryPolicy(max_attempts=self.retries + 1, first_delay=FIRST_RETRY_DELAY, max_delay=MAX_RETRY_DELAY)


@dataclass(frozen=True)
class Answer:
    """How one call went: `ok` on a 2xx answer; `refused` if the outbound policy refused the address
    (or a redirect's); otherwise `error` says what to retry."""

    ok: bool
    refused: bool = False
    error: str = ""


def idempotency_key(message: Message) -> str:
    """The Idempotency-Key of a recorded call: the node visit's key, the ledger's without its channel suffix."""
    return message.idempotency_key.removesuffix(f":{Channel.WEBHOOK.value}")


def call(request: Request, key: str) -> Answer:
    """Make one call through the outbound policy's client; never raises for what the network or server does."""
    body = request.body
    try:
        with outbound.client(request.timeout) as client:
            response = client.request(
                request.method,
                request.url,
                headers={**request.headers, "Idempotency-Key": key},
                json=body if isinstance(body, dict) else None,
                content=body if isinstance(body, str) else None,
            )
    except outbound.OutboundRefused as refused:
        return Answer(ok=False, refused=True, error=str(refused))
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return Answer(ok=False, error=f"{type(error).__name__}: {error}")
    if response.is_success:
        return Answer(ok=True)
    return Answer(ok=False, error=f"answered {response.status_code} {response.reason_phrase}")


class WebhookDeliverer:
    """Makes the due webhook calls of the ledger: claim a few, call each outside any transaction, repeat."""

    channel = Channel.WEBHOOK

    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime], wake: Wake | None = None,
                 budget: float = JOB_BUDGET) -> None:
        self.sessions = sessions
        self.now = now
        self.wake = wake
        self.budget = budget

    def deliver_due(self) -> int:
        """Make the due calls (for at most `budget` seconds); returns how many were answered with a 2xx."""
        started = time.monotonic()
        answered = 0
        while time.monotonic() - started < self.budget:
            with self.sessions.begin() as session:
                claims = delivery.claim(session, self.channel, self.now(), CLAIM_BATCH, resubmit_lapsed=True)
            if not claims:
                break
            answered += sum(self.deliver(held) for held in claims)
        return answered

    def deliver(self, held: Claim) -> int:
        """Make one claimed call and record its outcome; 1 if it was answered with a 2xx."""
        with self.sessions.begin() as session:
            message = session.get(Message, held.message_id)
            if message is None or message.attempts != held.attempt or message.delivery_state is not DeliveryState.SENDING:
                return 0
            request, key = Request.of(message.content), idempotency_key(message)
            if not _run_waits_for(session, message):
                delivery.withdrawn(message, self.now(), "the run no longer waits at its webhook node")
                return 0
            if message.attempts > request.retry.max_attempts:  # the last attempt's worker died mid-call
                delivery.failed(session, message, self.now(),
                                f"gave up after {request.retry.max_attempts} attempts, the last one interrupted")
                woken: dict[int, datetime] | None = _wake_run(session, message, self.now())
            elif delivery.start_submitting(session, held, self.now()):
                woken = None
            else:
                return 0
        if woken is not None:
            self._mirror(woken)
            return 0
        answer = call(request, key)  # no transaction open, no row locked
        recorded = self._record(held, request, answer)
        if recorded is None:
            return 0
        self._mirror(recorded)
        return int(answer.ok)

    def _mirror(self, woken: Mapping[int, datetime]) -> None:
        if woken and self.wake is not None:
            self.wake(woken)

    def _record(self, held: Claim, request: Request, answer: Answer) -> dict[int, datetime] | None:
        """Record the call's outcome if this attempt still holds it; the runs woken (None: not recorded)."""
        with self.sessions.begin() as session:
            message = session.get(Message, held.message_id)
            if (message is None or message.attempts != held.attempt
                    or message.delivery_state is not DeliveryState.SUBMITTING):
                return None  # the lease ran out and another worker took the call over: its outcome counts
            now = self.now()
            if answer.ok:
                delivery.delivered(session, message, now)
            elif answer.refused:
                delivery.failed(session, message, now, answer.error)
            else:
                log.info("webhook message %s, attempt %s: %s", message.id, message.attempts, answer.error)
                delivery.retry_later(session, message, now, answer.error, request.retry)
            return _wake_run(session, message, now) if message.delivery_state in SETTLED else {}


def _run_waits_for(session: Session, message: Message) -> bool:
    """Whether the message's run still waits at the node visit that recorded it."""
    run = session.get(Run, message.run_id) if message.run_id is not None else None
    return (run is not None and run.status is RunStatus.WAITING and run.node_id == message.node_id
            and step_key(run.id, run.node_id, run.visits) == idempotency_key(message))


def _wake_run(session: Session, message: Message, now: datetime) -> dict[int, datetime]:
    """Make the message's run due now if it still waits at its node (in the transaction recording the outcome)."""
    if message.run_id is None:
        return {}
    woken = session.execute(
        update(Run)
        .where(Run.id == message.run_id, Run.status == RunStatus.WAITING, Run.node_id == message.node_id)
        .values(wake_at=now)
    ).rowcount
    return {message.run_id: now} if woken else {}
