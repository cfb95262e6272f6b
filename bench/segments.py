"""Segments benchmark: counts and the first preview page of a filter compiled to SQL, against the Python evaluator.

    .venv/bin/python bench/segments.py                                   # 100,000 contacts, 5 events each
    .venv/bin/python bench/segments.py --contacts 1000000 --baseline-repeat 1   # the issue's full size
    .venv/bin/python bench/segments.py --contacts 2000 --repeat 3        # the suite's tiny run

Set-up (not timed) loads `--contacts` contacts (a plan of free / trial / pro, a city, a
number of visits) with `--events` events each (page_viewed, order_paid, signed_up,
cart_updated, login) spread over the last 60 days, then ANALYZEs. Three filters, as the
issue measured them:

  property   plan eq pro
  events     did order_paid within P14D and did_not signed_up
  combined   any of (plan eq pro and did order_paid within P14D) and
             (plan eq trial and did page_viewed at least 3 times)

For each, `--repeat` times: the count (`find_contacts(limit=0)`, what GET /api/segments/<id>
asks) and the first preview page (`find_contacts(limit=20, count=False)`: the page alone, which the
segment page asks apart from the count and shows first). The baseline is the path every count took
before the compiler and still takes for what SQL cannot decide exactly: the evaluator over
contacts read in chunks (`evaluated_chunks`), `--baseline-repeat` times; it answers the
count and the page in one walk, so the same time stands for both. Totals and pages are
checked equal to the baseline's first walk (which is also timed), so the SQL path cannot get
fast by being wrong.

With AUTOMAP_DATABASE_URL (or --database-url) on PostgreSQL the bench works in its own
database `--database-name` (default automap_bench_segments), created and dropped by the
bench; otherwise in a SQLite file in a temporary directory.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from sqlalchemy import Engine, insert, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.stats import add_database_arguments, analyze_loaded, bench_database, p95, timed  # noqa: E402
from workflow_runtime.audience.contact_search import ContactMatches, evaluated_chunks, find_contacts, page_of  # noqa: E402
from workflow_runtime.storage import schema  # noqa: E402
from workflow_runtime.storage.database import make_engine, session_factory  # noqa: E402
from workflow_runtime.storage.json_columns import dump_json  # noqa: E402
from workflow_runtime.storage.models import Contact, Event  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
EVENT_NAMES = ("page_viewed", "page_viewed", "order_paid", "signed_up", "cart_updated", "login")
PLANS = ("free", "trial", "pro")
CITIES = ("Berlin", "Moscow", "Lisbon", "Austin", "Pune")
PRO = {"property": "plan", "op": "eq", "value": "pro"}
PAID = {"event": "order_paid", "within": "P14D"}
FILTERS: dict[str, dict[str, Any]] = {
    "property": PRO,
    "events": {"all": [PAID, {"event": "signed_up", "op": "did_not"}]},
    "combined": {"any": [{"all": [PRO, PAID]},
                         {"all": [{"property": "plan", "op": "eq", "value": "trial"},
                                  {"event": "page_viewed", "count": {"op": "gte", "value": 3}}]}]},
}
TARGET_COUNT_MS = 1000.0
TARGET_PAGE_MS = 200.0
CHUNK = 10_000


def populate(engine: Engine, contacts: int, events: int, rng: random.Random) -> None:
    """`contacts` contacts with `events` events each, as the module docstring says (COPY on PostgreSQL)."""
    columns = ("id", "email", "name", "properties", "tags", "first_seen_at", "last_seen_at")
    event_columns = ("contact_id", "name", "properties", "timestamp", "received_at", "context")
    for start in range(1, contacts + 1, CHUNK):
        people, happened = [], []
        for contact_id in range(start, min(start + CHUNK, contacts + 1)):
            seen = NOW - timedelta(seconds=rng.randrange(60 * 86400))
            properties = {"plan": rng.choice(PLANS), "city": rng.choice(CITIES), "visits": rng.randrange(50)}
            people.append((contact_id, f"contact{contact_id}@example.com", f"Contact {contact_id}",
                           properties, [], seen, seen))
            for _ in range(events):
                at = NOW - timedelta(seconds=rng.randrange(60 * 86400))
                happened.append((contact_id, rng.choice(EVENT_NAMES), {"amount": rng.randrange(100)}, at, at, {}))
        write_rows(engine, Contact.__table__.name, columns, people)
        write_rows(engine, Event.__table__.name, event_columns, happened)
    analyze_loaded(engine, contacts)


def write_rows(engine: Engine, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if engine.dialect.name == "postgresql":
        connection = engine.raw_connection()
        try:
            with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([dump_json(value) if isinstance(value, dict | list) else value for value in row])
            connection.commit()
        finally:
            connection.close()
        return
    model = Contact if table == Contact.__table__.name else Event
    with engine.begin() as connection:
        connection.execute(insert(model.__table__), [dict(zip(columns, row)) for row in rows])


def measure(session: Session, name: str, condition: dict[str, Any], args: argparse.Namespace) -> dict[str, float]:
    """Times (ms) of the SQL count and first page and of the evaluator baseline, after checking they agree."""
    def baseline() -> ContactMatches:
        return page_of(evaluated_chunks(session, NOW, condition=condition), 20, 0)

    def count() -> ContactMatches:
        return find_contacts(session, NOW, condition=condition, limit=0)

    def page() -> ContactMatches:  # as the segment page asks it, apart from the count
        return find_contacts(session, NOW, condition=condition, limit=20, count=False)

    started = time.perf_counter()
    expected = baseline()
    first_walk = (time.perf_counter() - started) * 1000
    found, counted = page(), count()
    if counted.total != expected.total or [c.id for c in found.contacts] != [c.id for c in expected.contacts]:
        raise SystemExit(f"{name}: SQL found {counted.total} contacts, the evaluator {expected.total}")
    result = {"total": float(expected.total), "count": p95(timed(count, args.repeat)),
              "page": p95(timed(page, args.repeat)),
              "baseline": p95([first_walk, *timed(baseline, args.baseline_repeat - 1)])}
    session.rollback()
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts loaded (default 100000)")
    parser.add_argument("--events", type=int, default=5, help="events per contact (default 5)")
    parser.add_argument("--repeat", type=int, default=7, help="timed counts and pages per filter (default 7)")
    parser.add_argument("--baseline-repeat", type=int, default=2,
                        help="timed baseline walks per filter, the first giving the answers checked (default 2)")
    add_database_arguments(parser, "automap_bench_segments")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_database(args) as database_url:
        schema.upgrade(database_url)  # the schema as `automap db upgrade` builds it, indexes included
        engine = make_engine(database_url)
        started = time.perf_counter()
        populate(engine, args.contacts, args.events, random.Random(20260302))
        print(f"database {make_url(database_url).get_backend_name()} | {args.contacts:,} contacts, "
              f"{args.contacts * args.events:,} events loaded in {time.perf_counter() - started:.1f} s")
        results = {}
        with session_factory(engine)() as session:
            for name, condition in FILTERS.items():
                results[name] = figures = measure(session, name, condition, args)
                print(f"{name:>9}: {figures['total']:>9,.0f} match | count p95 {figures['count']:9.1f} ms | "
                      f"first page p95 {figures['page']:9.1f} ms | evaluator baseline p95 {figures['baseline']:9.1f} ms"
                      f" | count {figures['baseline'] / figures['count']:6.1f}x, page "
                      f"{figures['baseline'] / figures['page']:6.1f}x faster")
        engine.dispose()
    worst_count = max(figures["count"] for figures in results.values())
    worst_page = max(figures["page"] for figures in results.values())
    slowest = min(figures["baseline"] / figures["count"] for figures in results.values())
    met = worst_count <= TARGET_COUNT_MS and worst_page <= TARGET_PAGE_MS
    print(f"segments: count p95 {worst_count:.1f} ms, first page p95 {worst_page:.1f} ms at {args.contacts:,} contacts"
          f" | {slowest:,.1f}x the evaluator baseline at least | target count ≤ 1 s, page ≤ 200 ms: "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
