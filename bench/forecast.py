"""Forecast benchmark: a window's events replayed through the version that ran, against the live runtime on them.

    .venv/bin/python bench/forecast.py                     # 100,000 events, 20,000 shoppers, 30 days
    .venv/bin/python bench/forecast.py --events 2000       # the suite's tiny run

Set-up (not timed) publishes the abandoned-cart scenario in a database of the bench's own and loads the
shoppers. Then, in the same process:

  live      the runtime as it runs: each step with work (an event or a wake-up due), the clock is set to it,
            the minute's events are stored as ingestion stores them and applied by RQ batch jobs on an in-process
            Redis (the embedded mode's), and the due wake-ups are queued by the scheduler and worked;
  forecast  the same version forecast over the same window (workflow_runtime.forecast: the events read back,
            copied into a scratch SQLite database and replayed step by step by the engine's batch functions).

Events are carts (with a total), payments (with an amount), page views and a few unsubscribes, at random
seconds of the window; both sides handle a step's events and wake-ups at the end of it (`--step-minutes`, the
forecast's default unless given), so the forecast's counters must equal the live ones, and the bench checks that
they do. Speed is wall time of each side.

With AUTOMAP_DATABASE_URL (or --database-url) on PostgreSQL the live side works in its own database
`--database-name` (created and dropped by the bench); otherwise in a SQLite file in a temporary directory. The
forecast's scratch database is always a SQLite file.
"""
from __future__ import annotations

import argparse
import copy
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from sqlalchemy import make_url, select  # noqa: E402

from bench.stats import add_database_arguments, bench_database  # noqa: E402
from flows.scenarios import all_scenarios  # noqa: E402
from workflow_runtime.authoring import flow_store  # noqa: E402
from workflow_runtime.clock import VirtualClock  # noqa: E402
from workflow_runtime.dispatch.embedded import embedded_redis  # noqa: E402
from workflow_runtime.dispatch.runtime import Runtime, build, configure  # noqa: E402
from workflow_runtime.dispatch.scheduler import queue_due_runs  # noqa: E402
from workflow_runtime.dispatch.wakeups import WAKEUPS_KEY  # noqa: E402
from workflow_runtime.dispatch.worker import make_worker  # noqa: E402
from workflow_runtime.forecast.forecasts import request_forecast, run_forecast  # noqa: E402
from workflow_runtime.forecast.window import STEP, Window  # noqa: E402
from workflow_runtime.storage import schema, unapplied_events  # noqa: E402
from workflow_runtime.storage.bulk import insert_rows  # noqa: E402
from workflow_runtime.storage.database import reserve_ids  # noqa: E402
from workflow_runtime.storage.models import Contact, Event, Flow, Forecast, ForecastStatus, NodeCounter  # noqa: E402

START = datetime(2026, 3, 2, tzinfo=UTC)  # a midnight: counters are per UTC day
MIX = (("cart_updated", 0.45), ("page_viewed", 0.35), ("order_paid", 0.19), ("unsubscribed", 0.01))


def on_the_grid(moment: datetime, step: timedelta) -> datetime:
    """The end of the step `moment` falls in: when both sides handle what happens at `moment`."""
    return START + math.ceil((moment - START) / step) * step


def plan_events(count: int, shoppers: int, days: int, step: timedelta,
                rng: random.Random) -> dict[datetime, list[dict[str, Any]]]:
    """`count` events at random seconds of the window, by the step whose end applies them (contact index, name,
    properties, timestamp)."""
    names, weights = zip(*MIX)
    by_minute: defaultdict[datetime, list[dict[str, Any]]] = defaultdict(list)
    seconds = days * 86400 - int(step.total_seconds())  # each handled within the window, live and forecast
    for _ in range(count):
        at = START + timedelta(seconds=rng.randrange(seconds))
        name = rng.choices(names, weights)[0]
        properties: dict[str, Any] = {}
        if name == "cart_updated":
            properties = {"total": rng.choice([0, 24.9, 59.0, 120.0])}  # an emptied cart (0) does not enrol
        elif name == "order_paid":
            properties = {"amount": rng.choice([24.9, 59.0, 120.0])}
        elif name == "page_viewed":
            properties = {"url": rng.choice(["/", "/cart", "/blog/tips"])}
        by_minute[on_the_grid(at, step)].append({"contact": rng.randrange(shoppers), "name": name, "properties": properties,
                                  "timestamp": at})
    return by_minute


