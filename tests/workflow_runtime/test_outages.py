"""Processes that outlive their servers: Redis killed and restarted empty, PostgreSQL unreachable or its
connections cut, while the scheduler and `automap worker` processes keep going.

Every test here runs a redis-server of its own on a free port and kills it (never the shared Redis of
AUTOMAP_REDIS_URL, which other test sessions use); the database is never stopped either: it is made
unreachable through a TCP proxy the test cuts, or the workers' connections to the test's own database
are ended with pg_terminate_backend. Each restarted Redis is empty (it keeps nothing on disk), the
worst case: its queue, wake-up set and worker registrations are gone, and the scheduler must notice
and rebuild them from the database.

The worker test reuses the chaos test's flow, people, settling loop and checks (0 lost runs, 0
duplicate sends, counters equal to a recount), but repairs nothing itself: whatever Redis lost, the
runtime has to bring back on its own.
"""
from __future__ import annotations

import copy
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.workflow_runtime import test_chaos
from tests.workflow_runtime.conftest import Harness
from tests.workflow_runtime.runtime_support import assert_counters_balance, document
from tests.workflow_runtime.test_chaos import (  # noqa: F401 - chaos_env and receiver are fixtures
    BATCH_SIZE,
    ONE_STEP,
    SEED,
    START,
    STEP,
    WEBHOOK,
    Chaos,
    Person,
    Workers,
    _at_node,
    _check,
    _die_with_parent,
    _unfinished,
    _unprocessed,
    chaos_env,
    chaos_flow,
    make_people,
    receiver,
)
from tests.workflow_runtime.webhook_receiver import Receiver
from workflow_runtime.authoring import flow_store
from workflow_runtime.clock import RedisClock, VirtualClock
from workflow_runtime.dispatch import runtime
from workflow_runtime.dispatch.scheduler import Retrying, Scheduler
from workflow_runtime.dispatch.worker import LastingWorker, make_worker
from workflow_runtime.engine import batches
from workflow_runtime.engine.definition import forget_definitions
from workflow_runtime.storage.models import Message, RunStatus

REDIS_SERVER = shutil.which("redis-server")
needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs the redis-server program on PATH, to run a Redis of the test's own and kill it"
)
ON_POSTGRES = os.environ.get("AUTOMAP_DATABASE_URL", "").startswith("postgres")
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="cuts PostgreSQL connections (pg_terminate_backend): needs AUTOMAP_DATABASE_URL on PostgreSQL",
)

OUTAGE = 10.0  # seconds Redis stays down in the worker test
PASSWORD = "outage-test-restoring-the-clock"
WORKER_APPLICATION = "automap-outage-test-worker"  # the workers' connections, the ones pg_terminate_backend ends


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own on a free port, in memory only, which the test kills and starts again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, password: str | None = None) -> None:
        """Start it, empty, and wait until it answers (to `password` only, if one is given)."""
        assert REDIS_SERVER is not None
        self.starts += 1
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.directory)]
        if password is not None:
            args += ["--requirepass", password]
        with (self.directory / f"redis-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        probe = Redis(port=self.port, password=password, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} did not start; see {self.directory}") from None
                time.sleep(0.02)
        probe.close()

    def kill(self) -> None:
        """SIGKILL: every connection drops, and what it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


class TcpProxy:
    """Forwards a local port to a server; `cut` refuses new connections and drops the open ones, as a server
    that went away does, and `resume` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = _free_port()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listening: socket.socket | None = None

    def resume(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.05)
        self._listening = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listening = self._listening, None
        if listener is not None:
            listener.close()
        with self._lock:
            for connection in self._open:
                _close(connection)
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listening is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            client.settimeout(None)
            with self._lock:
                self._open |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(sink)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()


# ---------------------------------------------------------------------------------------------
# The scheduler, started while a server is down

WAIT_AN_HOUR = document(
    "Outage welcome",
    {
        "start": ("trigger", {"event": "signed_up"}),
        "hour": ("wait", {"duration": "PT1H"}),
        "hello": ("send_email", {"subject": "Hello", "body": "<mjml></mjml>"}),
        "end": ("exit", {"reason": "greeted"}),
    },
    [("start", "next", "hour"), ("hour", "next", "hello"), ("hello", "next", "end")],
)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f}s")
        time.sleep(0.05)


