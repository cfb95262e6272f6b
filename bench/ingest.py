"""Ingestion benchmark: Segment calls through /v1/batch into live flows, on real HTTP, PostgreSQL and Redis.

    .venv/bin/python bench/ingest.py                    # 50,000 calls
    .venv/bin/python bench/ingest.py --events 200000

One API server process (gunicorn, one gthread worker process) takes the calls, and one
`automap worker` process applies the queued events to three live flows (trigger
matching, enrolment, a chat message, waits). The bench process is the client: it
posts batches of `--batch-size` calls from `--clients` keep-alive connections, and
waits until every event is applied. Then, in the same run, on the same servers and
flows, a baseline posts calls of the same mix ONE PER REQUEST to /v1/track
(/v1/identify, /v1/page), each queueing its own one-event job, the way a naive
integration calls the API.

What the figures mean:
- stored: calls/s from the first request until the last one was answered — the API
  has stored every event and queued its job;
- applied: calls/s from the first request until the worker had applied every event
  to the flows (its unapplied mark taken out): ingestion and the runtime together, end to end.
  This is the figure issue 4's target is about ("events/s through /v1/batch with
  trigger matching"): an event stored but not yet matched against the triggers has
  not been through the system.

CPU seconds are counted for the API worker process, the `automap worker` and the
PostgreSQL backends serving the bench's database, per call, so runs on a noisy
machine can be compared by cost as well as by rate.

The bench owns its PostgreSQL database (`--database-name`, its schema dropped and
re-created on every run) and its Redis database (flushed).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from redis import Redis  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import Engine, create_engine, func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.process_cpu import postgres_cpu  # noqa: E402
from bench.runtime import StatisticsKeeper, code_revision, ensure_database, reset_schema, vacuum_analyze  # noqa: E402
from bench.servers import Servers, TrackingClient, start_servers  # noqa: E402
from builder_api.settings import normalise_database_url  # noqa: E402
from flows.validation import validate_flow  # noqa: E402
from workflow_runtime.authoring import flow_store  # noqa: E402
from workflow_runtime.dispatch.job_queue import QUEUE_NAME  # noqa: E402
from workflow_runtime.storage import unapplied_events  # noqa: E402
from workflow_runtime.storage.database import session_factory  # noqa: E402
from workflow_runtime.storage.models import Contact, Event, Flow, Message, Run  # noqa: E402

TARGET_EVENTS_PER_SECOND = 5_000
PRICING = "https://shop.example/pricing"


def _flow(name: str, trigger: dict[str, Any], then: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """trigger → the nodes of `then` in a line → exit."""
    nodes = [{"id": "start", "type": "trigger", "config": {"on": "event", **trigger}}]
    nodes += [{"id": node_id, "type": kind, "config": config} for node_id, kind, config in then]
    nodes.append({"id": "done", "type": "exit", "config": {}})
    edges = [{"from": a["id"], "port": "next", "to": b["id"]} for a, b in zip(nodes, nodes[1:])]
    document = {"schema_version": 2, "name": name, "nodes": nodes, "edges": edges,
                "settings": {"goal": {"event": "order_paid", "within": "P7D", "revenue_property": "amount",
                                      "exit_on_goal": False}}}
    assert validate_flow(document) == [], name
    return document


FLOWS = [
    _flow("Cart over 50", {"event": "cart_updated", "where": [{"property": "total", "op": "gt", "value": 50}]},
          [("wait", "wait", {"duration": "P1D"})]),
    _flow("Pricing visitors", {"event": "page_viewed", "where": [{"property": "url", "op": "contains",
                                                                  "value": "/pricing"}]},
          [("wait", "wait", {"duration": "P1D"})]),
    _flow("Thank you", {"event": "order_paid"}, [("thanks", "send_chat", {"body": "Thank you for your order!"})]),
]


# ---------------------------------------------------------------------------------------------
# The calls
# ---------------------------------------------------------------------------------------------

def make_calls(count: int, contacts: int, namespace: str, seed: int) -> list[dict[str, Any]]:
    """A deterministic mix of Segment calls from `contacts` people (half known users, half anonymous visitors)."""
    rng = random.Random(seed)
    calls = []
    for n in range(count):
        person = rng.randrange(contacts)
        ids = ({"userId": f"{namespace}-user-{person}"} if person % 2 == 0
               else {"anonymousId": f"{namespace}-visitor-{person}"})
        roll = rng.random()
        common = {"messageId": f"{namespace}-{n}", **ids}
        if roll < 0.45:
            url = PRICING if rng.random() < 0.2 else f"https://shop.example/products/{rng.randrange(500)}"
            call = {"type": "page", "name": "Shop", "properties": {"url": url, "title": "Shop"},
                    "context": {"campaign": {"source": "newsletter", "medium": "email", "name": "spring"}}}
        elif roll < 0.65:
            call = {"type": "track", "event": "product_viewed", "properties": {"sku": rng.randrange(500)}}
        elif roll < 0.85:
            call = {"type": "track", "event": "cart_updated", "properties": {"total": rng.randrange(100)}}
        elif roll < 0.90:
            call = {"type": "track", "event": "order_paid", "properties": {"amount": rng.randrange(10, 200)}}
        else:
            call = {"type": "identify", "traits": {"plan": rng.choice(["free", "pro"]), "visits": n}}
        calls.append({**call, **common, "context": {**call.get("context", {}), "userAgent": "bench"}})
    return calls


def expected_runs(calls: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Runs each flow must have once every call is applied: the waits hold one run per person, and the
    thank-you flow runs once per order."""
    def person(call: dict[str, Any]) -> str:
        return call.get("userId") or call["anonymousId"]

    carts = {person(c) for c in calls if c.get("event") == "cart_updated" and c["properties"]["total"] > 50}
    pricing = {person(c) for c in calls if c["type"] == "page" and c["properties"]["url"] == PRICING}
    orders = sum(1 for c in calls if c.get("event") == "order_paid")
    return {"Cart over 50": len(carts), "Pricing visitors": len(pricing), "Thank you": orders}


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    calls: int
    requests: int
    stored: float  # seconds until every request was answered
    applied: float  # seconds until every event was applied
    api_cpu: float
    worker_cpu: float
    postgres_cpu: float  # backends that ended during the phase are not counted

    def cpu_per_call(self) -> float:
        """CPU seconds the API, the worker and PostgreSQL spent per call."""
        return (self.api_cpu + self.worker_cpu + self.postgres_cpu) / self.calls

    def rate(self, seconds: float) -> float:
        return self.calls / seconds if seconds else 0.0


