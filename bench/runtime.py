"""Runtime benchmark: contacts through a 6-node flow on virtual time, on real Redis and PostgreSQL.

    .venv/bin/python bench/runtime.py                      # 100,000 contacts
    .venv/bin/python bench/runtime.py --contacts 1000000   # the full run
    .venv/bin/python bench/runtime.py --condition events   # the condition reads event history

Every contact signs up and walks

    signed_up (trigger) → check (condition) ─yes→ ab (split 50/50) ─a,b→ one_day (wait P1D)
                                            └─no──────────────────────→ one_day → welcome (send_email) → done (exit)

The condition asks a contact property (`--condition property`: plan is pro) or the contact's
event history (`--condition events`: viewed the pro plan's pricing at least twice within
P30D); either way about half the contacts take each port.

Set-up (not timed) creates a database of the bench's own, bulk-inserts the contacts and
one `signed_up` event each, publishes the flow and queues the event batch jobs the way
ingestion does. Then one RQ SimpleWorker in this process works the queue (burst):

  phase 1  enrol → condition → split → hold in the wait   (jobs.process_events batches)
  phase 2  virtual clock +1 day, scheduler tick → wake → send → exit   (jobs.advance_runs batches)

Between the phases it measures the Redis memory of the wake-up sorted set per waiting run.
Then, in the same process and on the same flow, a baseline does the same work the naive
way: ONE RQ job per step (see `baseline_event` / `baseline_step`). Speed is worker wall
time only (scheduler ticks and set-up are reported apart); the figures are checked
against the database (every run completed, one email each, steps = what the runs' paths
say, each run down the port the rule gives on the data, decided again in SQL) so a faster
runtime cannot get there by skipping work.

The bench owns its PostgreSQL database (`--database-name`, created if missing, its schema
dropped and re-created on every run) and its Redis database (flushed): never point them at
data you want to keep.
"""
from __future__ import annotations

import argparse
import cProfile
import functools
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from redis import Redis  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from rq import Queue, Retry  # noqa: E402
from rq.job import Job  # noqa: E402
from sqlalchemy import Engine, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.process_cpu import postgres_cpu  # noqa: E402
from workflow_runtime.authoring import flow_store  # noqa: E402
from workflow_runtime.channels import presence  # noqa: E402
from workflow_runtime.clock import VirtualClock  # noqa: E402
from workflow_runtime.dispatch import jobs, runtime  # noqa: E402
from workflow_runtime.dispatch.scheduler import queue_due_runs  # noqa: E402
from workflow_runtime.dispatch.wakeups import WAKEUPS_KEY  # noqa: E402
from workflow_runtime.dispatch.worker import freeze_startup_objects, make_worker  # noqa: E402
from workflow_runtime.engine import interpreter  # noqa: E402
from workflow_runtime.engine.definition import forget_definitions, load_definition  # noqa: E402
from workflow_runtime.engine.events import EventBatch  # noqa: E402
from workflow_runtime.storage import schema  # noqa: E402
from workflow_runtime.storage.models import (  # noqa: E402
    UNFINISHED,
    Contact,
    Event,
    Flow,
    FlowStatus,
    Message,
    Run,
    RunStatus,
    UnappliedEvent,
)
from workflow_runtime.storage.run_rows import RunRow, select_runs  # noqa: E402

START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)  # a Monday
WAIT = timedelta(days=1)
TARGET_STEPS_PER_SECOND = 25_000
TARGET_RATIO = 100
TARGET_BYTES_PER_WAITING_RUN = 200
INSERT_CHUNK = 10_000
RETRY = dict(max=3, interval=[1, 5, 30])  # what the job queue gives its batch jobs (and keeps no result)

CHECK = "check"  # the condition node


@dataclass(frozen=True)
class Condition:
    """What the flow's condition node asks (`--condition`), the history it needs, and the same rule in SQL.

    `expected_yes` decides the rule again, in SQL on the stored data, for a run `r` of contact
    `c`: the bench checks that every run left the condition by the port it gives. The condition
    follows the trigger, so a run decided it at the moment it entered (`r.entered_at`).
    """

    rule: dict[str, Any]
    expected_yes: str
    history: Callable[[int], list[tuple[str, timedelta]]]  # contact index → its pricing views (plan, age at START)


PRICING_WINDOW = timedelta(days=30)


def no_history(_index: int) -> list[tuple[str, timedelta]]:
    return []


