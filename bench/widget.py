"""Widget push benchmark: latency from a popup the runtime records to the visitor's connected widget.

    .venv/bin/python bench/widget.py                 # 1,000 popups at 100/s to 20 connected visitors
    .venv/bin/python bench/widget.py --events 30     # the suite's tiny run

A live flow `ping (trigger) → popup (send_popup, body "{{ event.n }}") → exit` runs on the
real runtime: for each popup the bench inserts a `ping` event for the next visitor and runs
the `jobs.process_events` batch job in this thread (what a worker does), at `--rate` events
a second. Latency is from the moment that job starts until a client holds the rendered popup.

  push      the widget's way: each visitor holds a server-sent-events stream (`GET /widget/stream`
            over real HTTP, app on a threaded werkzeug server in this process); the job announces
            on Redis pub/sub after its commit and the stream reads the ledger at once.
  baseline  naive polling: each visitor reads the same ledger query (`onsite.pending`) every
            `--poll-interval` seconds, as a widget polling an endpoint would (without its HTTP cost).

Default backends: a SQLite file and the in-process Redis stand-in (the embedded mode);
`--database-url` / `--redis-url` pick real servers (the Redis database is flushed).
"""
from __future__ import annotations

import argparse
import functools
import json
import logging
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

import fakeredis  # noqa: E402
import httpx  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from builder_api.app import MIGRATIONS_DIR, create_app  # noqa: E402
from builder_api.extensions import db  # noqa: E402
from workflow_runtime import flow_store, jobs, onsite, runtime, unapplied_events  # noqa: E402
from workflow_runtime.clock import SystemClock  # noqa: E402
from workflow_runtime.models import AnonymousId, Contact, Event  # noqa: E402

WRITE_KEY = "bench-write-key"
FLOW = {
    "schema_version": 2,
    "name": "Ping popup",
    "nodes": [
        {"id": "ping", "type": "trigger", "config": {"event": "ping"}},
        {"id": "popup", "type": "send_popup", "config": {"size": "small", "title": "Ping", "body": "{{ event.n }}"}},
        {"id": "end", "type": "exit", "config": {}},
    ],
    "edges": [{"from": "ping", "port": "next", "to": "popup"}, {"from": "popup", "port": "next", "to": "end"}],
}


class Arrivals:
    """When each popup number reached a client (the first time)."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}
        self._lock = threading.Lock()

    def note(self, shown: Sequence[dict]) -> None:
        now = time.perf_counter()
        with self._lock:
            for message in shown:
                self.at.setdefault(int(message["body"]), now)


def stream_client(base_url: str, anonymous_id: str, arrivals: Arrivals, ready: threading.Event,
                  stop: threading.Event) -> None:
    """A widget: a visitor token, then the SSE stream until told to stop."""
    with httpx.Client(base_url=base_url, timeout=None) as http:
        token = http.post("/widget/session", json={"anonymousId": anonymous_id}, auth=(WRITE_KEY, "")).json()["token"]
        with http.stream("GET", "/widget/stream", params={"token": token}) as response:
            ready.set()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    arrivals.note([json.loads(line[6:])])
                if stop.is_set():
                    return


def polling_client(engine, contact_id: int, interval: float, arrivals: Arrivals, ready: threading.Event,
                   stop: threading.Event) -> None:
    """The baseline widget: read the ledger every `interval` seconds."""
    seen: set[int] = set()
    ready.set()
    while not stop.wait(interval):
        with Session(engine) as session:
            shown = onsite.pending(session, contact_id, exclude=seen)
        seen.update(message["id"] for message in shown)
        arrivals.note(shown)


class Emitter:
    """Records popups through real batch jobs, `per_job` events a job (as ingestion batches them), at `rate` a second."""

    def __init__(self, current: runtime.Runtime, contacts: Sequence[int], rate: float, per_job: int) -> None:
        self.current, self.contacts, self.rate, self.per_job = current, contacts, rate, per_job
        self._last_commit = 0.0
        event.listen(current.sessions, "after_commit", self._committed)

    def _committed(self, _session: Session) -> None:
        self._last_commit = time.perf_counter()

    def emit(self, first: int, count: int) -> dict[int, tuple[float, float]]:
        """Popups `first` … `first + count - 1`; for each, when its job started and when it committed."""
        times: dict[int, tuple[float, float]] = {}
        begin = time.perf_counter()
        for start in range(first, first + count, self.per_job):
            time.sleep(max(0.0, begin + (start - first) / self.rate - time.perf_counter()))
            numbers = range(start, min(start + self.per_job, first + count))
            with self.current.sessions.begin() as session:
                event_ids = unapplied_events.record(session, [
                    Event(contact_id=self.contacts[n % len(self.contacts)], name="ping", properties={"n": n},
                          timestamp=self.current.clock.now()) for n in numbers])
            started = time.perf_counter()
            jobs.process_events(event_ids)  # commits, then announces to the widgets
            times.update((n, (started, self._last_commit)) for n in numbers)
        return times


Emit = Callable[[int, int], dict[int, tuple[float, float]]]


def emit_in_worker_process(database_url: str, redis_url: str, contacts: Sequence[int], rate: float, per_job: int,
                           first: int, count: int) -> dict[int, tuple[float, float]]:
    """Emitter.emit in a process of its own, as a worker is: its jobs do not share this process's GIL with
    the server and the clients. perf_counter is CLOCK_MONOTONIC, one clock for every process of the machine."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_worker_main,
                              args=(database_url, redis_url, list(contacts), rate, per_job, first, count, sender))
    process.start()
    times = receiver.recv()
    process.join()
    return times