@pytest.mark.parametrize("down", ["redis", "database"])
@needs_redis_server
def test_a_scheduler_started_while_a_server_is_down_waits_for_it_then_wakes_the_due_runs(
    down: str, app: Flask, session: Session, own_redis: OwnRedis, caplog: pytest.LogCaptureFixture,
) -> None:
    """The start-up reconcile fails and is retried with backoff, logged one line a try, in a thread that
    stays alive; once the server is back it reconciles (rebuilding the wake-ups Redis lost) and queues
    the runs that fell due meanwhile, each exactly once."""
    database_url = app.config["AUTOMAP"].database_url
    proxy: TcpProxy | None = None
    if down == "database":
        if not ON_POSTGRES:
            pytest.skip("makes PostgreSQL unreachable through a TCP proxy: needs AUTOMAP_DATABASE_URL on PostgreSQL")
        url = make_url(database_url)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        proxy.resume()
        database_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    clock = VirtualClock(START)
    current = runtime.configure(runtime.build(database_url, Redis.from_url(own_redis.url), clock=clock, batch_size=50))
    harness = Harness(current, clock)
    stop = threading.Event()
    try:
        flow_id = harness.publish(WAIT_AN_HOUR)
        contacts = [harness.contact() for _ in range(12)]
        current.jobs.apply_events([harness.record_event(contact_id, "signed_up") for contact_id in contacts])
        harness.drain()
        assert current.wakeups.count() == 12

        if proxy is not None:
            proxy.cut()
        else:
            own_redis.kill()  # when it comes back, it is empty: the wake-ups are gone
        caplog.set_level(logging.WARNING, logger="workflow_runtime.dispatch.scheduler")
        scheduler = Scheduler(current, interval=0.05, retrying=Retrying("scheduler", first=0.05, most=0.4))
        thread, stop = scheduler.start_thread()
        _wait_for(lambda: scheduler.retrying.failures >= 4, "four failed start-up attempts")
        assert thread.is_alive()
        clock.advance(timedelta(hours=1))  # the waits fall due while the server is down

        if proxy is not None:
            proxy.resume()
        else:
            own_redis.start()
        _wait_for(lambda: scheduler.retrying.failures == 0, "the scheduler's recovery")
        _wait_for(lambda: current.wakeups.count() == 0 and current.jobs.queue.count > 0, "queuing the due runs")
        make_worker(current, drain=True).work(burst=True, logging_level="WARNING")
        assert thread.is_alive()

        runs = harness.runs(flow_id)
        assert [(run.status, run.end_reason) for run in runs] == [(RunStatus.COMPLETED, "greeted")] * 12
        with harness.session() as check:
            sent = [message.run_id for message in check.query(Message).filter(Message.node_id == "hello")]
        assert sorted(sent) == sorted(run.id for run in runs)  # one email each: none lost, none twice
        assert_counters_balance(harness, flow_id)
    finally:
        stop.set()
        current.engine.dispose()
        if proxy is not None:
            proxy.cut()
        forget_definitions()

    server = "Redis" if down == "redis" else "the database"
    lines = [record for record in caplog.records if record.name == "workflow_runtime.dispatch.scheduler"]
    outages = [record for record in lines if f"scheduler: {server} is unavailable (" in record.getMessage()]
    assert len(outages) >= 4
    assert all(record.exc_info is None and "\n" not in record.getMessage() for record in outages), "one line each"
    assert any("scheduler: working again after" in record.getMessage() for record in lines)
    assert "trying again in 0.4 s" in outages[-1].getMessage()  # the backoff doubled up to its ceiling


