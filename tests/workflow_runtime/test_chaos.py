"""Chaos: 2,000 contacts through a live flow while workers are SIGKILLed and Redis is emptied.

Real `automap worker --with-scheduler` processes (the production code path) share the
PostgreSQL database, the Redis queue and a virtual clock kept in Redis (AUTOMAP_CLOCK=redis).
The test plays the outside world: it records events, moves the shared clock, SIGKILLs a
worker a few hundred milliseconds into a batch of work several times (starting a
replacement each time), and once empties Redis mid-run. Then it checks the issue's
promise: every run ends in the terminal state and path its contact's data dictates, the
send ledger holds exactly one message per (run, node, channel), and the per-node counters
equal a recount from the runs and the ledger.

Past the hour every run calls a webhook (an outbox: the node records the call and holds, the
webhook deliverer calls it under a lease), pointed at a real HTTP receiver the test serves on
127.0.0.1 (tests.workflow_runtime.webhook_receiver) and allow-listed for the workers with
AUTOMAP_OUTBOUND_ALLOW. The receiver counts the calls by Idempotency-Key: each call is made once,
or again only after its lease was lost (a worker SIGKILLed mid-call) and with the same key, and
every run leaves the node by `next`. A call held by a killed worker is taken over once its lease
runs out by the shared clock: when the calls stall, the test moves the clock on by the lease.

Poison among the innocent: a few contacts have 0 seats, and the webhook's body divides by them
(`{{ 1000 // seats }}`): their personalisation fails, so their runs leave the webhook node by
`failed` at once and nothing is called, while the others in their batches go on. A few payers'
events carry values that once failed a whole batch: amounts past what a revenue column held or
that are no number, a property nested 600 deep (recorded as if stored before ingestion capped
nesting); those payers convert like the others, in the same batches. (This flow counts no revenue:
test_runtime_limits pins the sums down.)

Redis is emptied with FLUSHDB on the test's own Redis database rather than FLUSHALL: it
is the same loss for automap (everything it keeps is in that database), without wiping the
other databases of a Redis server that CI and other test sessions share.

Repairs: after the flush the test puts its virtual time back (it owns the clock) and runs
Scheduler.reconcile_all, as a restarted scheduler would. When work is left but nothing is
queued, running or moving for a few seconds, it runs the scheduler's own reconcile_overdue
early (the workers run it every 60 s of real time); both re-queue lost wake-ups and events
whose job was lost. The two tests at the end pin those repairs down deterministically.

The chaos test needs real servers: it runs only when AUTOMAP_DATABASE_URL and
AUTOMAP_REDIS_URL are both set. AUTOMAP_CHAOS_SEED picks other contact data, kill delays and
victims (the interleavings themselves are up to the machine).
"""
from __future__ import annotations

import copy
import ctypes
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Worker
from rq.worker import WorkerStatus
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from nodes import outbound
from nodes.outbound import OutboundPolicy
from tests.workflow_runtime.runtime_support import exit_cause
from tests.workflow_runtime.webhook_receiver import Receiver, webhook_receiver
from workflow_runtime.authoring import flow_store
from workflow_runtime.channels.delivery import LEASE
from workflow_runtime.clock import RedisClock
from workflow_runtime.dispatch import runtime
from workflow_runtime.dispatch.scheduler import Scheduler
from workflow_runtime.dispatch.worker import run_worker
from workflow_runtime.engine import batches
from workflow_runtime.engine.counters import exited_by
from workflow_runtime.engine.definition import forget_definitions
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import (
    Channel,
    Contact,
    DeliveryState,
    Event,
    Message,
    NodeCounter,
    Run,
    RunStatus,
    UnappliedEvent,
)

needs_servers = pytest.mark.skipif(
    not (os.environ.get("AUTOMAP_DATABASE_URL", "").startswith("postgres") and os.environ.get("AUTOMAP_REDIS_URL")),
    reason="the chaos test needs real PostgreSQL and Redis (AUTOMAP_DATABASE_URL and AUTOMAP_REDIS_URL)",
)

SEED = int(os.environ.get("AUTOMAP_CHAOS_SEED", "20260302"))
CONTACTS = 2000
WORKERS = 2
BATCH_SIZE = 50
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
STEP = timedelta(minutes=30)
TEST_BUDGET = 170.0  # seconds of real time for the whole scenario
PHASE_BUDGET = 90.0  # seconds of real time for any one phase to settle (10-40 s on a busy 2-core machine)
STALL = 3.0  # seconds idle without progress before the test runs the runtime's overdue repair early
AUTOMAP = str(Path(sys.executable).with_name("automap"))
# The receiver's answer time: long enough that a worker SIGKILLed while delivering is often mid-call.
RECEIVER_DELAY = 0.002