def pricing_views(index: int) -> list[tuple[str, timedelta]]:
    """The `viewed_pricing` events of the contact at `index` (the plan viewed, how long before START; negative:
    after it), so that half the contacts take each port at START and the rule's every part counts."""
    case = index % 8
    if case in (0, 4):  # twice in the window: yes
        return [("pro", timedelta(days=1)), ("pro", timedelta(days=10))]
    if case in (2, 6):  # the second exactly where the window starts (it counts), a view of another plan: yes
        return [("pro", timedelta(days=2)), ("pro", PRICING_WINDOW), ("free", timedelta(days=3))]
    if case in (1, 5):  # once in the window, once before it, once after now: no
        return [("pro", timedelta(days=5)), ("pro", timedelta(days=40)), ("pro", -timedelta(hours=1))]
    if case == 3:  # once, and once another plan's: no
        return [("free", timedelta(days=1)), ("pro", timedelta(days=6))]
    return []  # never: no


CONDITIONS = {
    # Every other contact is on plan "pro".
    "property": Condition({"property": "plan", "op": "eq", "value": "pro"}, "c.properties->>'plan' = 'pro'",
                          no_history),
    # Viewed the pro plan's pricing at least twice in the last 30 days. P30D is exactly 720 hours (isodate), which
    # the SQL says in hours: an interval of days would follow the session's time zone across a DST change.
    "events": Condition(
        {"event": "viewed_pricing", "op": "did", "where": [{"property": "plan", "op": "eq", "value": "pro"}],
         "count": {"op": "gte", "value": 2}, "within": "P30D"},
        f"""(SELECT count(*) FROM events e
             WHERE e.contact_id = r.contact_id AND e.name = 'viewed_pricing' AND e.properties->>'plan' = 'pro'
               AND e.timestamp >= r.entered_at - interval '{PRICING_WINDOW.total_seconds() / 3600:.0f} hours'
               AND e.timestamp <= r.entered_at) >= 2""",
        pricing_views),
}


def bench_flow(condition: Condition) -> dict[str, Any]:
    """signed_up → check (the condition) ─yes→ ab (split) → one_day (wait P1D) → welcome (send_email) → done."""
    return {
        "schema_version": 2,
        "name": "Bench: welcome after a day",
        "settings": {},
        "nodes": [
            {"id": "signed_up", "type": "trigger", "position": {"x": 0, "y": 0}, "config": {"event": "signed_up"}},
            {"id": CHECK, "type": "condition", "position": {"x": 250, "y": 0}, "config": {"filter": condition.rule}},
            {"id": "ab", "type": "split", "position": {"x": 500, "y": -100},
             "config": {"variants": [{"id": "a", "weight": 50}, {"id": "b", "weight": 50}]}},
            {"id": "one_day", "type": "wait", "position": {"x": 750, "y": 0}, "config": {"duration": "P1D"}},
            {"id": "welcome", "type": "send_email", "position": {"x": 1000, "y": 0},
             "config": {"subject": "Welcome, {{ name }}",
                        "body": "<mjml><mj-body><mj-text>Hi!</mj-text></mj-body></mjml>"}},
            {"id": "done", "type": "exit", "position": {"x": 1250, "y": 0}, "config": {}},
        ],
        "edges": [
            {"from": "signed_up", "port": "next", "to": CHECK},
            {"from": CHECK, "port": "yes", "to": "ab"},
            {"from": CHECK, "port": "no", "to": "one_day"},
            {"from": "ab", "port": "a", "to": "one_day"},
            {"from": "ab", "port": "b", "to": "one_day"},
            {"from": "one_day", "port": "next", "to": "welcome"},
            {"from": "welcome", "port": "next", "to": "done"},
        ],
    }


# About half the contacts go down `yes`: 4 steps to the wait (trigger, condition, split, wait) and 3 after it
# (wait, send, exit); the others skip the split. Only used to size the baseline.
MEAN_STEPS_PER_CONTACT = 6.5


# ---------------------------------------------------------------------------------------------
# Counting: every job returns the steps it took; the batch jobs keep no result in Redis
# (result_ttl=0), so the bench wraps them to add up what they return.
# ---------------------------------------------------------------------------------------------

@dataclass
class Tally:
    jobs: int = 0
    steps: int = 0
    statements: int = 0  # SQL statements sent (an executemany counts once)
    errors: list[str] = field(default_factory=list)  # tracebacks of failed jobs


TALLY = Tally()