def set_up(database_url: str, shoppers: int) -> tuple[Runtime, int, list[int]]:
    """A runtime on the bench's database with an in-process queue and a virtual clock at START, the scenario
    published and the shoppers loaded; (runtime, flow id, contact ids)."""
    schema.upgrade(database_url)
    current = configure(build(database_url, embedded_redis(), clock=VirtualClock(START)))
    document = copy.deepcopy(next(scenario.document for scenario in all_scenarios() if scenario.slug == "abandoned_cart"))
    with current.sessions.begin() as session:
        flow = flow_store.import_flow(session, document)
        flow_store.publish_flow(session, flow)
        flow_id = flow.id
        ids = reserve_ids(session, Contact.__table__, shoppers)
        insert_rows(session, Contact.__table__, [
            {"id": contact_id, "email": None if number % 10 == 9 else f"shopper{number}@example.com",
             "name": f"Shopper {number}", "properties": {}, "tags": [], "first_seen_at": START - timedelta(days=1),
             "last_seen_at": START - timedelta(days=1)} for number, contact_id in enumerate(ids)])
    return current, flow_id, ids


def live(current: Runtime, contacts: list[int], planned: dict[datetime, list[dict[str, Any]]], end: datetime,
         step: timedelta) -> float:
    """Run the live runtime over the window, each step with work in turn; returns the seconds it took."""
    worker = make_worker(current, drain=True)
    clock = current.clock
    assert isinstance(clock, VirtualClock)
    minutes = sorted(planned)
    began = time.perf_counter()
    while True:
        due = current.redis.zrange(WAKEUPS_KEY, 0, 0, withscores=True)
        wake = datetime.fromtimestamp(due[0][1], UTC) if due else None
        wake = on_the_grid(wake, step) if wake else None
        moment = min(moment for moment in (minutes[0] if minutes else None, wake) if moment is not None) \
            if minutes or wake else None
        if moment is None or moment >= end:
            break
        clock.set(moment)
        _drain(current, worker)
        if minutes and minutes[0] == moment:
            minutes.pop(0)
            with current.sessions.begin() as session:
                ids = reserve_ids(session, Event.__table__, len(planned[moment]))
                insert_rows(session, Event.__table__, [
                    {"id": event_id, "contact_id": contacts[item["contact"]], "name": item["name"],
                     "properties": item["properties"], "timestamp": item["timestamp"], "received_at": moment,
                     "context": {}} for event_id, item in zip(ids, planned[moment])])
                unapplied_events.mark(session, ids)
            current.jobs.apply_events(ids)
            _drain(current, worker)
    return time.perf_counter() - began


def _drain(current: Runtime, worker: Any) -> None:
    while True:
        queue_due_runs(current, current.clock.now())
        if current.jobs.queue.count == 0:
            return
        worker.work(burst=True, logging_level="WARNING")


def counters(current: Runtime, version_id: int) -> dict[str, dict[str, int]]:
    """The live version's counters summed over days, zeros left out."""
    totals: defaultdict[str, Counter[str]] = defaultdict(Counter)
    with current.sessions() as session:
        for node_id, metric, count in session.execute(select(NodeCounter.node_id, NodeCounter.metric,
                                                             NodeCounter.count).where(
                NodeCounter.flow_version_id == version_id)):
            totals[node_id][metric] += count
    return {node: {metric: count for metric, count in sorted(metrics.items()) if count}
            for node, metrics in sorted(totals.items())}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events in the window (default 100000)")
    parser.add_argument("--shoppers", type=int, help="contacts they come from (default: one per five events)")
    parser.add_argument("--days", type=int, default=30, help="the window's days (default 30)")
    parser.add_argument("--step-minutes", type=int, default=int(STEP.total_seconds() // 60),
                        help=f"both sides handle events and wake-ups at the end of their step (default "
                             f"{int(STEP.total_seconds() // 60)})")
    add_database_arguments(parser, "automap_bench_forecast")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    shoppers = args.shoppers or max(1, args.events // 5)
    end = START + timedelta(days=args.days)
    step = timedelta(minutes=args.step_minutes)
    with bench_database(args) as database_url:
        current, flow_id, contacts = set_up(database_url, shoppers)
        planned = plan_events(args.events, shoppers, args.days, step, random.Random(20260302))
        live_seconds = live(current, contacts, planned, end, step)
        with current.sessions.begin() as session:
            version_id = session.get(Flow, flow_id).live_version_id
            forecast_id = request_forecast(session, flow_id, 1, Window(START, end), end, step).id
        began = time.perf_counter()
        run_forecast(current.sessions, forecast_id)
        forecast_seconds = time.perf_counter() - began
        with current.sessions() as session:
            done = session.get(Forecast, forecast_id)
        assert done.status is ForecastStatus.DONE, done.error
        real = counters(current, version_id)
        assert done.result["counters"] == real, f"the forecast differs from the live counters: {done.result['difference']}"
        assert done.result["events"] == args.events
        current.engine.dispose()
    print(f"forecast: {args.events:,} events of {shoppers:,} shoppers over {args.days} days replayed in steps of "
          f"{args.step_minutes} min on "
          f"{make_url(database_url).get_backend_name()} in {forecast_seconds:.1f} s "
          f"({args.events / forecast_seconds:,.0f} events/s, {done.result['steps']:,} steps), counters equal to the "
          f"live ones | live runtime on the same events {live_seconds:.1f} s | "
          f"forecast/live {forecast_seconds / live_seconds:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