FLOW = {
    "schema_version": 2,
    "name": "Chaos welcome",
    "settings": {"exit_when": [{"event": "unsubscribed"}]},
    "nodes": [
        {"id": "signup", "type": "trigger", "position": {"x": 0, "y": 0},
         "config": {"on": "event", "event": "signed_up"}},
        {"id": "welcome", "type": "send_email", "position": {"x": 200, "y": 0},
         "config": {"subject": "Welcome, {{ name }}", "body": "<mjml><mj-body><mj-text>Hi!</mj-text></mj-body></mjml>"}},
        {"id": "hour", "type": "wait", "position": {"x": 400, "y": 0}, "config": {"duration": "PT1H"}},
        {"id": "crm", "type": "webhook", "position": {"x": 500, "y": 0},
         "config": {"url": "http://127.0.0.1/replaced-by-the-receiver", "method": "POST",
                    "headers": {"X-Source": "chaos"},
                    "body": {"email": "{{ email }}", "name": "{{ name }}", "per_seat": "{{ 1000 // seats }}"},
                    "timeout": "PT5S", "retries": 3}},
        {"id": "crm_failed", "type": "exit", "position": {"x": 700, "y": 100}, "config": {"reason": "CRM unreachable"}},
        {"id": "is_pro", "type": "condition", "position": {"x": 600, "y": 0},
         "config": {"filter": {"property": "plan", "op": "eq", "value": "pro"}}},
        {"id": "pro_chat", "type": "send_chat", "position": {"x": 800, "y": -100},
         "config": {"body": "Hi {{ name }}, anything we can set up for your team?"}},
        {"id": "done_pro", "type": "exit", "position": {"x": 1000, "y": -100}, "config": {"reason": "pro welcomed"}},
        {"id": "ab", "type": "split", "position": {"x": 800, "y": 100},
         "config": {"variants": [{"id": "a", "weight": 50}, {"id": "b", "weight": 50}]}},
        {"id": "tips", "type": "send_email", "position": {"x": 1000, "y": 50},
         "config": {"subject": "Three tips", "body": "<mjml><mj-body><mj-text>Tips</mj-text></mj-body></mjml>"}},
        {"id": "done_a", "type": "exit", "position": {"x": 1200, "y": 50}, "config": {"reason": "tips sent"}},
        {"id": "paid", "type": "wait_for_event", "position": {"x": 1000, "y": 200},
         "config": {"event": "order_paid", "timeout": "P1D"}},
        {"id": "goal", "type": "goal", "position": {"x": 1200, "y": 150}, "config": {"name": "Paid"}},
        {"id": "done_goal", "type": "exit", "position": {"x": 1400, "y": 150}, "config": {"reason": "paid"}},
        {"id": "done_timeout", "type": "exit", "position": {"x": 1200, "y": 250}, "config": {"reason": "no order"}},
    ],
    "edges": [
        {"from": "signup", "port": "next", "to": "welcome"},
        {"from": "welcome", "port": "next", "to": "hour"},
        {"from": "hour", "port": "next", "to": "crm"},
        {"from": "crm", "port": "next", "to": "is_pro"},
        {"from": "crm", "port": "failed", "to": "crm_failed"},
        {"from": "is_pro", "port": "yes", "to": "pro_chat"},
        {"from": "pro_chat", "port": "next", "to": "done_pro"},
        {"from": "is_pro", "port": "no", "to": "ab"},
        {"from": "ab", "port": "a", "to": "tips"},
        {"from": "tips", "port": "next", "to": "done_a"},
        {"from": "ab", "port": "b", "to": "paid"},
        {"from": "paid", "port": "event", "to": "goal"},
        {"from": "goal", "port": "next", "to": "done_goal"},
        {"from": "paid", "port": "timeout", "to": "done_timeout"},
    ],
}
def _nested(depth: int) -> dict[str, Any]:
    nested: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        nested = {"next": nested}
    return nested


# Payments whose properties once failed every event in their batch: each goes to one payer who converts.
HOSTILE_PAYMENTS = [
    {"amount": 9999999999999998},
    {"amount": 9999999999999998},
    {"amount": "abc"},
    {"amount": 1e308},
    {"amount": 5, "basket": _nested(600)},
]
SENDS = {"welcome": "email", "crm": "webhook", "pro_chat": "chat", "tips": "email"}
WEBHOOK = "crm"  # the webhook node: every run that waits out the hour calls it
EXIT_REASONS = {"done_pro": "pro welcomed", "done_a": "tips sent", "done_goal": "paid", "done_timeout": "no order"}


# ---------------------------------------------------------------------------------------------
# The contacts and what the flow must do with each of them


@dataclass(frozen=True)
class Person:
    """A contact as the test made it: what it will do decides its one correct outcome."""

    contact_id: int
    plan: str
    seats: int  # 0 for a few: the webhook's body cannot be personalised for them
    unsubscribes: bool  # while in the one-hour wait: the exit rule takes it out there
    pays: bool  # order_paid once every variant-b run waits for it (noise for everyone else)