def _tallied(function: Callable[..., int]) -> Callable[..., int]:
    @functools.wraps(function)  # keeps __module__ and __qualname__: RQ queues and finds it by that name
    def job(*args: Any, **kwargs: Any) -> int:
        try:
            steps = function(*args, **kwargs)
        except BaseException:
            TALLY.errors.append(traceback.format_exc())
            raise
        TALLY.jobs += 1
        TALLY.steps += int(steps or 0)
        return steps

    job.__wrapped_by_bench__ = True  # type: ignore[attr-defined]
    return job


def count_statements(engine: Engine) -> None:
    """Count every SQL statement this engine sends, into TALLY."""

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        TALLY.statements += 1


def tally_runtime_jobs() -> None:
    """Wrap workflow_runtime.dispatch.jobs' entry points in this process so their returned steps are counted."""
    for name, function in vars(jobs).items():
        # Only the public entry points RQ runs: a private helper they share (e.g. jobs._run_batch)
        # would count the same steps a second time.
        if (callable(function) and not name.startswith("_") and getattr(function, "__module__", None) == jobs.__name__
                and not getattr(function, "__wrapped_by_bench__", False)):
            setattr(jobs, name, _tallied(function))


# ---------------------------------------------------------------------------------------------
# The baseline: the same per-step work as the batch jobs, one RQ job per step.
# ---------------------------------------------------------------------------------------------

def _one_step(session: Session, run: RunRow, now: datetime, effects: interpreter.BatchEffects,
              on_site: interpreter.OnSite) -> bool:
    """What engine.advance_runs does for one run, limited to ONE node; True if the run moved on.

    The same checks (due, flow live), the same loads (contact, cached definition), the same
    node execution and outcome bookkeeping as interpreter.advance's loop body. If the
    interpreter's internals are renamed, follow them here: this must stay one step of the
    real interpreter, not a cheaper imitation.
    """
    if run.status not in UNFINISHED:
        return False
    if not (run.status is RunStatus.ACTIVE or run.resume is not None or (run.wake_at is not None and run.wake_at <= now)):
        return False
    if session.scalar(select(Flow.id).where(Flow.id == run.flow_id, Flow.status == FlowStatus.LIVE)) is None:
        return False
    contact = session.get(Contact, run.contact_id)
    definition = load_definition(session, run.flow_version_id)
    spec = definition.nodes[run.node_id]
    context = interpreter.RunContext(session, run, contact, definition, now, effects, on_site)
    outcome = spec.node_type.execute(context, spec.config)
    effects.advanced += 1
    effects.steps += 1
    return interpreter._apply(run, spec, outcome, context.state, definition, now, effects)


def _enqueue(current: runtime.Runtime, function: Callable[[int], int], argument: int) -> None:
    """Queue a baseline job the way the job queue queues batch jobs."""
    current.jobs.queue.enqueue(function, argument, retry=Retry(**RETRY), result_ttl=0)


def _queue_next_steps(current: runtime.Runtime, run_ids: Sequence[int]) -> None:
    for run_id in run_ids:
        _enqueue(current, baseline_step, run_id)


@_tallied
def baseline_event(event_id: int) -> int:
    """Naive job: apply one event (enrolment) and take its runs' first step; the next step is a new job."""
    current = runtime.current()
    now = current.clock.now()
    effects = interpreter.BatchEffects()
    moved: list[int] = []
    with current.sessions.begin() as session:
        event = session.get(Event, event_id)
        if event is None:
            return 0
        for run in _apply_one_event(session, event, now, effects):
            if _one_step(session, run, now, effects, functools.partial(presence.is_on_site, current.redis)):
                moved.append(run.id)
        effects.flush(session)  # runs, messages and counters
    current.wakeups.mirror(effects.wakeups)
    _queue_next_steps(current, moved)
    return effects.steps


def _apply_one_event(session: Session, event: Event, now: datetime, effects: interpreter.BatchEffects) -> list[RunRow]:
    """The event applied on its own (a batch of one); returns the runs it woke or started, with their ids."""
    batch = EventBatch.open(session, [event], now, effects)
    if batch is None:
        return []
    runs = batch.apply(event)
    effects.runs.give_ids(session)
    return runs


@_tallied
def baseline_step(run_id: int) -> int:
    """Naive job: lock one run, execute one node, commit, and queue a job for its next step."""
    current = runtime.current()
    now = current.clock.now()
    effects = interpreter.BatchEffects()
    with current.sessions.begin() as session:
        query = select_runs().where(Run.id == run_id).with_for_update(skip_locked=True)
        run = next(iter(effects.runs.load(session, query)), None)
        moved = run is not None and _one_step(session, run, now, effects, functools.partial(presence.is_on_site, current.redis))
        effects.flush(session)  # runs, messages and counters
    current.wakeups.mirror(effects.wakeups)
    if moved:
        _queue_next_steps(current, [run_id])
    return effects.steps