def _requests(calls: list[dict[str, Any]], batch_size: int) -> Iterator[tuple[str, bytes]]:
    """(path, JSON body) of each request, encoded before the clock starts: the client shares the
    server's cores, and encoding is the client's own cost, not the server's."""
    if batch_size == 1:
        for call in calls:
            body = {key: value for key, value in call.items() if key != "type"}
            yield f"/v1/{call['type']}", json.dumps(body).encode()
    else:
        for start in range(0, len(calls), batch_size):
            yield "/v1/batch", json.dumps({"batch": calls[start:start + batch_size]}).encode()


def unapplied_count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return unapplied_events.count(session)


def run_phase(name: str, servers: Servers, engine: Engine, calls: list[dict[str, Any]], batch_size: int,
              clients: int, console: Console) -> Phase:
    """Post the calls from `clients` connections; time until all are answered, then until all are applied."""
    requests = list(_requests(calls, batch_size))
    client = TrackingClient(servers, servers.server_key)  # a backend sending its batches
    failures: list[str] = []

    def send(request: tuple[str, bytes]) -> None:
        path, body = request
        status, text = client.post(path, body)
        if status != 200:
            failures.append(f"{path}: {status} {text[:300]!r}")

    api_cpu, worker_cpu = servers.cpu()
    postgres_before = postgres_cpu(engine)
    client_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, requests))
    stored = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} request(s) failed, first: {failures[0]}")
    while unapplied_count(engine):
        if servers.worker.poll() is not None:
            raise SystemExit("the worker process died")
        time.sleep(0.05)
    applied = time.perf_counter() - started
    api_after, worker_after = servers.cpu()
    postgres_after = postgres_cpu(engine)
    postgres = sum(seconds - postgres_before.get(pid, 0.0) for pid, seconds in postgres_after.items())
    console.log(f"{name}: {len(calls):,} calls in {len(requests):,} requests, stored {stored:,.2f} s, "
                f"applied {applied:,.2f} s; the bench's own client used {time.process_time() - client_before:,.2f} "
                f"CPU s on the same cores; load average {os.getloadavg()[0]:.1f}")
    return Phase(name, len(calls), len(requests), stored, applied, api_after - api_cpu, worker_after - worker_cpu,
                 postgres)