def _worker_main(database_url: str, redis_url: str, contacts: list[int], rate: float, per_job: int,
                 first: int, count: int, sender: Any) -> None:
    current = runtime.configure(runtime.build(database_url, Redis.from_url(redis_url), clock=SystemClock()))
    sender.send(Emitter(current, contacts, rate, per_job).emit(first, count))


def run_phase(name: str, clients: list[Callable[[threading.Event, threading.Event], None]], emit: Emit,
              first: int, count: int, arrivals: Arrivals) -> dict[str, float]:
    """Connect the clients, emit the popups, wait for them to arrive; latency figures in ms."""
    stop = threading.Event()
    readies = [threading.Event() for _ in clients]
    threads = [threading.Thread(target=client, args=(ready, stop), daemon=True) for client, ready in zip(clients, readies)]
    for thread in threads:
        thread.start()
    for ready in readies:
        ready.wait(30)
    time.sleep(0.2)
    begin = time.perf_counter()
    times = emit(first, count)
    achieved = count / (time.perf_counter() - begin)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and not all(n in arrivals.at for n in times):
        time.sleep(0.01)
    stop.set()
    missing = [n for n in times if n not in arrivals.at]
    if missing:
        raise SystemExit(f"{name}: {len(missing)} of {len(times)} popups never reached their widget")
    from_commit = sorted((arrivals.at[n] - committed) * 1000 for n, (_started, committed) in times.items())
    from_start = sorted((arrivals.at[n] - started) * 1000 for n, (started, _committed) in times.items())
    return {"rate": achieved, "p50": statistics.median(from_commit), "p95": _p95(from_commit), "max": from_commit[-1],
            "job_p95": _p95(from_start)}


def _p95(ordered: Sequence[float]) -> float:
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="popups per phase (default 1000)")
    parser.add_argument("--rate", type=float, default=100.0, help="popups recorded a second (default 100)")
    parser.add_argument("--per-job", type=int, default=10, help="events per process_events batch job (default 10)")
    parser.add_argument("--visitors", type=int, default=20, help="connected widgets (default 20)")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="the baseline's polling interval, s (default 1)")
    parser.add_argument("--database-url", help="a scratch PostgreSQL database whose schema the bench drops and re-creates "
                                               "(default: a temporary SQLite file)")
    parser.add_argument("--redis-url", help="a Redis database to flush and use (default: the in-process stand-in)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    instance = Path(tempfile.mkdtemp(prefix="automap-bench-widget-"))
    database_url = args.database_url or f"sqlite:///{instance / 'bench.db'}"
    connection = Redis.from_url(args.redis_url) if args.redis_url else fakeredis.FakeRedis()
    connection.flushdb()
    app = create_app({"instance_path": instance, "database_url": database_url, "redis_url": args.redis_url,
                      "admin_token": "bench", "write_key": WRITE_KEY, "secret_key": "bench-secret"})
    app.config.update(AUTOMAP_WIDGET_STREAM_LIFETIME=3600.0)
    with app.app_context():
        if args.database_url:  # the bench's own scratch database: start from an empty schema
            with db.engine.begin() as connection_:
                connection_.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=str(MIGRATIONS_DIR))
    current_database_url = app.config["AUTOMAP"].database_url
    current = runtime.configure(runtime.build(current_database_url, connection, clock=SystemClock()))
    with current.sessions.begin() as session:
        flow_store.publish_flow(session, flow_store.import_flow(session, FLOW))
        people = [Contact(name=f"visitor {i}") for i in range(args.visitors)]
        session.add_all(people)
        session.flush()
        contacts = [contact.id for contact in people]
        session.add_all(AnonymousId(anonymous_id=f"anon-{i}", contact_id=c) for i, c in enumerate(contacts))

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    arrivals = Arrivals()
    push_clients = [lambda ready, stop, i=i: stream_client(base_url, f"anon-{i}", arrivals, ready, stop)
                    for i in range(args.visitors)]
    poll_clients = [lambda ready, stop, c=c: polling_client(current.engine, c, args.poll_interval, arrivals, ready, stop)
                    for c in contacts]
    if args.redis_url:
        emit: Emit = functools.partial(emit_in_worker_process, current_database_url, args.redis_url, contacts,
                                       args.rate, args.per_job)
    else:  # the in-process Redis stand-in reaches no other process: the jobs run in a thread here
        emit = Emitter(current, contacts, args.rate, args.per_job).emit
    push = run_phase("push", push_clients, emit, 0, args.events, arrivals)
    poll = run_phase("baseline", poll_clients, emit, args.events, args.events, arrivals)
    server.shutdown()

    backends = (f"{app.config['AUTOMAP'].database_backend}, "
                + ("redis, jobs in a worker process" if args.redis_url else "embedded redis, jobs in a thread of this process"))
    print(f"backends: {backends}; latency from the job's commit to the widget (and p95 from the job's start)")
    print(f"{'phase':<34} {'popups/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95 from start':>15}")
    for label, figures in (("push: SSE + Redis pub/sub", push), (f"baseline: polling every {args.poll_interval:g} s", poll)):
        print(f"{label:<34} {figures['rate']:>9.1f} {figures['p50']:>8.1f} {figures['p95']:>8.1f} {figures['max']:>8.1f} "
              f"{figures['job_p95']:>15.1f}")
    print(f"target: p95 <= 50 ms at 100 popups/s: {'met' if push['p95'] <= 50 and push['rate'] >= 95 else 'NOT met'}")
    print(f"widget: p95 {push['p95']:.1f} ms push | {poll['p95'] / push['p95']:.1f}x baseline (p95 {poll['p95']:.1f} ms) "
          f"| {push['rate']:.0f} popups/s | events={args.events} visitors={args.visitors}")


if __name__ == "__main__":
    main()