def baseline_tick(current: runtime.Runtime) -> int:
    """The naive scheduler: claim the due wake-ups and queue one job per run."""
    now = current.clock.now().timestamp()
    connection = current.redis
    with connection.pipeline(transaction=True) as pipe:
        pipe.zrangebyscore(WAKEUPS_KEY, "-inf", now)
        pipe.zremrangebyscore(WAKEUPS_KEY, "-inf", now)
        members, _removed = pipe.execute()
    _queue_next_steps(current, [int(member) for member in members])
    return len(members)


# ---------------------------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------------------------

def _server_url(url: str) -> Any:
    """A SQLAlchemy URL using psycopg 3 (the app's driver) for a postgres:// or postgresql:// URL."""
    scheme = url.split("://", 1)[0]
    if not scheme.startswith("postgres"):
        raise SystemExit(f"bench/runtime.py needs PostgreSQL, not {scheme} ({url})")
    return make_url("postgresql+psycopg://" + url.split("://", 1)[1])


def _libpq(url: Any) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(server_url: Any, name: str) -> str:
    """Create the bench's own database on the server if it is missing; returns its SQLAlchemy URL."""
    for maintenance in (server_url.database, "postgres"):
        try:
            with psycopg.connect(_libpq(server_url.set(database=maintenance)), autocommit=True, connect_timeout=5) as conn:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                break
        except psycopg.OperationalError as error:
            last_error = error
    else:
        raise SystemExit(f"cannot reach PostgreSQL at {server_url.render_as_string()}: {last_error}")
    return server_url.set(database=name).render_as_string(hide_password=False)


def reset_schema(engine: Engine) -> None:
    """Drop everything in the bench's PostgreSQL database and build the schema afresh (`migrate`)."""
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(engine)


def migrate(engine: Engine) -> None:
    """Build the schema with the migrations, as `automap db upgrade` does (they also set what the models
    cannot say, such as statistics targets)."""
    schema.upgrade(engine.url.render_as_string(hide_password=False))