def check(engine: Engine, redis: Redis, calls: list[dict[str, Any]], expected: Counter[str]) -> dict[str, int]:
    """Every event stored once and applied, the flows' runs as the calls imply, no failed job."""
    with session_factory(engine)() as session:
        events = session.scalar(select(func.count()).select_from(Event))
        runs = Counter({name: count for name, count in session.execute(
            select(Flow.name, func.count(Run.id)).join(Run, Run.flow_id == Flow.id).group_by(Flow.name)).all()})
        contacts = session.scalar(select(func.count()).select_from(Contact))
        messages = session.scalar(select(func.count()).select_from(Message))
    wanted = sum(1 for call in calls if call["type"] != "identify")
    if events != wanted:
        raise SystemExit(f"{events:,} events stored for {wanted:,} track and page calls")
    if runs != expected:
        raise SystemExit(f"runs per flow {dict(runs)} but the calls imply {dict(expected)}")
    failed = Queue(QUEUE_NAME, connection=redis).failed_job_registry.count
    if failed:
        raise SystemExit(f"{failed} job(s) failed in the worker")
    return {"events": events, "contacts": contacts, "runs": sum(runs.values()), "messages": messages}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000, help="calls sent through /v1/batch (default 50000)")
    parser.add_argument("--contacts", type=int, default=0,
                        help="people the calls are about (default: one per 10 calls)")
    parser.add_argument("--batch-size", type=int, default=100, help="calls per /v1/batch request (default 100)")
    parser.add_argument("--baseline-events", type=int, default=3_000,
                        help="calls the one-call-per-request baseline sends (default 3000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client connections (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="threads of the API server process (default 4)")
    parser.add_argument("--job-batch-size", type=int, default=500, help="events per RQ job, AUTOMAP_BATCH_SIZE (default 500)")
    parser.add_argument("--database-url",
                        default=os.environ.get("AUTOMAP_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test",
                        help="the PostgreSQL server; the bench works in --database-name on it "
                             "(default $AUTOMAP_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test)")
    parser.add_argument("--database-name", default="automap_bench_ingest",
                        help="the bench's own database: created if missing, its tables dropped and re-created")
    parser.add_argument("--redis-url", default=os.environ.get("AUTOMAP_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/13",
                        help="a Redis database the bench flushes (default $AUTOMAP_BENCH_REDIS_URL or redis://127.0.0.1:6379/13)")
    args = parser.parse_args(argv)
    if min(args.events, args.batch_size, args.baseline_events, args.clients, args.threads) < 1:
        parser.error("counts must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    revision = code_revision()
    console = Console(stderr=True)
    out = Console(width=max(Console().width, 160))
    server_url = make_url(normalise_database_url(args.database_url))
    if server_url.get_backend_name() != "postgresql":
        raise SystemExit(f"bench/ingest.py needs PostgreSQL, not {server_url.get_backend_name()}")
    database_url = ensure_database(server_url, args.database_name)
    engine = create_engine(database_url)
    reset_schema(engine)
    redis = Redis.from_url(args.redis_url)
    redis.flushdb()
    with session_factory(engine).begin() as session:
        for document in FLOWS:
            flow_store.publish_flow(session, flow_store.import_flow(session, document))
    vacuum_analyze(engine)

    calls = make_calls(args.events, args.contacts or max(args.events // 10, 1), "batch", seed=1)
    base_calls = make_calls(args.baseline_events, max(args.baseline_events // 10, 1), "single", seed=2)
    keeper = StatisticsKeeper(database_url).start()
    servers = start_servers(database_url, args.redis_url, args.threads, args.job_batch_size)
    try:
        batched = run_phase("batched: /v1/batch", servers, engine, calls, args.batch_size, args.clients, console)
        totals = check(engine, redis, calls, Counter(expected_runs(calls)))
        baseline = run_phase("baseline: one call per request", servers, engine, base_calls, 1, args.clients, console)
        check(engine, redis, calls + base_calls, Counter(expected_runs(calls)) + Counter(expected_runs(base_calls)))
    finally:
        servers.stop()
        keeper.stop()
        engine.dispose()

    applied_ratio = batched.rate(batched.applied) / baseline.rate(baseline.applied)
    stored_ratio = batched.rate(batched.stored) / baseline.rate(baseline.stored)
    url = make_url(database_url)
    out.print(f"[bold]automap ingestion benchmark[/bold]  calls={args.events:,}  batch={args.batch_size}  "
              f"clients={args.clients}  API: gunicorn 1 process × {args.threads} threads  worker: 1 `automap worker`  "
              f"PostgreSQL {url.host}:{url.port or 5432}/{url.database}  Redis {args.redis_url}  "
              f"Python {platform.python_version()}  code {revision}")
    out.print(f"stored: {totals['events']:,} events, {totals['contacts']:,} contacts created on first sight, "
              f"{totals['runs']:,} runs started by trigger matching, {totals['messages']:,} chat messages")
    table = Table(title="Phases (wall time from the first request)")
    for column in ("phase", "calls", "requests", "stored s", "stored calls/s", "applied s", "applied calls/s",
                   "API CPU s", "worker CPU s", "PG CPU s", "CPU ms/call"):
        table.add_column(column, justify="left" if column == "phase" else "right", no_wrap=column == "phase")
    for phase in (batched, baseline):
        table.add_row(phase.name, f"{phase.calls:,}", f"{phase.requests:,}", f"{phase.stored:,.2f}",
                      f"{phase.rate(phase.stored):,.0f}", f"{phase.applied:,.2f}", f"{phase.rate(phase.applied):,.0f}",
                      f"{phase.api_cpu:,.2f}", f"{phase.worker_cpu:,.2f}", f"{phase.postgres_cpu:,.2f}",
                      f"{phase.cpu_per_call() * 1e3:.3f}")
    out.print(table)
    applied_rate = batched.rate(batched.applied)
    out.print(f"target ≥ {TARGET_EVENTS_PER_SECOND:,} events/s applied through /v1/batch on one server process: "
              + ("[green]met[/green]" if applied_rate >= TARGET_EVENTS_PER_SECOND else "[red]not met[/red]"))
    print(f"ingest: {applied_rate:,.0f} events/s applied ({batched.rate(batched.stored):,.0f}/s stored) through "
          f"/v1/batch | {applied_ratio:,.1f}x baseline applied, {stored_ratio:,.1f}x stored "
          f"(one call per request: {baseline.rate(baseline.applied):,.0f}/s) | events={args.events}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