def test_an_unexpected_error_is_shown_with_its_traceback_once_and_the_scheduler_goes_on(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    scheduler = Scheduler(harness.runtime, interval=0.01, retrying=Retrying("scheduler", first=0.01, most=0.02))
    calls: list[int] = []

    def broken_tick() -> int:
        calls.append(1)
        if len(calls) <= 3:
            raise KeyError("a bug")
        return 0

    monkeypatch.setattr(scheduler, "tick", broken_tick)
    caplog.set_level(logging.WARNING, logger="workflow_runtime.dispatch.scheduler")
    thread, stop = scheduler.start_thread()
    try:
        _wait_for(lambda: len(calls) >= 5, "ticks after the bug stopped")
    finally:
        stop.set()
        thread.join(timeout=5)
    failures = [record for record in caplog.records if "scheduler failed" in record.getMessage()]
    assert [record.exc_info is not None for record in failures] == [True, False, False]
    assert "KeyError: 'a bug', 3 failures in a row" in failures[-1].getMessage()
    assert scheduler.retrying.failures == 0


def test_a_job_failing_on_the_database_rolls_back_and_is_retried_after_the_workers_backoff(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job fails whole (the engine never parks an item for a server's fault), RQ puts it back, and the
    worker takes its next job only after a backoff, logged in one line."""
    flow_id = harness.publish(copy.deepcopy(ONE_STEP))
    contact_id = harness.contact(email="outage@example.com")
    real = batches.process_events
    calls: list[float] = []

    def connection_lost_once(*args: Any) -> Any:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return real(*args)

    monkeypatch.setattr(batches, "process_events", connection_lost_once)
    harness.runtime.jobs.apply_events([harness.record_event(contact_id, "signed_up")])
    caplog.set_level(logging.WARNING, logger="workflow_runtime.dispatch.worker")
    worker = make_worker(harness.runtime)
    assert isinstance(worker, LastingWorker)
    worker.retrying = Retrying("worker", first=0.3, logger=logging.getLogger("workflow_runtime.dispatch.worker"))
    worker.work(burst=True, logging_level="WARNING")
    worker.unsubscribe()

    assert len(calls) == 2 and calls[1] - calls[0] >= 0.3, "retried once, after the backoff"
    assert [run.status for run in harness.runs(flow_id)] == [RunStatus.COMPLETED]
    assert len(harness.messages(contact_id)) == 1
    logged = [record.getMessage() for record in caplog.records if record.name.endswith("dispatch.worker")]
    assert logged[0] == ("worker: the database is unavailable (Exception: server closed the connection unexpectedly);"
                         " trying again in 0.3 s")
    # how long the outage lasted is wall time: the backoff and then however long a busy machine took
    recovered = re.fullmatch(r"worker: working again after 1 failed attempt over (\d+\.\d) s", logged[1])
    assert len(logged) == 2 and recovered and float(recovered[1]) >= 0.3, logged


# ---------------------------------------------------------------------------------------------
# `automap worker` processes through a Redis outage and cut database connections


def _stop(workers: Workers) -> list[int]:
    """SIGTERM every worker; one still running 15 s later dumps its threads' stacks into its log (SIGABRT,
    faulthandler) before it is killed. Returns the exit codes."""
    for process in workers.processes:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in workers.processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    return [process.returncode for process in workers.processes]


class Unrepaired(Chaos):
    """The chaos scenario's driver, minus its repair: a stall is only noted, the runtime must get out of it."""

    def repair(self) -> None:
        self.repairs += 1
        self.note("stalled (the test repairs nothing)")


@pytest.mark.slow
@needs_postgres
@needs_redis_server
def test_workers_outlive_a_redis_outage_and_cut_database_connections(
    session: Session, app: Flask, own_redis: OwnRedis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    chaos_env: dict[str, str], receiver: Receiver,  # noqa: F811 - the chaos test's fixtures
) -> None:
    """Two `automap worker` processes (each with its scheduler thread) and 500 contacts through the chaos flow:
    Redis is killed mid-way through the sign-ups and comes back empty 10 s later, and the workers' database
    connections are ended mid-batch (up to three times). The same two processes finish everything, exactly once."""
    monkeypatch.setattr(test_chaos, "CONTACTS", 500)
    connection = Redis.from_url(own_redis.url)
    clock = RedisClock(connection)
    clock.set(START)
    database_url = app.config["AUTOMAP"].database_url
    current = runtime.build(database_url, connection, clock=clock, batch_size=BATCH_SIZE)
    worker_database = make_url(database_url).update_query_dict({"application_name": WORKER_APPLICATION})
    env = dict(chaos_env, AUTOMAP_REDIS_URL=own_redis.url, PYTHONFAULTHANDLER="1",
               AUTOMAP_DATABASE_URL=worker_database.render_as_string(hide_password=False))
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")

    rng = random.Random(SEED)
    flow = flow_store.import_flow(session, chaos_flow(receiver.url))
    flow_store.publish_flow(session, flow)
    flow_id, version_id = flow.id, flow.live_version_id
    session.commit()
    people = make_people(session, rng)
    workers = Workers(env, tmp_path / "workers")
    workers.log_dir.mkdir()
    chaos = Unrepaired(current, clock, workers, rng, flow_id)

    outage: list[float] = []

    def redis_outage_mid_way(left: int) -> None:
        """Kill Redis once the first sign-ups are applied; start it again, empty, OUTAGE seconds later."""
        if outage or not 0 < left < len(people):
            return
        chaos.note(f"Redis killed ({left} sign-ups left, {current.jobs.queue.count} jobs queued)")
        own_redis.kill()
        began = time.monotonic()
        time.sleep(OUTAGE)
        # The virtual clock lives in Redis too, and went with it. The test owns it and puts it back while Redis
        # still refuses everyone without the password, so that no worker ever finds Redis up and the time unset.
        own_redis.start(password=PASSWORD)
        restoring = Redis(port=own_redis.port, password=PASSWORD)
        RedisClock(restoring).set(chaos.now)
        restoring.config_set("requirepass", "")
        restoring.close()
        outage.append(time.monotonic() - began)
        chaos.note(f"Redis back after {outage[0]:.1f}s, empty; the clock put back")

    cuts: list[int] = []
    last_cut = [0.0]
    # A worker's transaction holding row locks (SELECT … FOR UPDATE) is a batch's, mid-way: the scheduler's
    # take none. End it, then every other connection of the workers, idle in their pools.
    cut_batches = text(
        "SELECT count(*) FILTER (WHERE ended) FROM (SELECT pg_terminate_backend(activity.pid) AS ended"
        " FROM pg_stat_activity AS activity WHERE datname = current_database() AND application_name = :name"
        " AND EXISTS (SELECT FROM pg_locks WHERE pid = activity.pid AND mode = 'RowShareLock')) AS cut")
    cut_the_rest = text(
        "SELECT count(*) FILTER (WHERE ended) FROM (SELECT pg_terminate_backend(pid) AS ended"
        " FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name) AS cut")

    def cut_database(left: int) -> None:
        """Up to three times, 0.3 s apart or more: as soon as a worker is inside a batch's transaction, end its
        database connection (the transaction is rolled back, RQ retries the job), and the workers' others."""
        if len(cuts) >= 3 or left == 0 or time.monotonic() - last_cut[0] < 0.3:
            return
        deadline = time.monotonic() + 2
        with admin.connect() as db:
            while not (mid_batch := db.scalar(cut_batches, {"name": WORKER_APPLICATION})):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.002)
            idle = db.scalar(cut_the_rest, {"name": WORKER_APPLICATION})
        last_cut[0] = time.monotonic()
        cuts.append(mid_batch)
        chaos.note(f"pg_terminate_backend: {mid_batch} worker connections mid-batch, {idle} others ({left} left)")

    try:
        for _ in range(2):
            workers.start()
        workers.wait_registered(connection)
        chaos.began = time.monotonic()

        # 1. Sign-ups; Redis dies once the first are applied, for OUTAGE seconds, and comes back empty.
        chaos.record_events("signed_up", list(people), lambda _id: {"source": "outage"})
        chaos.settle("sign-ups", _unprocessed("signed_up"), on_progress=redis_outage_mid_way)
        assert outage, "the sign-ups were applied before Redis could be killed"

        # 2. Unsubscribes, applied through the rebuilt Redis.
        chaos.record_events("unsubscribed", [p.contact_id for p in people.values() if p.unsubscribes], lambda _id: {})
        chaos.settle("unsubscribes", _unprocessed("unsubscribed"))

        # 3. The hour passes; the workers' database connections are cut mid-batch.
        chaos.advance(STEP)
        chaos.advance(STEP)
        chaos.note("clock +1 h: the waits fall due")
        chaos.settle("the hour", _at_node("hour"), on_progress=cut_database)
        # ... and each calls the receiver (a call whose worker lost its connection is made again once its lease lapses).
        chaos.settle("webhook calls", _at_node(WEBHOOK), on_progress=cut_database, on_stall=chaos.lapse_held_calls)

        # 4. Orders, and 5. a day of time-outs, with more cuts.
        chaos.advance(STEP)
        chaos.record_events("order_paid", [p.contact_id for p in people.values() if p.pays],
                            lambda id_: {"amount": 10 + id_ % 90})
        chaos.settle("orders", _unprocessed("order_paid"), on_progress=cut_database)
        for _ in range(5):
            chaos.advance(timedelta(hours=6))
        chaos.note("clock +30 h")
        chaos.settle("time-outs", _unfinished, on_progress=cut_database)
    finally:
        codes = _stop(workers)
        chaos.note(f"workers stopped with {codes}: {workers.started} started, died on their own: {workers.died}")
        print("\n".join(chaos.timeline))
        admin.dispose()

    try:
        _check(current, people, flow_id, version_id)  # 0 lost runs, 0 duplicate sends, counters equal a recount
    finally:
        current.engine.dispose()
        forget_definitions()

    assert cuts, "no worker was ever seen inside a batch's transaction, to cut its connection"
    assert (workers.started, workers.died, codes) == (2, [], [0, 0]), "the same two workers, stopped by SIGTERM"
    logs = "\n".join(path.read_text(errors="replace") for path in sorted(workers.log_dir.glob("worker-*.log")))
    assert "Redis is unavailable (" in logs
    assert "Redis had lost its data; re-added" in logs