def split_variant(contact_id: int, flow_id: int) -> str:
    """The split's deterministic variant, as RunContext.split_point computes it (50/50 a/b)."""
    seed = f"{contact_id}:{flow_id}:ab".encode()
    point = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") / 2**64
    return "a" if point * 100 < 50 else "b"


@dataclass(frozen=True)
class Outcome:
    status: RunStatus
    end_reason: str
    path: list[list[Any]]
    sends: frozenset[str]  # send nodes passed (one message each, on the node's channel)
    converted: bool


def expected_outcome(person: Person, flow_id: int) -> Outcome:
    path: list[list[Any]] = [["signup", "next"], ["welcome", "next"]]
    if person.unsubscribes:
        return Outcome(RunStatus.EXITED, "exit rule: unsubscribed", [*path, ["hour", None]], frozenset({"welcome"}), False)
    path.append(["hour", "next"])
    if person.seats == 0:
        return Outcome(RunStatus.COMPLETED, "CRM unreachable", [*path, [WEBHOOK, "failed"], ["crm_failed", None]],
                       frozenset({"welcome"}), False)
    path.append([WEBHOOK, "next"])
    if person.plan == "pro":
        path += [["is_pro", "yes"], ["pro_chat", "next"], ["done_pro", None]]
        return Outcome(RunStatus.COMPLETED, EXIT_REASONS["done_pro"], path,
                       frozenset({"welcome", WEBHOOK, "pro_chat"}), False)
    path.append(["is_pro", "no"])
    if split_variant(person.contact_id, flow_id) == "a":
        path += [["ab", "a"], ["tips", "next"], ["done_a", None]]
        return Outcome(RunStatus.COMPLETED, EXIT_REASONS["done_a"], path, frozenset({"welcome", WEBHOOK, "tips"}), False)
    if person.pays:
        path += [["ab", "b"], ["paid", "event"], ["goal", "next"], ["done_goal", None]]
        return Outcome(RunStatus.COMPLETED, EXIT_REASONS["done_goal"], path, frozenset({"welcome", WEBHOOK}), True)
    path += [["ab", "b"], ["paid", "timeout"], ["done_timeout", None]]
    return Outcome(RunStatus.COMPLETED, EXIT_REASONS["done_timeout"], path, frozenset({"welcome", WEBHOOK}), False)


def chaos_flow(webhook_url: str) -> dict[str, Any]:
    """FLOW with its webhook node pointed at the test's receiver."""
    flow = copy.deepcopy(FLOW)
    [webhook] = [node for node in flow["nodes"] if node["id"] == WEBHOOK]
    webhook["config"]["url"] = webhook_url
    return flow


# ---------------------------------------------------------------------------------------------
# Worker processes


