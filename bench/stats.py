"""Statistics benchmark: GET /api/flows/<id>/stats over 1,000,000 runs' worth of counters, against a recount from runs.

    .venv/bin/python bench/stats.py                        # 1,000,000 runs over 90 days, 20,000 baseline runs
    .venv/bin/python bench/stats.py --runs 20000 --days 5 --baseline-runs 300 --requests 20   # the suite's tiny run

Set-up (not timed) publishes a 20-node flow twice and simulates contacts walking it the
way the runtime does (split, sends with delivered/read/clicked, waits, conditions, a
wait for `order_paid` that converts with revenue), aggregating what each step counts
with the runtime's own `CounterBatch`:

  version 1  `--runs` runs' worth of counters over `--days` days: `--walks-per-day` walks
             a day, each counted as runs / (days × walks) runs, so every (node, metric,
             day) row a real million runs would write is there; no run rows.
  version 2  `--baseline-runs` real runs (contacts, run rows with their paths) and their counters.

`--other-versions` more flows get copies of version 1's counter rows, so the query has to
find its version among others, as in a real table. Then, through the Flask test client,
`--requests` GETs of version 1's stats are timed (p50, p95, max), and the baseline
recounts version 2's figures from its runs (the scan the counters exist to avoid) and is
scaled linearly to `--runs`. Before timing, version 2's statistics from the endpoint are
checked equal to the recount, so the endpoint cannot get fast by being wrong.

With AUTOMAP_DATABASE_URL (or --database-url) on PostgreSQL the bench works in its own
database `--database-name` (default automap_bench_stats), created and dropped by the
bench; otherwise in a SQLite file in a temporary directory.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from sqlalchemy import Engine, create_engine, insert, make_url, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from builder_api.app import create_app  # noqa: E402
from builder_api.extensions import db  # noqa: E402
from builder_api.settings import normalise_database_url  # noqa: E402
from workflow_runtime.authoring import flow_store  # noqa: E402
from workflow_runtime.engine.counters import QUEUED, CounterBatch, converted_by, left, message_metric  # noqa: E402
from workflow_runtime.storage import schema  # noqa: E402
from workflow_runtime.storage.models import Contact, NodeCounter, Run  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOKEN = "bench-admin-token"
TARGET_P95_MS = 20.0

EMAIL = {"subject": "Hello", "body": "<mjml><mj-body><mj-text>Hi</mj-text></mj-body></mjml>"}
NODES: dict[str, tuple[str, dict[str, Any]]] = {
    "start": ("trigger", {"event": "signed_up"}),
    "ab": ("split", {"variants": [{"id": "a", "label": "Plain link", "weight": 50},
                                  {"id": "b", "label": "Button", "weight": 50}]}),
    "email_a": ("send_email", EMAIL), "email_b": ("send_email", EMAIL),
    "day1": ("wait", {"duration": "P1D"}),
    "active": ("condition", {"filter": {"event": "login", "within": "P1D"}}),
    "tips_chat": ("send_chat", {"body": "Tips"}), "nudge_email": ("send_email", EMAIL),
    "day3": ("wait", {"duration": "P2D"}),
    "engaged": ("condition", {"filter": {"event": "login", "count": {"op": "gte", "value": 3}}}),
    "case_email": ("send_email", EMAIL), "help_chat": ("send_chat", {"body": "Need help?"}),
    "day7": ("wait", {"duration": "P4D"}),
    "paid": ("wait_for_event", {"event": "order_paid", "timeout": "P7D"}),
    "thanks_email": ("send_email", EMAIL), "customer": ("update_contact", {"add_tags": ["customer"]}),
    "goal": ("goal", {"name": "Paid"}), "lastcall_email": ("send_email", EMAIL),
    "done_paid": ("exit", {}), "done": ("exit", {}),
}
EDGES = {
    ("start", "next"): "ab", ("ab", "a"): "email_a", ("ab", "b"): "email_b",
    ("email_a", "next"): "day1", ("email_b", "next"): "day1", ("day1", "next"): "active",
    ("active", "yes"): "tips_chat", ("active", "no"): "nudge_email",
    ("tips_chat", "next"): "day3", ("nudge_email", "next"): "day3", ("day3", "next"): "engaged",
    ("engaged", "yes"): "case_email", ("engaged", "no"): "help_chat",
    ("case_email", "next"): "day7", ("help_chat", "next"): "day7", ("day7", "next"): "paid",
    ("paid", "event"): "thanks_email", ("thanks_email", "next"): "customer", ("customer", "next"): "goal",
    ("goal", "next"): "done_paid",
    ("paid", "timeout"): "lastcall_email", ("lastcall_email", "next"): "done",
}
FLOW = {
    "schema_version": 2, "name": "Trial to paid",
    "settings": {"goal": {"event": "order_paid", "within": "P30D", "revenue_property": "amount", "exit_on_goal": False}},
    "nodes": [{"id": node_id, "type": kind, "config": config} for node_id, (kind, config) in NODES.items()],
    "edges": [{"from": source, "port": port, "to": target} for (source, port), target in EDGES.items()],
}
WAITS = {"day1": timedelta(days=1), "day3": timedelta(days=2), "day7": timedelta(days=4)}
CHANCE = {("active", "yes"): 0.4, ("engaged", "yes"): 0.3}
PAYS = {"a": 0.05, "b": 0.18}  # the seed's A/B: 35 of 721 and 113 of 638
MESSAGE_FUNNEL = (("delivered", 0.97), ("read", 0.45), ("clicked", 0.25))


def walk(rng: random.Random, entered_at: datetime, now: datetime, counters: CounterBatch, version_id: int,
         weight: int) -> dict[str, Any]:
    """One contact through FLOW up to `now`, counted `weight` times as the runtime counts; returns the run's row."""
    def count(node_id: str, metric: str, at: datetime, n: int = 1, amount: Decimal | None = None) -> None:
        counters.add(version_id, node_id, metric, at, n * weight, amount * weight if amount else None)

    path: list[list[Any]] = []
    run = {"status": "waiting", "entered_at": entered_at, "ended_at": None, "converted_at": None, "revenue": None}
    node, at, variant = "start", entered_at, "a"
    count(node, "entered", at)
    while True:
        kind = NODES[node][0]
        if kind == "exit":
            path.append([node, None])
            count(node, "completed", at)
            run.update(status="completed", ended_at=at)
            break
        if kind in ("wait", "wait_for_event"):
            pays_at = at + timedelta(days=rng.uniform(0, 7)) if kind == "wait_for_event" and rng.random() < PAYS[variant] else None
            leave = pays_at or at + WAITS.get(node, timedelta(days=7))
            count(node, "waiting", at)
            if leave > now:
                path.append([node, None])
                break
            if pays_at is not None:  # the goal event: credited on every node passed, and by variant at the split
                amount = Decimal(rng.randrange(1000, 20000)) / 100
                for passed in dict.fromkeys([*(step[0] for step in path), node]):
                    count(passed, "converted", pays_at, amount=amount)
                count("ab", converted_by(variant), pays_at, amount=amount)
                run.update(converted_at=pays_at, revenue=amount)
            count(node, "waiting", leave, n=-1)
            at = leave
            port = "event" if pays_at else "next" if kind == "wait" else "timeout"
        elif kind == "split":
            port = variant = rng.choice("ab")
        elif kind == "condition":
            port = "yes" if rng.random() < CHANCE[node, "yes"] else "no"
        else:
            port = "next"
            if kind.startswith("send_"):  # counted on its channel as the runtime does, queued until delivered
                channel = kind.removeprefix("send_")
                count(node, message_metric(channel, "sent"), at)
                count(node, message_metric(channel, QUEUED), at)
                for status, chance in MESSAGE_FUNNEL:
                    if rng.random() >= chance:
                        break
                    if status == "delivered":
                        count(node, message_metric(channel, QUEUED), at, n=-1)
                    count(node, message_metric(channel, status), at)
        path.append([node, port])
        count(node, left(port), at)
        node = EDGES[node, port]
        count(node, "entered", at)
    run.update(node_id=node, path=path)
    return run


