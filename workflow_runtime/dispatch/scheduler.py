"""The scheduler: turns due wake-ups into batch jobs, and repairs Redis from the database.

Run it as `automap scheduler`, or inside a worker (`automap worker` does by default).
Several may run at once: claiming is atomic, and one holds the reconcile lock at a time.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from workflow_runtime.channels import delivered_channels
from workflow_runtime.channels.delivery import has_due
from workflow_runtime.dispatch.reconciler import reconcile_wakeups, requeue_events
from workflow_runtime.dispatch.runtime import Runtime
from workflow_runtime.storage.models import Channel

log = logging.getLogger(__name__)
RECONCILE_LOCK = "automap:reconcile-lock"
# Held (not released) for a sweep period, so several schedulers start one sweep per period.
SWEEP_LOCK = "automap:segment-sweep-lock"


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
    periodic pass an index range scan; `reconcile_all` rebuilds everything at start.
    """

    runtime: Runtime
    interval: float = 1.0
    reconcile_every: float = 60.0
    grace: timedelta = timedelta(seconds=60)
    segment_sweep_every: float = 900.0
    _since_reconcile: float = field(default=0.0, init=False)
    _since_sweep: float = field(default=0.0, init=False)

    def reconcile_all(self) -> int:
        """Rebuild the wake-up set and re-queue every unapplied event (at start, or after Redis lost them)."""
        with self.runtime.sessions() as session:
            return reconcile_wakeups(session, self.runtime.wakeups) + requeue_events(session, self.runtime.jobs)

    def reconcile_overdue(self) -> int:
        """Re-add runs and events overdue by the grace period (one scheduler at a time).

        Runs are due by the runtime's clock; events are received in real time, so their
        grace is measured on the wall clock.
        """
        lock = self.runtime.redis.lock(RECONCILE_LOCK, timeout=300, blocking=False)
        if not lock.acquire():
            return 0
        try:
            with self.runtime.sessions() as session:
                runs = reconcile_wakeups(session, self.runtime.wakeups, due_by=self.runtime.clock.now() - self.grace)
                events = requeue_events(session, self.runtime.jobs, received_before=datetime.now(UTC) - self.grace)
                return runs + events
        finally:
            lock.release()

    def sweep_segments(self) -> int:
        """Queue the periodic re-check of segment memberships (one scheduler at a time); returns jobs."""
        lock = self.runtime.redis.lock(SWEEP_LOCK, timeout=self.segment_sweep_every, blocking=False)
        if not lock.acquire():
            return 0
        with self.runtime.sessions() as session:
            return self.runtime.jobs.refresh_all_segments(session)

    def sweep_deliveries(self) -> int:
        """Queue delivery for every channel with messages due (a retry's time came, a job or its worker was lost)."""
        now = self.runtime.clock.now()
        with self.runtime.sessions() as session:
            due = [name for name in sorted(delivered_channels(self.runtime.email)) if has_due(session, Channel(name), now)]
        return self.runtime.jobs.deliver(due)

    def tick(self) -> int:
        """Queue every run due now; returns how many."""
        return queue_due_runs(self.runtime, self.runtime.clock.now())

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set; errors are logged and the loop goes on (Redis may come back)."""
        self.reconcile_all()
        while not stop.is_set():
            try:
                self.tick()
                self.sweep_deliveries()
                self._since_reconcile += self.interval
                self._since_sweep += self.interval
                if self._since_reconcile >= self.reconcile_every:
                    self._since_reconcile = 0.0
                    self.reconcile_overdue()
                if self._since_sweep >= self.segment_sweep_every:
                    self._since_sweep = 0.0
                    self.sweep_segments()
            except Exception:  # noqa: BLE001 - a scheduler must outlive a Redis or database hiccup
                log.exception("scheduler tick failed; retrying")
            stop.wait(self.interval)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        """Run in a daemon thread (inside a worker or the embedded server)."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="automap-scheduler", daemon=True)
        thread.start()
        return thread, stop
