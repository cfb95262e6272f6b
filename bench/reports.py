"""Reports benchmark: a 4-step funnel, and revenue by first-touch source, over the stored events, each against a
brute-force recount in Python.

    .venv/bin/python bench/reports.py                                  # 200,000 contacts, 1,000,000 events
    .venv/bin/python bench/reports.py --contacts 2000 --repeat 2       # the suite's tiny run

Set-up (not timed) loads `--contacts` contacts with `--events` events each over the 30 days
before NOW: everyone views a product; 60 % update a cart (total 0 for a tenth of them, which the
step's rule `total gt 0` leaves out), 35 % start a checkout, 20 % pay — in that order, minutes to
days apart, some in the wrong order or too late for the window — and page views fill the rest.

The funnel: viewed_product → cart_updated (total > 0) → checkout_started → order_paid within
P3D, step 1 in the last 30 days, broken down by UTM source. Timed `--repeat` times: the whole
report (`reports.funnels.compute`: every step's count, rates, medians and the breakdown). The
baseline reads the same events (those of the four names, ordered by contact and time) and walks
each contact's history in Python the way the module docstring of workflow_runtime.reports.funnels
defines it, `--baseline-repeat` times; its step counts must equal the SQL's, so SQL cannot get
fast by being wrong.

Then the revenue report (`reports.revenue_report`: the last 30 days' orders by day and by the first-touch
UTM source of their contacts), timed `--repeat` times, against a brute force that reads every event of
the contacts in order and finds each contact's first touch and orders in Python; their totals per source
must be equal.

With AUTOMAP_DATABASE_URL (or --database-url) on PostgreSQL the bench works in its own database
`--database-name` (default automap_bench_reports), created and dropped by the bench; otherwise in
a SQLite file in a temporary directory.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from sqlalchemy import Engine, make_url, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.segments import write_rows  # noqa: E402
from bench.stats import add_database_arguments, analyze_loaded, bench_database, p95, timed  # noqa: E402
from nodes.goal import revenue_amount  # noqa: E402
from workflow_runtime.engine.filters import matches_properties  # noqa: E402
from workflow_runtime.reports.funnels import Breakdown, Funnel, Order, Step, compute  # noqa: E402
from workflow_runtime.reports.revenue_report import NONE, RevenueQuery, revenue_report  # noqa: E402
from workflow_runtime.storage import schema  # noqa: E402
from workflow_runtime.storage.database import make_engine, session_factory  # noqa: E402
from workflow_runtime.storage.models import Contact, Event  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
FUNNEL = Funnel((Step("viewed_product"), Step("cart_updated", ({"property": "total", "op": "gt", "value": 0},)),
                 Step("checkout_started"), Step("order_paid")),
                timedelta(days=3), Order.SEQUENCE, NOW - timedelta(days=30), NOW, Breakdown("utm_source"))
REVENUE = RevenueQuery(NOW.date() - timedelta(days=29), NOW.date())
SOURCES = ("google", "newsletter", "instagram", None)
TARGET_MS = 2000.0
CHUNK = 10_000


def populate(engine: Engine, contacts: int, events: int, rng: random.Random) -> None:
    """As the module docstring says (COPY on PostgreSQL), then ANALYZE."""
    columns = ("id", "email", "properties", "tags", "first_seen_at", "last_seen_at")
    event_columns = ("contact_id", "name", "properties", "timestamp", "received_at", "utm_source", "context")
    for start in range(1, contacts + 1, CHUNK):
        people, happened = [], []
        for contact_id in range(start, min(start + CHUNK, contacts + 1)):
            people.append((contact_id, f"contact{contact_id}@example.com", {}, [], NOW, NOW))
            happened += _history(contact_id, events, rng)
        write_rows(engine, Contact.__table__.name, columns, people)
        write_rows(engine, Event.__table__.name, event_columns, happened)
    analyze_loaded(engine, contacts)


def _history(contact_id: int, events: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """One shopper's events: the funnel's steps as far as they go, page views for the rest, shuffled a little."""
    at = NOW - timedelta(seconds=rng.randrange(30 * 86400))
    source = rng.choice(SOURCES)
    steps = [("viewed_product", {"product": rng.randrange(50)})]
    roll = rng.random()
    if roll < 0.6:
        steps.append(("cart_updated", {"total": 0 if rng.random() < 0.1 else rng.randrange(10, 200)}))
    if roll < 0.35:
        steps.append(("checkout_started", {}))
    if roll < 0.2:
        steps.append(("order_paid", {"amount": rng.randrange(10, 200)}))
    while len(steps) < events:
        steps.insert(rng.randrange(len(steps) + 1), ("page_viewed", {}))
    rows = []
    for name, properties in steps[:events]:
        rows.append((contact_id, name, properties, at, at, source if name == "viewed_product" else None, {}))
        at += timedelta(seconds=rng.choice((30, 600, 7200, 86400, 3 * 86400)))
    return rows


def baseline(session: Session) -> list[int]:
    """The step counts by brute force: every event of the steps' names, each contact's history walked in Python."""
    names = [step.event for step in FUNNEL.steps]
    rows = session.execute(select(Event.contact_id, Event.id, Event.name, Event.timestamp, Event.properties)
                           .where(Event.name.in_(names)).order_by(Event.contact_id, Event.timestamp, Event.id))
    counts = [0] * len(FUNNEL.steps)
    for depth in _depths(rows):
        for step in range(depth):
            counts[step] += 1
    return counts


def _depths(rows: Iterable[Any]) -> Iterable[int]:
    """Each contact's steps reached: the best of its starts, each step the earliest match after the last."""
    history: list[Any] = []
    current = None
    for row in [*rows, None]:
        if row is not None and row.contact_id == current:
            history.append(row)
            continue
        if history:
            yield max((_reached(history, start) for start in range(len(history))), default=0)
        history, current = ([row], row.contact_id) if row is not None else ([], None)