def vacuum_analyze(engine: Engine) -> None:
    """Fresh statistics after bulk changes, as autovacuum would give them in time (not timed)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def insert_population(engine: Engine, count: int, first: int,
                      history: Callable[[int], list[tuple[str, timedelta]]]) -> tuple[list[int], list[int]]:
    """Insert `count` contacts (every other one on plan "pro"), one signed_up event each (waiting to be applied),
    and the `viewed_pricing` events of their past that `history` gives (applied long ago)."""
    contact_ids: list[int] = []
    event_ids: list[int] = []
    contacts = Contact.__table__
    events = Event.__table__
    for start in range(first, first + count, INSERT_CHUNK):
        indexes = range(start, min(start + INSERT_CHUNK, first + count))
        with engine.begin() as conn:
            rows = [
                {"email": f"bench{i}@example.com", "name": f"Contact {i}", "properties": {"plan": "pro" if i % 2 == 0 else "free"},
                 "tags": [], "first_seen_at": START, "last_seen_at": START}
                for i in indexes
            ]
            ids = list(conn.execute(insert(contacts).returning(contacts.c.id, sort_by_parameter_order=True), rows).scalars())
            signups = [{"contact_id": contact_id, "name": "signed_up", "properties": {"source": "bench"},
                        "timestamp": START, "received_at": START, "context": {}} for contact_id in ids]
            new_events = conn.execute(insert(events).returning(events.c.id, sort_by_parameter_order=True), signups).scalars().all()
            conn.execute(insert(UnappliedEvent.__table__), [{"event_id": event_id} for event_id in new_events])
            views = [{"contact_id": contact_id, "name": "viewed_pricing", "properties": {"plan": plan},
                      "timestamp": START - age, "received_at": START - age, "context": {}}
                     for i, contact_id in zip(indexes, ids) for plan, age in history(i)]
            if views:
                conn.execute(insert(events), views)
            event_ids += new_events
            contact_ids += ids
    return contact_ids, event_ids


def publish_flow(current: runtime.Runtime, condition: Condition) -> int:
    with current.sessions.begin() as session:
        flow = flow_store.import_flow(session, bench_flow(condition))
        flow_store.publish_flow(session, flow)
        return flow.id


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

class StatisticsKeeper:
    """Keeps the planner's statistics current while tables grow, as autovacuum's analyze does.

    The bench starts from empty tables, and this server may run with autovacuum off (or
    its 1-minute naptime may outlast a phase). Planning on the statistics of an empty
    `runs` table picks sequential scans, and psycopg's prepared (generic) plans then keep
    them for the life of the connection: every per-contact query reads the whole table, so
    phase 1 turns quadratic. No production database sits on the statistics of an empty
    table for long. So a thread ANALYZEs each table once its changes pass autovacuum's
    default threshold (50 rows + 10 % of the table), checking every `interval` seconds.
    """

    QUERY = """
        SELECT relname FROM pg_stat_user_tables
        WHERE n_mod_since_analyze > 50 + 0.1 * GREATEST(
            (SELECT reltuples FROM pg_class WHERE pg_class.oid = pg_stat_user_tables.relid), 0)
    """

    def __init__(self, database_url: str, interval: float = 1.0) -> None:
        self.conninfo = _libpq(make_url(database_url))
        self.interval = interval
        self.analyzed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-analyze", daemon=True)

    def start(self) -> StatisticsKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                for (table,) in conn.execute(self.QUERY).fetchall():
                    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
                    self.analyzed += 1


@dataclass
class Phase:
    name: str
    jobs: int = 0
    steps: int = 0
    wall: float = 0.0   # worker wall seconds
    cpu: float = 0.0    # this process's CPU seconds while the worker ran
    tick: float = 0.0   # scheduler wall seconds (not in `wall`)
    claimed: int = 0    # wake-ups the ticks claimed
    statements: int = 0  # SQL statements the jobs sent
    postgres_cpu: float = 0.0  # the bench database's backends' CPU seconds while the worker ran

    @property
    def rate(self) -> float:
        return self.steps / self.wall if self.wall else 0.0

    def __add__(self, other: Phase) -> Phase:
        return Phase("", self.jobs + other.jobs, self.steps + other.steps, self.wall + other.wall,
                     self.cpu + other.cpu, self.tick + other.tick, self.claimed + other.claimed,
                     self.statements + other.statements, self.postgres_cpu + other.postgres_cpu)


class Bench:
    def __init__(self, current: runtime.Runtime, clock: VirtualClock, console: Console,
                 profiler: cProfile.Profile | None) -> None:
        self.runtime = current
        self.clock = clock
        self.console = console
        self.profiler = profiler
        self.queue: Queue = current.jobs.queue
        self.worker = make_worker(current, drain=True)  # many bursts: no per-burst pub/sub teardown
        tally_runtime_jobs()
        count_statements(current.engine)

    def drain(self, name: str, tick: Callable[[], int], profile: bool = False) -> Phase:
        """Tick and work (burst) until nothing is due and the queue is empty; time the worker only."""
        phase = Phase(name)
        self.collect()  # forget the bench's own statements since the last phase
        started = logged = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            phase.claimed += tick()
            phase.tick += time.perf_counter() - t0
            if self.queue.count == 0:
                break
            chunk = max(20, self.queue.count // 10)  # chunks, to show progress
            while self.queue.count:
                postgres_before = postgres_cpu(self.runtime.engine)
                w0, c0 = time.perf_counter(), time.process_time()
                if profile and self.profiler:
                    self.profiler.enable()
                self.worker.work(burst=True, logging_level="WARNING", max_jobs=chunk)
                if getattr(self.worker, "_stop_requested", False):  # Ctrl-C / SIGTERM: RQ's warm shutdown
                    raise SystemExit("interrupted")
                if profile and self.profiler:
                    self.profiler.disable()
                phase.wall += time.perf_counter() - w0
                phase.cpu += time.process_time() - c0
                phase.postgres_cpu += sum(seconds - postgres_before.get(pid, 0.0)
                                          for pid, seconds in postgres_cpu(self.runtime.engine).items())
                jobs, steps, statements = self.collect()
                phase.jobs += jobs
                phase.steps += steps
                phase.statements += statements
                if self.queue.count and time.perf_counter() - logged >= 10:
                    logged = time.perf_counter()
                    self.console.log(f"  {name}: {phase.jobs:,} jobs, {phase.steps:,} steps, "
                                     f"{phase.wall:,.1f} s, {self.queue.count:,} jobs queued")
        self.console.log(f"{name}: {phase.jobs:,} jobs, {phase.steps:,} steps in {phase.wall:,.2f} s "
                         f"({phase.rate:,.0f} steps/s; {time.perf_counter() - started:,.1f} s in all)")
        return phase

    def collect(self) -> tuple[int, int, int]:
        """The jobs done, steps taken and SQL statements sent since the last call; fails on any failed job."""
        self._fail_on_errors()
        counts = TALLY.jobs, TALLY.steps, TALLY.statements
        TALLY.jobs = TALLY.steps = TALLY.statements = 0
        return counts

    def _fail_on_errors(self) -> None:
        if TALLY.errors:
            raise SystemExit(f"{len(TALLY.errors)} job(s) failed; the first:\n{TALLY.errors[0]}")
        for registry in (self.queue.failed_job_registry, self.queue.scheduled_job_registry):
            ids = registry.get_job_ids()
            if ids:
                job = Job.fetch(ids[0], connection=self.queue.connection)
                result = job.latest_result()
                detail = result.exc_string if result is not None else "(no result recorded)"
                raise SystemExit(f"{len(ids)} job(s) failed ({registry.key}); the first, {job.description}:\n{detail}")


def redis_per_waiting_run(connection: Redis) -> dict[str, float]:
    """Bytes the wake-up sorted set costs per waiting run: MEMORY USAGE, and used_memory freed by deleting it."""
    waiting = int(connection.zcard(WAKEUPS_KEY))
    usage = int(connection.memory_usage(WAKEUPS_KEY, samples=0) or 0)
    dump = connection.dump(WAKEUPS_KEY)
    with_set = int(connection.info("memory")["used_memory"])
    connection.delete(WAKEUPS_KEY)
    without_set = int(connection.info("memory")["used_memory"])
    if dump is not None:
        connection.restore(WAKEUPS_KEY, 0, dump)
    return {
        "waiting": waiting,
        "memory_usage": usage,
        "used_memory_delta": with_set - without_set,
        "per_run": usage / waiting if waiting else 0.0,
        "per_run_used_memory": (with_set - without_set) / waiting if waiting else 0.0,
    }


def check_runs(current: runtime.Runtime, condition: Condition, first_contact: int, last_contact: int,
               counted_steps: int, label: str, status: RunStatus = RunStatus.COMPLETED) -> tuple[int, int]:
    """Every contact has one run in `status`; counted steps = what the paths say; one email per run; each run left
    the condition by the port the rule gives on the data (decided again in SQL), and both ports were taken.
    Returns how many runs left by yes and by no."""
    with current.sessions() as session:
        in_range = Run.contact_id.between(first_contact, last_contact)
        runs, in_status, path_nodes = session.execute(
            select(func.count(), func.count().filter(Run.status == status), func.sum(func.jsonb_array_length(Run.path)))
            .where(in_range)
        ).one()
        emails = session.scalar(select(func.count()).select_from(Message).join(Run, Run.id == Message.run_id).where(in_range))
        ports = text(f"""
            SELECT count(*) FILTER (WHERE took_yes AND NOT took_no), count(*) FILTER (WHERE took_no AND NOT took_yes),
                   count(*) FILTER (WHERE took_yes = took_no OR took_yes <> expected_yes)
            FROM (SELECT r.path @> CAST(:yes AS jsonb) AS took_yes, r.path @> CAST(:no AS jsonb) AS took_no,
                         {condition.expected_yes} AS expected_yes
                  FROM runs r JOIN contacts c ON c.id = r.contact_id
                  WHERE r.contact_id BETWEEN :first AND :last) AS decided
        """)
        yes, no, wrong = session.execute(ports, {"yes": json.dumps([[CHECK, "yes"]]), "no": json.dumps([[CHECK, "no"]]),
                                                 "first": first_contact, "last": last_contact}).one()
    contacts = last_contact - first_contact + 1
    # Each node on the path ran once, and the wait ran a second time when it woke.
    expected = (path_nodes or 0) + (runs if status is RunStatus.COMPLETED else 0)
    problems = []
    if runs != contacts or in_status != contacts:
        problems.append(f"{contacts:,} contacts but {runs:,} runs, {in_status:,} of them {status.value}")
    if counted_steps != expected:
        problems.append(f"jobs reported {counted_steps:,} steps but the runs' paths account for {expected:,}")
    if status is RunStatus.COMPLETED and emails != contacts:
        problems.append(f"{emails:,} welcome emails for {contacts:,} contacts")
    if wrong:
        problems.append(f"{wrong:,} runs left {CHECK} by another port than the rule gives on the data")
    if contacts > 1 and not (yes and no):
        problems.append(f"{CHECK} sent {yes:,} runs down yes and {no:,} down no: the bench's data must take both")
    if problems:
        raise SystemExit(f"{label}: " + "; ".join(problems))
    return yes, no


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts through the flow (default 100000)")
    parser.add_argument("--database-url",
                        default=os.environ.get("AUTOMAP_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test",
                        help="the PostgreSQL server to use; the bench works in --database-name on it, never in the "
                             "URL's own database (default $AUTOMAP_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test)")
    parser.add_argument("--database-name", default="automap_bench",
                        help="the bench's own database: created if missing, its tables dropped and re-created (default automap_bench)")
    parser.add_argument("--redis-url", default=os.environ.get("AUTOMAP_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/12",
                        help="a Redis database the bench flushes (default $AUTOMAP_BENCH_REDIS_URL or redis://127.0.0.1:6379/12)")
    parser.add_argument("--batch-size", type=int, default=500, help="runs (or events) per RQ batch job (default 500)")
    parser.add_argument("--baseline-steps", type=int, default=2000, help="steps the one-job-per-step baseline takes (default 2000)")
    parser.add_argument("--condition", choices=sorted(CONDITIONS), default="property",
                        help="what the flow's condition asks: a contact property (the figures since the start), or "
                             "event history, how often the contact viewed pricing lately (default property)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the batched phases' worker into FILE (pstats format)")
    args = parser.parse_args(argv)
    if args.contacts < 1 or args.batch_size < 1 or args.baseline_steps < 1:
        parser.error("--contacts, --batch-size and --baseline-steps must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.revision = code_revision()  # at the start: the code this process imports
    console = Console(stderr=True)
    out = Console(width=max(Console().width, 120))
    setup_started = time.perf_counter()

    database_url = ensure_database(_server_url(args.database_url), args.database_name)
    connection = Redis.from_url(args.redis_url)
    connection.flushdb()
    clock = VirtualClock(START)
    forget_definitions()
    current = runtime.configure(runtime.build(database_url, connection, clock=clock, batch_size=args.batch_size))
    reset_schema(current.engine)

    baseline_contacts = math.ceil(args.baseline_steps / MEAN_STEPS_PER_CONTACT)
    condition = CONDITIONS[args.condition]
    publish_flow(current, condition)
    console.log(f"inserting {args.contacts:,} + {baseline_contacts:,} contacts and their events")
    contact_ids, event_ids = insert_population(current.engine, args.contacts, 0, condition.history)
    base_contact_ids, base_event_ids = insert_population(current.engine, baseline_contacts, args.contacts,
                                                         condition.history)
    vacuum_analyze(current.engine)
    jobs_queued = current.jobs.apply_events(event_ids)  # as ingestion does
    setup_seconds = time.perf_counter() - setup_started
    console.log(f"set-up {setup_seconds:,.1f} s; {jobs_queued:,} event batch jobs queued")

    keeper = StatisticsKeeper(database_url).start()
    profiler = cProfile.Profile() if args.profile else None
    bench = Bench(current, clock, console, profiler)
    freeze_startup_objects()  # as `automap worker` does before its first job: the set-up's objects stay put
    tick = lambda: queue_due_runs(current, clock.now())  # noqa: E731

    # Phase 1: enrol and step to the wait.
    enrol = bench.drain("batched: enrol → wait", tick, profile=True)
    check_runs(current, condition, contact_ids[0], contact_ids[-1], enrol.steps, "after phase 1", RunStatus.WAITING)
    memory = redis_per_waiting_run(connection)
    if memory["waiting"] != args.contacts:
        raise SystemExit(f"{memory['waiting']:,} wake-ups in Redis for {args.contacts:,} waiting runs")
    vacuum_analyze(current.engine)

    # Phase 2: a day later, wake, send, exit.
    clock.advance(WAIT + timedelta(minutes=1))
    wake = bench.drain("batched: wake → exit", tick, profile=True)
    if wake.claimed != args.contacts:
        raise SystemExit(f"the scheduler claimed {wake.claimed:,} wake-ups for {args.contacts:,} waiting runs")
    batched = enrol + wake
    yes, no = check_runs(current, condition, contact_ids[0], contact_ids[-1], batched.steps, "batched")
    console.log(f"{CHECK} ({args.condition}): {yes:,} runs down yes, {no:,} down no, each as SQL decides the rule")
    if profiler is not None:
        profiler.dump_stats(args.profile)
        console.log(f"profile of the batched phases written to {args.profile}")

    # Baseline: the same flow, the same per-step work, one RQ job per step.
    for event_id in base_event_ids:
        _enqueue(current, baseline_event, event_id)
    base_enrol = bench.drain("baseline: enrol → wait", lambda: 0)
    clock.advance(WAIT + timedelta(minutes=1))
    base_wake = bench.drain("baseline: wake → exit", lambda: baseline_tick(current))
    baseline = base_enrol + base_wake
    check_runs(current, condition, base_contact_ids[0], base_contact_ids[-1], baseline.steps, "baseline")

    keeper.stop()
    args.analyzed = keeper.analyzed
    ratio = batched.rate / baseline.rate if baseline.rate else float("inf")
    report(out, args, database_url, setup_seconds, [
        ("batched: enrol → wait", enrol), ("batched: wake → exit", wake), ("batched: total", batched),
        ("baseline: enrol → wait", base_enrol), ("baseline: wake → exit", base_wake), ("baseline: total", baseline),
    ], memory, batched, baseline, ratio)
    print(f"runtime: {batched.rate:,.0f} steps/s per worker process | {ratio:,.1f}x baseline "
          f"({baseline.rate:,.0f} steps/s) | {memory['per_run']:,.0f} bytes per waiting run | contacts={args.contacts}")
    current.engine.dispose()
    return 0


def code_revision() -> str:
    """The checkout's commit, and whether the runtime's code differs from it (read-only git)."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "workflow_runtime", "nodes"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted runtime changes' if dirty else ''}"