def _die_with_parent() -> None:
    """In the child: SIGKILL it if the test process dies first, so no worker outlives a killed pytest."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (AttributeError, OSError):
        pass


@dataclass
class Workers:
    """`automap worker --with-scheduler` subprocesses: started, SIGKILLed, replaced, stopped."""

    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: int = 0
    killed: int = 0
    died: list[int] = field(default_factory=list)  # exit codes of workers that ended on their own

    def start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.log_dir / f"worker-{self.started}.log").open("wb")
        process = subprocess.Popen(
            [AUTOMAP, "worker", "--with-scheduler"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log.close()
        self.processes.append(process)
        return process

    def busy(self, connection: Redis) -> list[subprocess.Popen[bytes]]:
        """Our live workers that RQ says are executing a job right now."""
        pids = {worker.pid for worker in Worker.all(connection=connection) if worker.get_state() == WorkerStatus.BUSY}
        return [p for p in self.processes if p.poll() is None and p.pid in pids]

    def wait_registered(self, connection: Redis, timeout: float = 60.0) -> None:
        """Wait until every worker has booted and registered with RQ."""
        deadline = time.monotonic() + timeout
        while len({w.pid for w in Worker.all(connection=connection)} & {p.pid for p in self.processes}) < len(
            self.processes
        ):
            self.keep_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"the workers did not start within {timeout:.0f}s\n{self.log_tail()}")
            time.sleep(0.1)

    def kill_one(self, rng: random.Random, connection: Redis) -> bool:
        """SIGKILL one worker, a busy one if any (mid-job), and start a replacement; True if it was busy."""
        busy = self.busy(connection)
        victim = rng.choice(busy or [p for p in self.processes if p.poll() is None])
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.processes.remove(victim)
        self.killed += 1
        self.start()
        return bool(busy)

    def keep_alive(self) -> None:
        """Replace any worker that ended on its own (recorded: it should not happen)."""
        for process in [p for p in self.processes if p.poll() is not None]:
            self.died.append(process.returncode)
            self.processes.remove(process)
            self.start()

    def stop(self) -> None:
        """SIGTERM (RQ's warm shutdown), then SIGKILL whatever is still there after 15 s."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def log_tail(self, lines: int = 15) -> str:
        tails = []
        for path in sorted(self.log_dir.glob("worker-*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            if tail:
                tails.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(tails)


# ---------------------------------------------------------------------------------------------
# The scenario


@dataclass
class Chaos:
    """The test's side of the scenario: data, clock, chaos, and waiting for the runtime to settle."""

    rt: runtime.Runtime
    clock: RedisClock
    workers: Workers
    rng: random.Random
    flow_id: int
    began: float = field(default_factory=time.monotonic)
    now: datetime = START
    repairs: int = 0
    kills: list[bool] = field(default_factory=list)  # whether RQ showed each SIGKILLed worker mid-job
    timeline: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.timeline.append(f"{time.monotonic() - self.began:6.1f}s {self.now:%d %H:%M} {what}")

    # the outside world

    def record_events(self, name: str, contact_ids: list[int], properties: Callable[[int], dict[str, Any]]) -> None:
        """Insert the events (as ingestion would) and queue process_events batches."""
        rows = [
            {"contact_id": contact_id, "name": name, "properties": properties(contact_id), "timestamp": self.now}
            for contact_id in contact_ids
        ]
        with self.rt.sessions.begin() as session:
            ids = list(session.scalars(insert(Event).returning(Event.id, sort_by_parameter_order=True), rows))
            unapplied_events.mark(session, ids)
        jobs = self.rt.jobs.apply_events(ids)
        self.note(f"recorded {len(ids)} {name} events in {jobs} jobs")

    def advance(self, delta: timedelta) -> None:
        self.now = self.clock.advance(delta)

    def flush_redis(self) -> None:
        """Redis loses everything; then what an operator (or a restarted scheduler) does about it."""
        connection = self.rt.redis
        queued = self.rt.jobs.queue.count
        wakeups = self.rt.wakeups.count()
        connection.flushdb()
        self.note(f"FLUSHDB (lost {queued} queued jobs, {wakeups} wake-ups)")
        self.clock.set(self.now)  # the test owns the virtual clock: put the time back
        rebuilt = Scheduler(self.rt).reconcile_all()
        self.note(f"clock restored; reconcile_all re-queued {rebuilt} wake-ups and unapplied events")

    def lapse_held_calls(self) -> None:
        """Webhook calls are stuck, held under a lease by a worker that was killed (or waiting out a
        retry's backoff): move the shared clock on by the lease so the deliverer takes them over."""
        with self.rt.sessions() as session:
            held = session.scalar(
                select(func.count()).select_from(Message).where(
                    Message.channel == Channel.WEBHOOK,
                    Message.delivery_state.in_([DeliveryState.PENDING, DeliveryState.SENDING,
                                                DeliveryState.SUBMITTING]),
                )
            )
        if held:
            self.advance(LEASE + timedelta(seconds=1))
            self.note(f"stalled: {held} webhook calls held or waiting; clock +{LEASE} so their leases lapse")

    def repair(self) -> None:
        """Work is left but nothing moved for STALL seconds and nothing is queued or running: run the
        scheduler's own overdue reconcile now (the workers run it every 60 s of real time, too
        slow for a test): it re-queues lost wake-ups and events whose job was lost."""
        self.repairs += 1
        reconciled = Scheduler(self.rt, grace=timedelta(0)).reconcile_overdue()
        self.note(f"stalled: reconcile_overdue re-queued {reconciled} wake-ups and events")

    def idle(self) -> bool:
        """No job queued, no worker busy and no other transaction open, twice 0.3 s apart: whatever
        work is left, nothing is doing it. (The database is asked too because after the flush RQ
        no longer knows the workers that were registered before it.)"""
        for check in range(2):
            if check:
                time.sleep(0.3)
            if self.rt.jobs.queue.count or self.workers.busy(self.rt.redis):
                return False
            with self.rt.engine.connect() as connection:
                if connection.scalar(_OPEN_TRANSACTIONS):
                    return False
        return True

    # settling

    def settle(self, what: str, remaining: Callable[[Session], int], *, kills: int = 0,
               kill_window: tuple[float, float] = (0.2, 0.8), on_progress: Callable[[int], None] | None = None,
               on_stall: Callable[[], None] | None = None) -> None:
        """Wait until `remaining` counts 0, SIGKILLing a worker `kills` times, the first a random few
        hundred ms after a worker is first seen busy with this work (`kill_window`, in seconds).
        `on_stall` runs after the overdue repair whenever the work stalls."""
        started = time.monotonic()
        kill_at = sorted(self.rng.uniform(*kill_window) * (n + 1) for n in range(kills))
        connection = self.rt.redis
        working_since: float | None = None
        last, last_change = None, started
        while True:
            with self.rt.sessions() as session:
                left = remaining(session)
            now = time.monotonic()
            if working_since is None and (left == 0 or last is not None and left != last or self.workers.busy(connection)):
                working_since = now
            if kill_at and working_since is not None and now - working_since >= kill_at[0]:
                kill_at.pop(0)
                busy = self.workers.kill_one(self.rng, connection)
                self.kills.append(busy)
                self.note(f"SIGKILL a worker {'RQ shows busy' if busy else '(RQ shows none busy)'} during '{what}' ({left} left)")
            if left == 0 and not kill_at:
                self.note(f"settled '{what}' in {now - started:.1f}s")
                return
            if on_progress is not None:
                on_progress(left)
            if left != last:
                last, last_change = left, now
            elif now - last_change >= STALL and self.idle():
                self.repair()
                if on_stall is not None:
                    on_stall()
                last_change = now
            self.workers.keep_alive()
            if now - started > PHASE_BUDGET or now - self.began > TEST_BUDGET:
                pytest.fail(
                    f"'{what}' did not settle: {left} left after {now - started:.0f}s\n"
                    + "\n".join(self.timeline) + "\n" + self.workers.log_tail()
                )
            time.sleep(0.05)


_OPEN_TRANSACTIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND backend_type = 'client backend' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
)


def _unprocessed(name: str) -> Callable[[Session], int]:
    return lambda session: session.scalar(
        select(func.count()).select_from(UnappliedEvent).join(Event, Event.id == UnappliedEvent.event_id)
        .where(Event.name == name)
    )


def _at_node(node_id: str) -> Callable[[Session], int]:
    """Runs still in `node_id` or stuck active (the latter should never be seen committed)."""
    return lambda session: session.scalar(
        select(func.count()).select_from(Run).where(
            Run.status.in_([RunStatus.ACTIVE, RunStatus.WAITING]),
            (Run.node_id == node_id) | (Run.status == RunStatus.ACTIVE),
        )
    )


def _unfinished(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Run).where(Run.status.in_([RunStatus.ACTIVE, RunStatus.WAITING]))
    )


def _make_contacts(session: Session, rng: random.Random) -> dict[int, dict[str, Any]]:
    """Insert the contacts in bulk; returns each one's properties by id."""
    cities = ["Berlin", "Lisbon", "Tbilisi", "Almaty", "Riga", None]
    sources = ["google", "facebook", "newsletter", None]
    rows = []
    for n in range(CONTACTS):
        properties: dict[str, Any] = {"plan": rng.choices(["pro", "trial", "free"], [25, 40, 35])[0]}
        if (city := rng.choice(cities)) is not None:
            properties["city"] = city
        if (source := rng.choice(sources)) is not None:
            properties["utm_source"] = source
        properties["seats"] = 0 if rng.random() < 0.03 else rng.randint(1, 50)
        rows.append({
            "user_id": f"chaos-{n}", "email": f"chaos-{n}@example.com", "name": f"Visitor {n}",
            "properties": properties, "tags": [], "first_seen_at": START, "last_seen_at": START,
        })
    ids = list(session.scalars(insert(Contact).returning(Contact.id, sort_by_parameter_order=True), rows))
    session.commit()
    return {contact_id: row["properties"] for contact_id, row in zip(ids, rows, strict=True)}


def make_people(session: Session, rng: random.Random) -> dict[int, Person]:
    """The contacts, inserted, and what each will do."""
    return {
        contact_id: Person(contact_id, traits["plan"], traits["seats"], unsubscribes=rng.random() < 0.10,
                           pays=rng.random() < 0.40)
        for contact_id, traits in _make_contacts(session, rng).items()
    }


@pytest.fixture
def chaos_env(app: Flask, tmp_path: Path) -> dict[str, str]:
    settings = app.config["AUTOMAP"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTOMAP_")}
    env.update({
        "AUTOMAP_DATABASE_URL": settings.database_url,
        "AUTOMAP_REDIS_URL": settings.redis_url,
        "AUTOMAP_CLOCK": "redis",
        "AUTOMAP_BATCH_SIZE": str(BATCH_SIZE),
        "AUTOMAP_SECRET_KEY": "chaos-secret-key",
        "AUTOMAP_ADMIN_TOKEN": "chaos-admin-token",
        "AUTOMAP_WRITE_KEY": "chaos-write-key",
        "AUTOMAP_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONUNBUFFERED": "1",
        "AUTOMAP_OUTBOUND_ALLOW": "127.0.0.1/32",  # the workers may call the test's receiver
    })
    return env


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The integration the flow's webhook calls; this process allows 127.0.0.1 too, to publish the flow."""
    before = outbound.current()
    outbound.configure(OutboundPolicy.parse(["127.0.0.1/32"]))
    try:
        with webhook_receiver(delay=RECEIVER_DELAY) as serving:
            yield serving
    finally:
        outbound.configure(before)


@pytest.fixture
def chaos_runtime(app: Flask, redis_connection: Redis) -> Iterator[runtime.Runtime]:
    """The test's own runtime (not the process-wide one): same database, Redis and shared clock."""
    clock = RedisClock(redis_connection)
    clock.set(START)
    current = runtime.build(app.config["AUTOMAP"].database_url, redis_connection, clock=clock, batch_size=BATCH_SIZE)
    yield current
    current.engine.dispose()
    forget_definitions()


@pytest.mark.slow
@needs_servers
def test_workers_killed_and_redis_emptied_lose_and_duplicate_nothing(
    session: Session, chaos_runtime: runtime.Runtime, chaos_env: dict[str, str], receiver: Receiver, tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    flow = flow_store.import_flow(session, chaos_flow(receiver.url))
    flow_store.publish_flow(session, flow)
    flow_id, version_id = flow.id, flow.live_version_id
    session.commit()  # and not touched again: an open transaction would look like a busy worker to idle()
    people = make_people(session, rng)
    contact_ids = list(people)

    workers = Workers(chaos_env, tmp_path)
    clock = chaos_runtime.clock
    assert isinstance(clock, RedisClock)
    chaos = Chaos(chaos_runtime, clock, workers, rng, flow_id)
    try:
        for _ in range(WORKERS):
            workers.start()
        workers.wait_registered(chaos_runtime.redis)
        chaos.began = time.monotonic()
        chaos.note(f"started {WORKERS} workers")

        # 1. Sign-ups: 2,000 enrolments, each sends the welcome email and waits an hour.
        chaos.record_events("signed_up", contact_ids, lambda _id: {"source": "chaos"})
        chaos.settle("sign-ups", _unprocessed("signed_up"), kills=2)

        # 2. Some unsubscribe while they wait: the flow's exit rule takes them out of the wait.
        leavers = [p.contact_id for p in people.values() if p.unsubscribes]
        chaos.record_events("unsubscribed", leavers, lambda _id: {})
        chaos.settle("unsubscribes", _unprocessed("unsubscribed"), kills=1, kill_window=(0.05, 0.3))

        # 3. The hour passes: everyone left in the wait goes on to the webhook; Redis is emptied mid-way.
        chaos.advance(STEP)
        chaos.note("clock +30 min: nothing due yet")
        chaos.advance(STEP)
        chaos.note("clock +30 min: the one-hour waits fall due")
        flushed: list[bool] = []
        waiting = len(contact_ids) - len(leavers)
        flush_after = rng.uniform(0.15, 0.45)  # of the waits handled, when Redis goes

        def flush_mid_way(left: int) -> None:
            if not flushed and 0 < left <= waiting * (1 - flush_after):
                flushed.append(True)
                chaos.flush_redis()

        chaos.settle("the hour", _at_node("hour"), kills=2, on_progress=flush_mid_way)
        assert flushed, "the hour passed before Redis could be emptied mid-way"
        # ... and each calls the receiver (a call held by a killed worker is made again once its lease lapses).
        chaos.settle("webhook calls", _at_node(WEBHOOK), kills=1, kill_window=(0.05, 0.3),
                     on_stall=chaos.lapse_held_calls)

        # 4. Orders: variant-b contacts now wait for order_paid; payers leave by the goal.
        chaos.advance(STEP)
        payers = [p.contact_id for p in people.values() if p.pays]
        converting = [id_ for id_ in payers if expected_outcome(people[id_], flow_id).converted]
        hostile = dict(zip(rng.sample(converting, len(HOSTILE_PAYMENTS)), HOSTILE_PAYMENTS, strict=True))
        chaos.record_events("order_paid", payers, lambda id_: hostile.get(id_, {"amount": 10 + id_ % 90}))
        chaos.settle("orders", _unprocessed("order_paid"), kills=1, kill_window=(0.05, 0.3))

        # 5. A day passes in 6-hour steps: the others time out of the wait.
        for _ in range(5):
            chaos.advance(timedelta(hours=6))
            chaos.note("clock +6 h")
        chaos.settle("time-outs", _unfinished, kills=1, kill_window=(0.05, 0.25))
    finally:
        workers.stop()
        chaos.note(
            f"workers stopped: {workers.started} started, {workers.killed} SIGKILLed "
            f"({sum(chaos.kills)} while RQ showed them busy), {chaos.repairs} stall repairs, "
            f"died on their own: {workers.died}"
        )
        print("\n".join(chaos.timeline))

    _check(chaos_runtime, people, flow_id, version_id)
    _check_webhook_calls(chaos_runtime, receiver, people, flow_id)
    assert workers.killed >= 7


def _check(rt: runtime.Runtime, people: dict[int, Person], flow_id: int, version_id: int) -> None:
    with rt.sessions() as session:
        runs = list(session.scalars(select(Run).where(Run.flow_id == flow_id).order_by(Run.id)))
        messages = list(session.scalars(select(Message).order_by(Message.id)))
        counter_rows = session.execute(
            select(NodeCounter.node_id, NodeCounter.metric, NodeCounter.count, NodeCounter.amount).where(
                NodeCounter.flow_version_id == version_id
            )
        ).all()
        unprocessed = unapplied_events.count(session)
    assert unprocessed == 0

    # Exactly one run per contact, each in the terminal state and on the path its data dictates.
    runs_by_contact: dict[int, list[Run]] = defaultdict(list)
    for run in runs:
        runs_by_contact[run.contact_id].append(run)
    assert {c: len(r) for c, r in runs_by_contact.items() if len(r) != 1} == {}
    assert set(runs_by_contact) == set(people)
    wrong = []
    expected_sends: set[tuple[int, str, str]] = set()
    for contact_id, person in people.items():
        [run] = runs_by_contact[contact_id]
        expected = expected_outcome(person, flow_id)
        got = (run.status, run.end_reason, [step[:2] for step in run.path], run.converted_at is not None)
        if got != (expected.status, expected.end_reason, expected.path, expected.converted):
            wrong.append((contact_id, person, got))
        expected_sends |= {(run.id, node, SENDS[node]) for node in expected.sends}
    assert wrong == [], f"{len(wrong)} runs off their expected outcome, e.g. {wrong[:5]}"
    # The data is varied enough that every outcome is taken.
    assert {r.path[-1][0] for r in runs} == {"hour", "crm_failed", "done_pro", "done_a", "done_goal", "done_timeout"}

    # The ledger: one message per expected (run, node, channel), under its idempotency key, and no other.
    sent = Counter((m.run_id, m.node_id, m.channel.value) for m in messages)
    assert {key: n for key, n in sent.items() if n != 1} == {}
    assert set(sent) == expected_sends
    for message in messages:
        assert message.idempotency_key == f"run:{message.run_id}:node:{message.node_id}:visit:1:{message.channel.value}"

    # Counters equal a recount from the runs and the ledger.
    counted: dict[tuple[str, str], int] = defaultdict(int)
    for node_id, metric, count, _amount in counter_rows:
        counted[node_id, metric] += count
    recount: dict[tuple[str, str], int] = defaultdict(int)
    for run in runs:
        for node_id, port, *_when in run.path:
            recount[node_id, "entered"] += 1
            if port is not None:
                recount[node_id, f"left:{port}"] += 1
        final = run.path[-1][0]
        recount[final, "completed" if run.status is RunStatus.COMPLETED else "exited"] += 1
        if run.status is RunStatus.EXITED:  # each exit is counted by its cause too
            recount[final, exited_by(exit_cause(run.end_reason))] += 1
        if run.converted_at is not None:
            before_goal = [step[0] for step in run.path]
            for node_id in before_goal[: before_goal.index("goal") + 1]:
                recount[node_id, "converted"] += 1
            recount["ab", "converted:b"] += 1  # the split counts conversions by variant too
    for _run_id, node_id, channel in sent:
        recount[node_id, f"{channel}:sent"] += 1
    for message in messages:  # what the deliverers recorded since: a webhook call's `delivered` (or `failed`)
        channel = message.channel.value
        for status in message.statuses:
            if status != "sent":
                recount[message.node_id, f"{channel}:{status}"] += 1
        if not {"delivered", "failed"} & set(message.statuses):  # the channel's queue: not handed over yet
            recount[message.node_id, f"{channel}:queued"] += 1
    assert {k: v for k, v in counted.items() if k[1] == "waiting" and v} == {}, "the waiting gauge is not back to 0"
    # every webhook call was delivered (see _check_webhook_calls): its queue is back to 0
    assert {k: v for k, v in counted.items() if k[1] == "webhook:queued" and v} == {}, "webhook calls still queued"
    assert {k: v for k, v in counted.items() if v} == {k: v for k, v in recount.items() if v}
    ends = Counter(f"{run.status.value} at {run.path[-1][0]}" for run in runs)
    print(f"{len(runs)} runs: {dict(sorted(ends.items()))}; {len(messages)} messages; {len(counter_rows)} counter rows")


def _check_webhook_calls(rt: runtime.Runtime, receiver: Receiver, people: dict[int, Person], flow_id: int) -> None:
    """Each run that passed the webhook node has one call in the ledger, delivered, and left by `next`,
    but for the contacts with 0 seats: no call, and left by `failed`. The receiver got each call, under
    the visit's one key, more than once only if a lease was lost."""
    with rt.sessions() as session:
        runs = list(session.scalars(select(Run).where(Run.flow_id == flow_id).order_by(Run.id)))
        calls = list(session.scalars(select(Message).where(Message.channel == Channel.WEBHOOK).order_by(Message.id)))
    received = receiver.counts()

    reached = {run.id: run for run in runs if any(step[0] == WEBHOOK for step in run.path)}
    assert reached, "no run reached the webhook node"
    left = {run_id: [step[1] for step in run.path if step[0] == WEBHOOK] for run_id, run in reached.items()}
    unrenderable = {run_id for run_id, run in reached.items() if people[run.contact_id].seats == 0}
    assert unrenderable, "no contact with 0 seats reached the webhook node"
    assert {run_id: ports for run_id, ports in left.items()
            if ports != (["failed"] if run_id in unrenderable else ["next"])} == {}
    passed = {run_id: run for run_id, run in reached.items() if run_id not in unrenderable}
    calls_by_run: dict[int | None, list[Message]] = defaultdict(list)
    for message in calls:
        calls_by_run[message.run_id].append(message)
    assert set(calls_by_run) == set(passed), "a webhook call without its run, or a run without its call"
    assert {run_id: len(made) for run_id, made in calls_by_run.items() if len(made) != 1} == {}
    undelivered = [(m.run_id, m.delivery_state.value, m.attempts, m.last_error) for m in calls
                   if m.delivery_state is not DeliveryState.DELIVERED]
    assert undelivered == [], f"{len(undelivered)} calls not delivered, e.g. {undelivered[:5]}"

    keys = {message.idempotency_key.removesuffix(f":{Channel.WEBHOOK.value}"): message for message in calls}
    for key, message in keys.items():
        assert key == f"run:{message.run_id}:node:{WEBHOOK}:visit:1"
    assert sorted(set(keys) - set(received)) == [], "a recorded call the receiver never got"
    assert sorted(set(received) - set(keys)) == [], "a call under a key no recorded call has (two keys for one visit?)"
    repeated = {key: n for key, n in received.items() if n > 1}
    assert {key: n for key, n in repeated.items() if keys[key].attempts < 2} == {}, \
        "a call repeated although its lease was never lost"
    print(f"webhook: {sum(received.values())} calls for {len(calls)} recorded, {len(repeated)} made again after a "
          f"lost lease, {sum(m.attempts > 1 for m in calls)} taken over; {len(unrenderable)} not personalised")


# ---------------------------------------------------------------------------------------------
# What the chaos test has to repair itself: two gaps in the runtime, pinned down deterministically

ONE_STEP = {
    "schema_version": 2,
    "name": "Welcome",
    "nodes": [
        {"id": "signup", "type": "trigger", "position": {"x": 0, "y": 0},
         "config": {"on": "event", "event": "signed_up"}},
        {"id": "welcome", "type": "send_email", "position": {"x": 200, "y": 0},
         "config": {"subject": "Welcome", "body": "<mjml><mj-body><mj-text>Hi!</mj-text></mj-body></mjml>"}},
        {"id": "done", "type": "exit", "position": {"x": 400, "y": 0}, "config": {}},
    ],
    "edges": [
        {"from": "signup", "port": "next", "to": "welcome"},
        {"from": "welcome", "port": "next", "to": "done"},
    ],
}


def test_the_runtime_repair_requeues_events_whose_job_was_lost(harness: Any) -> None:
    flow_id = harness.publish(copy.deepcopy(ONE_STEP))
    contact_id = harness.contact(email="lost@example.com")
    harness.runtime.jobs.apply_events([harness.record_event(contact_id, "signed_up")])
    harness.runtime.redis.flushdb()  # the job is gone, as with a SIGKILLed worker's job

    scheduler = Scheduler(harness.runtime)
    scheduler.reconcile_all()  # what a starting `automap worker` does
    harness.advance(timedelta(minutes=5))
    scheduler.reconcile_overdue()  # what the scheduler does every minute
    harness.drain()

    assert len(harness.runs(flow_id)) == 1


def test_a_job_that_fails_once_is_retried(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    flow_id = harness.publish(copy.deepcopy(ONE_STEP))
    contact_id = harness.contact(email="retry@example.com")
    real = batches.process_events
    calls: list[int] = []

    def fails_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            # A server's failure, not the batch's (which would be isolated item by item: test_fault_isolation).
            raise OperationalError("COMMIT", {}, ConnectionError("a transient failure (dropped connection)"))
        return real(*args)

    monkeypatch.setattr(batches, "process_events", fails_once)
    harness.runtime.jobs.apply_events([harness.record_event(contact_id, "signed_up")])
    run_worker(harness.runtime, with_scheduler=False, burst=True)  # `automap worker`'s loop

    assert calls == [1, 1], "failed once, retried at once by the same worker"
    assert len(harness.runs(flow_id)) == 1

