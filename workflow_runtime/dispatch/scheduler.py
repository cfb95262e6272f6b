"""The scheduler: turns due wake-ups into batch jobs, and repairs Redis from the database.

Run it as `automap scheduler`, or inside a worker (`automap worker` does by default).
Several may run at once: claiming is atomic, and one holds the reconcile lock at a time.

It outlives its servers: a pass that fails because Redis or the database is down (at start
or later) is logged in one line and tried again after a backoff, 0.5 s doubling to 30 s;
once Redis answers again without its data (restarted without persistence, flushed, failed
over), the first scheduler to notice rebuilds it from the database.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from workflow_runtime.channels import delivered_channels
from workflow_runtime.channels.delivery import has_due
from workflow_runtime.dispatch.reconciler import (
    reconcile_wakeups,
    requeue_broadcasts,
    requeue_events,
    requeue_migrations,
)
from workflow_runtime.dispatch.runtime import Runtime
from workflow_runtime.engine.failures import describe, find_outage
from workflow_runtime.storage.models import Channel

log = logging.getLogger(__name__)
RECONCILE_LOCK = "automap:reconcile-lock"
# Held (not released) for a sweep period, so several schedulers start one sweep per period.
SWEEP_LOCK = "automap:segment-sweep-lock"
# Set by reconcile_all: while it exists Redis holds what was rebuilt from the database; gone, Redis lost its data.
REBUILT_KEY = "automap:rebuilt-at"


@dataclass
class Retrying:
    """Backoff and logging for a loop that must outlive Redis and the database.

    Each failure returns the delay before the next attempt: `first`, doubling up to `most`.
    A server being down is logged in one line per attempt; any other error with its traceback
    the first time it shows, then in one line while it repeats (a bug should be seen, not
    flood the log). The first success after failures logs the recovery and resets the delay;
    `recovered` only logs it, for a start that may not last.
    """

    what: str
    first: float = 0.5
    most: float = 30.0
    logger: logging.Logger = log
    failures: int = 0
    _failing_since: float = 0.0
    _last_error: str = ""
    _announced: bool = False

    def failed(self, error: BaseException) -> float:
        """Log the failure; returns the seconds to wait before trying again."""
        delay = min(self.most, self.first * 2 ** min(self.failures, 32))
        if self.failures == 0:
            self._failing_since = time.monotonic()
        self.failures += 1
        self._announced = False
        outage = find_outage(error)
        described = describe(outage[1] if outage else error)
        if outage is not None:
            self.logger.warning("%s: %s is unavailable (%s); trying again in %.1f s", self.what, outage[0], described,
                                delay)
        elif described != self._last_error:
            self.logger.error("%s failed; trying again in %.1f s", self.what, delay, exc_info=error)
        else:
            self.logger.error("%s failed again (%s, %d failures in a row); trying again in %.1f s",
                              self.what, described, self.failures, delay)
        self._last_error = described
        return delay

    def recovered(self) -> None:
        """After failures: log that it works again (once), keeping the delay until `succeeded`."""
        if self.failures and not self._announced:
            self._announced = True
            self.logger.warning("%s: working again after %d failed attempt%s over %.1f s", self.what, self.failures,
                                "" if self.failures == 1 else "s", time.monotonic() - self._failing_since)

    def succeeded(self) -> None:
        """After failures: log that it works again, and start the next backoff from `first`."""
        self.recovered()
        self.failures = 0
        self._last_error = ""


def queue_due_runs(runtime: Runtime, now: datetime) -> int:
    """Claim every run due by `now` from the wake-up set and queue it in batch jobs; returns how many runs."""
    claimed = 0
    for run_ids in runtime.wakeups.claim_due(now):
        runtime.jobs.advance(run_ids)
        claimed += len(run_ids)
    return claimed


@dataclass
class Scheduler:
    """Ticks every `interval` seconds, queueing due runs and due message deliveries; every
    `reconcile_every` seconds re-adds runs overdue by `grace`;
    every `segment_sweep_every` seconds queues a re-check of segment memberships.

    A run is overdue when its wake-up should have been handled by now: its job was lost
    with a killed worker, or Redis lost the set. Reconciling only overdue runs keeps the
    periodic pass an index range scan; `reconcile_all` rebuilds everything at start, and
    again whenever Redis comes back without its data.

    No failure ends `run`: Redis or the database being down is logged and retried with
    `retrying`'s backoff, and so is any other error (with its traceback), since a scheduler
    that stopped would leave every waiting run asleep.
    """

    runtime: Runtime
    interval: float = 1.0
    reconcile_every: float = 60.0
    grace: timedelta = timedelta(seconds=60)
    segment_sweep_every: float = 900.0
    retrying: Retrying = field(default_factory=lambda: Retrying("scheduler"))
    _since_reconcile: float = field(default=0.0, init=False)
    _since_sweep: float = field(default=0.0, init=False)

    def reconcile_all(self) -> int:
        """Rebuild the wake-up set and re-queue every unapplied event, unfinished broadcast and unfinished migration
        (at start, or after Redis lost them)."""
        with self.runtime.sessions() as session:
            rebuilt = (reconcile_wakeups(session, self.runtime.wakeups) + requeue_events(session, self.runtime.jobs)
                       + requeue_broadcasts(session, self.runtime.jobs)
                       + requeue_migrations(session, self.runtime.jobs))
        self.runtime.redis.set(REBUILT_KEY, datetime.now(UTC).isoformat())
        return rebuilt

    def rebuild_if_lost(self) -> int:
        """If Redis lost its data since the last reconcile_all (its key is gone), rebuild it; returns how many
        wake-ups and events that re-added (0 when nothing was lost, or another scheduler is at it)."""
        if self.runtime.redis.exists(REBUILT_KEY):
            return 0
        # A clock kept in Redis (tests, simulations) went with the rest: rebuild once its owner has set it
        # again, so that no job queued here runs without a time.
        self.runtime.clock.now()
        lock = self.runtime.redis.lock(RECONCILE_LOCK, timeout=300, blocking=False)
        if not lock.acquire():
            return 0
        try:
            rebuilt = self.reconcile_all()
        finally:
            lock.release()
        log.warning("scheduler: Redis had lost its data; re-added %d wake-ups and unapplied events from the database",
                    rebuilt)
        return rebuilt

    def reconcile_overdue(self) -> int:
        """Re-add runs, events, broadcasts and migrations overdue by the grace period (one scheduler at a time).

        Runs are due by the runtime's clock; events are received and broadcasts move on in real
        time, so their grace is measured on the wall clock.
        """
        lock = self.runtime.redis.lock(RECONCILE_LOCK, timeout=300, blocking=False)
        if not lock.acquire():
            return 0
        try:
            with self.runtime.sessions() as session:
                runs = reconcile_wakeups(session, self.runtime.wakeups, due_by=self.runtime.clock.now() - self.grace)
                events = requeue_events(session, self.runtime.jobs, received_before=datetime.now(UTC) - self.grace)
                idle = requeue_broadcasts(session, self.runtime.jobs, idle_since=datetime.now(UTC) - self.grace)
                idle += requeue_migrations(session, self.runtime.jobs, idle_since=datetime.now(UTC) - self.grace)
                return runs + events + idle
        finally:
            lock.release()

    def sweep_segments(self) -> int:
        """Queue the periodic re-check of segment memberships (one scheduler at a time); returns jobs."""
        lock = self.runtime.redis.lock(SWEEP_LOCK, timeout=self.segment_sweep_every, blocking=False)
        if not lock.acquire():
            return 0
        with self.runtime.sessions() as session:
            return self.runtime.jobs.refresh_all_segments(session, self.runtime.clock.now())

    def sweep_deliveries(self) -> int:
        """Queue delivery for every channel with messages due (a retry's time came, a job or its worker was lost)."""
        now = self.runtime.clock.now()
        with self.runtime.sessions() as session:
            due = [name for name in sorted(delivered_channels(self.runtime.email)) if has_due(session, Channel(name), now)]
        return self.runtime.jobs.deliver(due)

    def tick(self) -> int:
        """Queue every run due now; returns how many."""
        return queue_due_runs(self.runtime, self.runtime.clock.now())

    def step(self) -> None:
        """One pass: rebuild Redis if it lost its data, queue due runs and deliveries, and when their
        time comes reconcile what is overdue and sweep segments."""
        self.rebuild_if_lost()
        self.tick()
        self.sweep_deliveries()
        self._since_reconcile += self.interval
        self._since_sweep += self.interval
        if self._since_reconcile >= self.reconcile_every:
            self.reconcile_overdue()
            self._since_reconcile = 0.0
        if self._since_sweep >= self.segment_sweep_every:
            self.sweep_segments()
            self._since_sweep = 0.0

    def run(self, stop: threading.Event) -> None:
        """Reconcile everything, then step every `interval` until `stop` is set.

        Whatever fails, at start or later, is logged and tried again after the backoff: the
        start-up reconcile until it succeeds, then the steps.
        """
        reconciled = False
        while not stop.is_set():
            try:
                if not reconciled:
                    self.reconcile_all()
                    reconciled = True
                self.step()
            except Exception as error:  # noqa: BLE001 - the scheduler must outlive its servers, and a bug must not stop it
                stop.wait(self.retrying.failed(error))
                continue
            self.retrying.succeeded()
            stop.wait(self.interval)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        """Run in a daemon thread (inside a worker or the embedded server)."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="automap-scheduler", daemon=True)
        thread.start()
        return thread, stop