def recount(session: Session, version_id: int) -> dict[str, Any]:
    """The baseline: the same figures recounted from the version's runs (a scan of every run)."""
    nodes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    revenue: defaultdict[str, Decimal] = defaultdict(Decimal)
    series: defaultdict[Any, Counter[str]] = defaultdict(Counter)
    query = select(Run.path, Run.status, Run.node_id, Run.entered_at, Run.converted_at, Run.revenue).where(
        Run.flow_version_id == version_id)
    for path, status, node_id, entered_at, converted_at, amount in session.execute(query.execution_options(yield_per=5000)):
        series[entered_at.date()]["entered"] += 1
        for step_node, port in path:
            nodes[step_node]["entered"] += 1
            if port is not None:
                nodes[step_node][left(port)] += 1
        nodes[node_id][status.value] += 1
        if converted_at is not None:  # in this flow the goal event arrives in `paid`: credit the path up to there
            series[converted_at.date()]["converted"] += 1
            passed = [step[0] for step in path]
            for step_node in dict.fromkeys(passed[: passed.index("paid") + 1]):
                nodes[step_node]["converted"] += 1
                revenue[step_node] += amount or 0
    return {"nodes": nodes, "revenue": revenue, "series": series}


def check_endpoint_against_recount(stats: dict[str, Any], counted: dict[str, Any]) -> None:
    """Version 2's statistics from the endpoint equal the recount from its runs, node by node."""
    for node_id, node in stats["nodes"].items():
        expected = counted["nodes"].get(node_id, Counter())
        got = {"entered": node["entered"], "waiting": node["waiting"], "completed": node["completed"],
               "converted": node["converted"], **{left(port): n for port, n in node["left"].items()}}
        want = {metric: expected[metric] for metric in got}
        if got != want or node["revenue"] != float(counted["revenue"][node_id]):
            raise SystemExit(f"node {node_id}: the endpoint says {got}, the runs say {want}")
    days = {entry["day"]: entry for entry in stats["series"]}
    for day, figures in counted["series"].items():
        entry = days.get(day.isoformat(), {})
        if (entry.get("entered", 0), entry.get("converted", 0)) != (figures["entered"], figures["converted"]):
            raise SystemExit(f"day {day}: the endpoint's series says {entry}, the runs say {dict(figures)}")