def report(out: Console, args: argparse.Namespace, database_url: str, setup_seconds: float,
           phases: list[tuple[str, Phase]], memory: dict[str, float], batched: Phase, baseline: Phase,
           ratio: float) -> None:
    url = make_url(database_url)
    out.print(f"[bold]automap runtime benchmark[/bold]  contacts={args.contacts:,}  condition={args.condition}  "
              f"batch size={args.batch_size}  "
              f"PostgreSQL {url.host}:{url.port or 5432}/{url.database}  Redis {args.redis_url}  "
              f"Python {platform.python_version()}  code {args.revision}  set-up {setup_seconds:,.1f} s (not timed)  "
              f"{args.analyzed} ANALYZEs while running (autovacuum's threshold, see StatisticsKeeper)")

    table = Table(title="Worker phases (one SimpleWorker in this process; worker wall time only)")
    for column in ("phase", "jobs", "steps", "worker s", "CPU s", "PG CPU s", "tick s", "steps/s", "ms/job", "SQL/step"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for name, phase in phases:
        style = "bold" if name.endswith("total") else None
        table.add_row(name, f"{phase.jobs:,}", f"{phase.steps:,}", f"{phase.wall:,.2f}", f"{phase.cpu:,.2f}",
                      f"{phase.postgres_cpu:,.2f}", f"{phase.tick:,.2f}", f"{phase.rate:,.0f}",
                      f"{1000 * phase.wall / phase.jobs:,.1f}" if phase.jobs else "-",
                      f"{phase.statements / phase.steps:,.3g}" if phase.steps else "-", style=style)
    out.print(table)

    table = Table(title=f"Redis per waiting run ({int(memory['waiting']):,} runs waiting in {WAKEUPS_KEY})")
    table.add_column("measure")
    table.add_column("bytes", justify="right")
    table.add_column("per waiting run", justify="right")
    table.add_row("MEMORY USAGE of the sorted set (SAMPLES 0)", f"{int(memory['memory_usage']):,}", f"{memory['per_run']:,.1f}")
    table.add_row("INFO used_memory freed by deleting the set", f"{int(memory['used_memory_delta']):,}",
                  f"{memory['per_run_used_memory']:,.1f}")
    out.print(table)

    table = Table(title="Targets")
    for column in ("target", "measured", "met"):
        table.add_column(column, justify="left" if column == "target" else "right")
    targets = [
        (f"≥ {TARGET_STEPS_PER_SECOND:,} steps/s per worker process", f"{batched.rate:,.0f}",
         batched.rate >= TARGET_STEPS_PER_SECOND),
        (f"≥ {TARGET_RATIO}× the one-job-per-step baseline ({baseline.rate:,.0f} steps/s)", f"{ratio:,.1f}×",
         ratio >= TARGET_RATIO),
        (f"≤ {TARGET_BYTES_PER_WAITING_RUN} Redis bytes per waiting run", f"{memory['per_run']:,.1f}",
         memory["per_run"] <= TARGET_BYTES_PER_WAITING_RUN),
    ]
    for name, measured, met in targets:
        table.add_row(name, measured, "[green]yes[/green]" if met else "[red]no[/red]")
    out.print(table)


if __name__ == "__main__":
    # RQ refuses job functions from __main__, so the baseline jobs must live in an importable module.
    from bench import runtime as bench_runtime

    sys.exit(bench_runtime.main())