def _reached(history: Sequence[Any], start: int) -> int:
    first = history[start]
    if not (_matches(FUNNEL.steps[0], first) and FUNNEL.since <= first.timestamp <= FUNNEL.until):
        return 0
    depth, last = 1, start
    for step in FUNNEL.steps[1:]:
        found = next((index for index in range(last + 1, len(history)) if _matches(step, history[index])
                      and history[index].timestamp <= first.timestamp + FUNNEL.window), None)
        if found is None:
            break
        depth, last = depth + 1, found
    return depth


def _matches(step: Step, row: Any) -> bool:
    return row.name == step.event and matches_properties(step.where, row.properties)


def revenue_baseline(session: Session) -> dict[str, float]:
    """Revenue by first-touch source by brute force: every event, each contact's history walked in Python."""
    rows = session.execute(select(Event.contact_id, Event.name, Event.timestamp, Event.utm_source, Event.properties)
                           .order_by(Event.contact_id, Event.timestamp, Event.id))
    by_source: dict[str, Any] = {}
    contact, source = None, None
    for row in rows:
        if row.contact_id != contact:
            contact, source = row.contact_id, None
        source = source or row.utm_source
        amount = revenue_amount(row.properties.get("amount")) if row.name == "order_paid" else None
        if amount is not None and REVENUE.since <= row.timestamp < REVENUE.until:
            key = source or NONE
            by_source[key] = by_source.get(key, 0) + amount
    return {key: float(amount) for key, amount in by_source.items()}


def _by_source(report: dict[str, Any]) -> dict[str, float]:
    return {group["key"]: group["revenue"] for group in report["groups"]}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=200_000, help="contacts loaded (default 200000)")
    parser.add_argument("--events", type=int, default=5, help="events per contact (default 5)")
    parser.add_argument("--repeat", type=int, default=7, help="timed funnel reports (default 7)")
    parser.add_argument("--baseline-repeat", type=int, default=2, help="timed brute-force recounts (default 2)")
    add_database_arguments(parser, "automap_bench_reports")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_database(args) as database_url:
        schema.upgrade(database_url)
        engine = make_engine(database_url)
        started = time.perf_counter()
        populate(engine, args.contacts, args.events, random.Random(20260302))
        print(f"database {make_url(database_url).get_backend_name()} | {args.contacts:,} contacts, "
              f"{args.contacts * args.events:,} events loaded in {time.perf_counter() - started:.1f} s")
        with session_factory(engine)() as session:
            report = compute(session, FUNNEL, NOW)
            counts = [step["count"] for step in report["steps"]]
            expected = baseline(session)
            if counts != expected:
                raise SystemExit(f"SQL counted {counts}, the brute force {expected}")
            sql_ms = p95(timed(lambda: compute(session, FUNNEL, NOW), args.repeat))
            baseline_ms = p95(timed(lambda: baseline(session), args.baseline_repeat))
            revenue = revenue_report(session, REVENUE)
            if _by_source(revenue) != revenue_baseline(session):
                raise SystemExit(f"the report found {_by_source(revenue)}, the brute force {revenue_baseline(session)}")
            revenue_ms = p95(timed(lambda: revenue_report(session, REVENUE), args.repeat))
            revenue_baseline_ms = p95(timed(lambda: revenue_baseline(session), args.baseline_repeat))
        engine.dispose()
    print("steps: " + " → ".join(f"{step['label']} {step['count']:,}" for step in report["steps"]))
    print(f"reports: 4-step funnel p95 {sql_ms:.1f} ms over {args.contacts * args.events:,} events | brute-force "
          f"baseline p95 {baseline_ms:.1f} ms | {baseline_ms / sql_ms:.1f}x faster | target ≤ 2 s: "
          f"{'met' if sql_ms <= TARGET_MS else 'NOT met'}")
    print(f"revenue: {revenue['total']['count']:,} orders in 30 days by first-touch source, p95 {revenue_ms:.1f} ms | "
          f"brute-force baseline p95 {revenue_baseline_ms:.1f} ms | {revenue_baseline_ms / revenue_ms:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