def add_database_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """--database-url (default $AUTOMAP_DATABASE_URL; unset: SQLite) and --database-name (`name`), for bench_database."""
    parser.add_argument("--database-url", default=os.environ.get("AUTOMAP_DATABASE_URL") or None,
                        help="PostgreSQL server (default $AUTOMAP_DATABASE_URL); unset: SQLite in a temporary directory")
    parser.add_argument("--database-name", default=name, help="the bench's own PostgreSQL database")


def analyze_loaded(engine: Engine, contacts: int) -> None:
    """After a bulk load of contacts 1…`contacts` and their events: the id sequence moved past them, statistics made."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), :n)"), {"n": contacts})
            connection.execute(text("VACUUM ANALYZE contacts"))
            connection.execute(text("VACUUM ANALYZE events"))
            connection.execute(text("VACUUM ANALYZE event_tallies"))  # as autovacuum would: plans read its statistics
        else:
            connection.execute(text("ANALYZE"))


@contextmanager
def bench_database(args: argparse.Namespace) -> Iterator[str]:
    """The bench's own PostgreSQL database (created, dropped after), or a SQLite file in a temporary directory."""
    if not args.database_url:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench_stats.db"
        return
    server = make_url(normalise_database_url(args.database_url))
    if not server.drivername.startswith("postgresql"):
        raise SystemExit(f"--database-url must be PostgreSQL, not {server.drivername}")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database_name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{args.database_name}"'))
    try:
        yield server.set(database=args.database_name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database_name}" WITH (FORCE)'))
        admin.dispose()


def populate(session: Session, args: argparse.Namespace, rng: random.Random) -> tuple[int, int, int]:
    """The flow, its two versions and the other flows, filled as the module docstring says; (flow, v1, v2) ids."""
    flow = flow_store.import_flow(session, FLOW)
    big, small = flow_store.publish_flow(session, flow), flow_store.publish_flow(session, flow)
    now = START + timedelta(days=args.days)
    walks = args.days * args.walks_per_day
    weight = max(1, round(args.runs / walks))
    counters = CounterBatch()
    for index in range(walks):
        walk(rng, START + timedelta(days=index / args.walks_per_day), now, counters, big.id, weight)
    counters.flush(session)

    contacts = session.execute(insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
                               [{"name": f"Contact {i}", "email": f"c{i}@example.com", "properties": {}, "tags": []}
                                for i in range(args.baseline_runs)]).scalars().all()
    rows = []
    for contact_id in contacts:
        entered_at = START + timedelta(days=rng.uniform(0, args.days))
        run = walk(rng, entered_at, now, counters, small.id, 1)
        rows.append({**run, "flow_id": flow.id, "flow_version_id": small.id, "contact_id": contact_id,
                     "node_state": {}, "context": {}})
    session.execute(insert(Run), rows)
    counters.flush(session)

    for index in range(args.other_versions):
        other = flow_store.import_flow(session, {**FLOW, "name": f"Other flow {index}"})
        version = flow_store.publish_flow(session, other)
        session.execute(text(
            "INSERT INTO node_counters (flow_version_id, node_id, metric, day, count, amount) "
            "SELECT :other, node_id, metric, day, count, amount FROM node_counters WHERE flow_version_id = :big"
        ), {"other": version.id, "big": big.id})
    return flow.id, big.id, small.id


def timed(call: Any, repeat: int) -> list[float]:
    """Wall-clock milliseconds of each of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def cpu_ms(call: Any, repeat: int) -> float:
    """This process's CPU milliseconds per call: what the figures cost here whatever else the machine runs."""
    started = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - started) * 1000 / repeat


def p95(times: Sequence[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="runs' worth of counters in version 1 (default 1000000)")
    parser.add_argument("--days", type=int, default=90, help="days the runs entered over (default 90)")
    parser.add_argument("--walks-per-day", type=int, default=200, help="simulated walks a day in version 1 (default 200)")
    parser.add_argument("--baseline-runs", type=int, default=20_000, help="real runs in version 2, the baseline (default 20000)")
    parser.add_argument("--other-versions", type=int, default=20, help="other flows holding copies of the counters (default 20)")
    parser.add_argument("--requests", type=int, default=200, help="timed GETs of the stats (default 200)")
    parser.add_argument("--baseline-repeat", type=int, default=5, help="timed recounts of the baseline (default 5)")
    add_database_arguments(parser, "automap_bench_stats")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(20260302)
    with bench_database(args) as database_url, tempfile.TemporaryDirectory() as instance:
        app = create_app({"instance_path": Path(instance), "database_url": database_url, "redis_url": None,
                          "admin_token": TOKEN, "write_key": "bench", "secret_key": "bench"})
        schema.upgrade(database_url)  # the schema as `automap db upgrade` builds it
        with app.app_context():
            started = time.perf_counter()
            flow_id, big_id, small_id = populate(db.session, args, rng)
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE"))
            rows = db.session.query(NodeCounter).count()
            setup = time.perf_counter() - started
            db.session.remove()

            client = app.test_client()
            headers = {"Authorization": f"Bearer {TOKEN}"}

            def get(version: int) -> dict[str, Any]:
                response = client.get(f"/api/flows/{flow_id}/stats?version={version}", headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"GET stats answered {response.status_code}: {response.get_data(as_text=True)}")
                return response.json

            check_endpoint_against_recount(get(2), recount(db.session, small_id))
            worth = get(1)["totals"]["entered"]
            timed(lambda: get(1), 5)  # warm-up: connections, caches
            stats_ms = timed(lambda: get(1), args.requests)
            stats_cpu = cpu_ms(lambda: get(1), max(5, args.requests // 4))
            small_ms = timed(lambda: get(2), max(5, args.requests // 4))
            baseline_ms = timed(lambda: recount(db.session, small_id), args.baseline_repeat)
            db.session.remove()

    baseline = statistics.median(baseline_ms)
    scaled = baseline * worth / args.baseline_runs
    stats_p95 = p95(stats_ms)
    print(f"database {make_url(database_url).get_backend_name()} | {rows:,} counter rows "
          f"({args.other_versions} other versions) | 20-node flow, {args.days} days | set-up {setup:,.1f} s (not timed)")
    print(f"GET /api/flows/<id>/stats over {worth:,} runs' worth of counters, {args.requests} requests: "
          f"p50 {statistics.median(stats_ms):.2f} ms, p95 {stats_p95:.2f} ms, max {max(stats_ms):.2f} ms; "
          f"{stats_cpu:.2f} ms CPU in this process per request")
    print(f"the same endpoint over {args.baseline_runs:,} runs: p95 {p95(small_ms):.2f} ms (flat: it reads counters, not runs)")
    print(f"baseline, the same figures recounted from {args.baseline_runs:,} runs: median {baseline:,.1f} ms "
          f"→ {scaled:,.0f} ms scaled to {worth:,} runs")
    met = "met" if stats_p95 <= TARGET_P95_MS else "NOT met"
    print(f"stats: p95 {stats_p95:.2f} ms for {worth:,} runs' worth | {scaled / stats_p95:,.0f}x the recount baseline "
          f"| target p95 ≤ {TARGET_P95_MS:g} ms: {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
