"""Widget push benchmark: latency from a `/v1/track` call to the popup it triggers reaching the visitor's open widget.

    .venv/bin/python bench/widget.py                 # 1,000 calls at 100/s to 20 connected visitors
    .venv/bin/python bench/widget.py --events 30     # the suite's tiny run

A live flow `ping (trigger) → popup (send_popup, body "{{ event.n }}") → exit` runs on the
product's own server processes (bench/servers.py): with the embedded defaults one
`automap serve` (a SQLite file, the in-process Redis stand-in, the worker in the same
process); with `--database-url` and `--redis-url`, gunicorn and an `automap worker`. This
process is the visitors' side. Each visitor holds a widget, and the site sends
`POST /v1/track {"event": "ping", "properties": {"n": …}}` for the next visitor, at
`--rate` calls a second. A call's latency runs from just before its request to the moment
that visitor's widget holds the rendered popup: ingestion, the queue, the worker's batch
(trigger matching, enrolment, the popup recorded), the push and the stream.

  push      the widget's way: each visitor holds a server-sent-events stream (`GET /widget/stream`);
            the worker pushes the popup over Redis pub/sub after its commit, and the stream passes it on.
  baseline  naive polling: each visitor reads the same ledger query (`onsite.pending`) every
            `--poll-interval` seconds, as a widget polling an endpoint would (without its HTTP cost).

Capacity: with `--open-streams` more visitors (1,000 by default) holding an idle stream open, the
push phase runs again and the API is probed (`GET /healthz`, `POST /v1/track`, `GET /api/flows`,
one call at a time); the same probes with no stream open are the baseline. Streams are served on
asyncio (`automap widget-stream` beside gunicorn; inside `automap serve` embedded), so they should
cost the API nothing: the targets are p95 <= 100 ms for the probes and <= 50 ms for the push.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

import httpx  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import create_engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.runtime import ensure_database, migrate, reset_schema  # noqa: E402
from bench.servers import Servers, TrackingClient, start_embedded, start_servers  # noqa: E402
from builder_api.settings import normalise_database_url  # noqa: E402
from workflow_runtime.authoring import flow_store  # noqa: E402
from workflow_runtime.channels import onsite  # noqa: E402
from workflow_runtime.storage.database import session_factory  # noqa: E402
from workflow_runtime.storage.models import AnonymousId, Contact  # noqa: E402

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
    """When each popup number reached a widget (the first time)."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}
        self._lock = threading.Lock()

    def note(self, shown: Sequence[dict]) -> None:
        now = time.perf_counter()
        with self._lock:
            for message in shown:
                self.at.setdefault(int(message["body"]), now)


Widget = Callable[[Arrivals, threading.Event, threading.Event], None]


def streaming_widget(servers: Servers, anonymous_id: str) -> Widget:
    """A widget: a visitor token, then the SSE stream until told to stop, connecting again whenever the
    server ends it (every `AUTOMAP_WIDGET_STREAM_LIFETIME`), as the browser's EventSource does."""
    def run(arrivals: Arrivals, ready: threading.Event, stop: threading.Event) -> None:
        with httpx.Client(base_url=servers.url, timeout=None) as http:
            session = http.post("/widget/session", json={"anonymousId": anonymous_id},
                                auth=(servers.write_key, "")).json()
            stream_url = session["stream_url"] or f"{servers.url}/widget/stream"
            while not stop.is_set():
                with http.stream("GET", stream_url, params={"token": session["token"]}) as response:
                    ready.set()
                    for line in response.iter_lines():
                        if line.startswith("data: "):
                            arrivals.note([json.loads(line[6:])])
                        if stop.is_set():
                            return
    return run


def polling_widget(database_url: str, contact_id: int, interval: float) -> Widget:
    """The baseline widget: read the ledger every `interval` seconds."""
    def run(arrivals: Arrivals, ready: threading.Event, stop: threading.Event) -> None:
        engine = create_engine(database_url)
        seen: set[int] = set()
        ready.set()
        while not stop.wait(interval):
            with Session(engine) as session:
                shown = onsite.pending(session, contact_id, exclude=seen)
            seen.update(message["id"] for message in shown)
            arrivals.note(shown)
        engine.dispose()
    return run


class Site:
    """The site's tracking calls: `POST /v1/track`, each sent at its time (`rate` a second) from a few keep-alive
    connections, as visitors' browsers send them independently of each other."""

    def __init__(self, servers: Servers, visitors: int, rate: float, connections: int = 4) -> None:
        self.client = TrackingClient(servers, servers.write_key)  # visitors, from their browsers
        self.visitors, self.rate, self.connections = visitors, rate, connections

    def track(self, first: int, count: int) -> dict[int, float]:
        """Calls `first` … `first + count - 1`, each for the next visitor; when each was sent."""
        sent: dict[int, float] = {}
        with ThreadPoolExecutor(self.connections) as pool:
            begin = time.perf_counter()
            calls = []
            for n in range(first, first + count):
                time.sleep(max(0.0, begin + (n - first) / self.rate - time.perf_counter()))
                calls.append(pool.submit(self._post, n, sent))
            for call in calls:
                call.result()
        return sent

    def _post(self, n: int, sent: dict[int, float]) -> None:
        body = json.dumps({"anonymousId": f"anon-{n % self.visitors}", "event": "ping", "properties": {"n": n}})
        sent[n] = time.perf_counter()
        status, text = self.client.post("/v1/track", body)
        if status != 200:
            raise SystemExit(f"/v1/track answered {status}: {text[:300]!r}")


def run_phase(name: str, widgets: list[Widget], site: Site, first: int, count: int) -> dict[str, float]:
    """Connect the widgets, send the calls, wait for every popup to arrive; latency figures in ms."""
    arrivals = Arrivals()
    stop = threading.Event()
    readies = [threading.Event() for _ in widgets]
    for widget, ready in zip(widgets, readies):
        threading.Thread(target=widget, args=(arrivals, ready, stop), daemon=True).start()
    if not all(ready.wait(30) for ready in readies):
        raise SystemExit(f"{name}: the widgets did not connect")
    time.sleep(0.2)
    sent = site.track(first, count)
    achieved = (count - 1) / (max(sent.values()) - min(sent.values())) if count > 1 else float(count)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and not all(n in arrivals.at for n in sent):
        time.sleep(0.01)
    stop.set()
    missing = [n for n in sent if n not in arrivals.at]
    if missing:
        raise SystemExit(f"{name}: {len(missing)} of {len(sent)} popups never reached their widget")
    latencies = sorted((arrivals.at[n] - at) * 1000 for n, at in sent.items())
    return {"rate": achieved, "p50": statistics.median(latencies), "p95": _p95(latencies), "max": latencies[-1]}


def _p95(ordered: Sequence[float]) -> float:
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


class OpenStreams:
    """Idle widgets holding their stream open (reconnecting when the server ends it): a socket each, as many
    browsers would hold. They run in a process of their own, so that their parsing shares no interpreter
    lock with the measured widgets and calls of this one (the browsers are other machines)."""

    def __init__(self, servers: Servers, anonymous_ids: Sequence[str]) -> None:
        self._ours, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=_hold_streams, args=(servers.url, servers.write_key, list(anonymous_ids), theirs), daemon=True)
        self.connected = 0

    def open(self) -> None:
        """Open every stream; return once each has its first line."""
        self._process.start()
        if not self._ours.poll(300):
            raise SystemExit("the idle streams did not open within 5 minutes")
        self.connected, refused = self._ours.recv()
        if refused:
            raise SystemExit(f"{len(refused)} streams refused, e.g. {refused[0]}")

    def close(self) -> None:
        self._ours.send("stop")
        self._process.join(timeout=60)


def _hold_streams(url: str, write_key: str, anonymous_ids: list[str], pipe: Connection) -> None:
    """In the child: open a stream per anonymous id, report (connected, refused), hold them until told to stop."""

    async def session(http: httpx.AsyncClient, anonymous_id: str) -> dict:
        answer = await http.post("/widget/session", json={"anonymousId": anonymous_id}, auth=(write_key, ""))
        answer.raise_for_status()
        return answer.json()

    async def hold(http: httpx.AsyncClient, visitor: dict, first_line: asyncio.Event, refused: list[str]) -> None:
        stream_url = visitor["stream_url"] or f"{url}/widget/stream"
        while True:
            async with http.stream("GET", stream_url, params={"token": visitor["token"]}) as response:
                if response.status_code != 200:
                    refused.append(f"{response.status_code} {(await response.aread())[:200]!r}")
                    first_line.set()
                    return
                async for _line in response.aiter_lines():
                    first_line.set()

    async def main() -> None:
        limits = httpx.Limits(max_connections=len(anonymous_ids) + 10, max_keepalive_connections=0)
        refused: list[str] = []
        async with httpx.AsyncClient(base_url=url, timeout=None, limits=limits) as http:
            first_lines = [asyncio.Event() for _ in anonymous_ids]
            tasks = []
            for start in range(0, len(anonymous_ids), 50):  # sessions in bursts, as page loads come
                chunk = range(start, min(start + 50, len(anonymous_ids)))
                visitors = await asyncio.gather(*(session(http, anonymous_ids[n]) for n in chunk))
                tasks += [asyncio.create_task(hold(http, visitor, first_lines[n], refused))
                          for n, visitor in zip(chunk, visitors)]
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in first_lines)), timeout=120)
            pipe.send((len(anonymous_ids) - len(refused), refused))
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "stop"
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def probe_api(servers: Servers, rounds: int) -> dict[str, float]:
    """p95 in ms of `GET /healthz`, `POST /v1/track` (a visitor's page view) and `GET /api/flows` (the canvas),
    each called `rounds` times, one call at a time, interleaved."""
    calls = {
        "healthz": lambda http, n: http.get("/healthz"),
        "v1/track": lambda http, n: http.post("/v1/track", auth=(servers.write_key, ""), json={
            "anonymousId": f"probe-{n}", "event": "probe"}),
        "api/flows": lambda http, n: http.get("/api/flows", headers={"Authorization": f"Bearer {servers.admin_token}"}),
    }
    took: dict[str, list[float]] = {name: [] for name in calls}
    with httpx.Client(base_url=servers.url, timeout=60) as http:
        for n in range(rounds):
            for name, call in calls.items():
                begin = time.perf_counter()
                answer = call(http, n)
                took[name].append((time.perf_counter() - begin) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"{name} answered {answer.status_code}: {answer.text[:300]!r}")
            time.sleep(0.01)
    return {name: _p95(sorted(values)) for name, values in took.items()}


def prepare(database_url: str, visitors: int, flow: dict[str, Any] | None = FLOW) -> list[int]:
    """The schema, the live flow (if any) and the visitors' contacts (each known by its anonymous id, no email)."""
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        reset_schema(engine)  # the bench's own scratch database: start from an empty schema
    else:
        migrate(engine)  # a fresh SQLite file
    with session_factory(engine).begin() as session:
        if flow is not None:
            flow_store.publish_flow(session, flow_store.import_flow(session, flow))
        people = [Contact(name=f"visitor {i}") for i in range(visitors)]
        session.add_all(people)
        session.flush()
        contacts = [contact.id for contact in people]
        session.add_all(AnonymousId(anonymous_id=f"anon-{i}", contact_id=c) for i, c in enumerate(contacts))
    engine.dispose()
    return contacts


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="tracking calls per phase, one popup each (default 1000)")
    parser.add_argument("--rate", type=float, default=100.0, help="tracking calls a second (default 100)")
    parser.add_argument("--visitors", type=int, default=20, help="connected widgets (default 20)")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="the baseline's polling interval, s (default 1)")
    parser.add_argument("--open-streams", type=int, default=1000, help="idle widgets holding a stream open in the capacity "
                                                                       "phase (default 1000)")
    parser.add_argument("--probes", type=int, default=200, help="calls to each API endpoint per capacity probe (default 200)")
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (created if missing) whose schema the bench drops and re-creates "
                                               "(default: a temporary SQLite file)")
    parser.add_argument("--database-name", help="the scratch database's name on that server (default: the URL's)")
    parser.add_argument("--redis-url", help="a Redis database to flush and use (default: the in-process stand-in)")
    args = parser.parse_args(argv)
    if bool(args.database_url) != bool(args.redis_url):
        parser.error("--database-url and --redis-url go together: real servers, or the embedded defaults")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="automap-bench-widget-"))
    database_url = normalise_database_url(args.database_url or f"sqlite:///{instance / 'bench.db'}")
    if args.database_url:
        database_url = ensure_database(make_url(database_url), args.database_name or make_url(database_url).database)
    contacts = prepare(database_url, args.visitors + args.open_streams)[:args.visitors]
    # The bench's thousand browsers share one address: lift the per-address caps a real site keeps.
    crowd = {"AUTOMAP_WIDGET_STREAMS_PER_ADDRESS": str(args.open_streams + args.visitors + 10),
             "AUTOMAP_WIDGET_SESSION_RATE": "100000 per minute"}
    if args.redis_url:
        Redis.from_url(args.redis_url).flushdb()
        servers = start_servers(database_url, args.redis_url, threads=16, **crowd)
    else:
        servers = start_embedded(database_url, instance, **crowd)
    try:
        site = Site(servers, args.visitors, args.rate)
        widgets = [streaming_widget(servers, f"anon-{i}") for i in range(args.visitors)]
        push = run_phase("push", widgets, site, 0, args.events)
        idle_api = probe_api(servers, args.probes)
        crowd_streams = OpenStreams(servers, [f"anon-{args.visitors + i}" for i in range(args.open_streams)])
        crowd_streams.open()
        try:
            loaded_api = probe_api(servers, args.probes)
            loaded_push = run_phase("push with streams open", widgets, site, args.events, args.events)
            still_open = crowd_streams.connected
        finally:
            crowd_streams.close()
        poll = run_phase("baseline", [polling_widget(database_url, c, args.poll_interval) for c in contacts],
                         site, 2 * args.events, args.events)
    finally:
        servers.stop()

    backends = ("postgresql and redis: gunicorn, an `automap widget-stream` and an `automap worker`" if args.redis_url
                else "embedded: one `automap serve` (sqlite, in-process redis and worker)")
    print(f"backends: {backends}; latency from each /v1/track call to its popup in the visitor's widget")
    print(f"{'phase':<40} {'calls/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, figures in (("push: SSE + Redis pub/sub", push),
                           (f"push, {args.open_streams} more streams open", loaded_push),
                           (f"baseline: polling every {args.poll_interval:g} s", poll)):
        print(f"{label:<40} {figures['rate']:>8.1f} {figures['p50']:>8.1f} {figures['p95']:>8.1f} {figures['max']:>8.1f}")
    print(f"API p95 ms, one call at a time ({args.probes} each): "
          + ", ".join(f"{name} {idle_api[name]:.1f} -> {loaded_api[name]:.1f}" for name in idle_api)
          + f" (no stream open -> {still_open} open)")
    print(f"target: p95 <= 50 ms at 100 events/s: {'met' if push['p95'] <= 50 and push['rate'] >= 95 else 'NOT met'}")
    worst = max(loaded_api.values())
    print(f"capacity: {still_open} streams open | API p95 {worst:.1f} ms worst, "
          f"{worst / max(idle_api.values()):.1f}x no streams (target <= 100 ms: {'met' if worst <= 100 else 'NOT met'}) "
          f"| push p95 {loaded_push['p95']:.1f} ms (target <= 50 ms: {'met' if loaded_push['p95'] <= 50 else 'NOT met'})")
    print(f"widget: p95 {push['p95']:.1f} ms push | {poll['p95'] / push['p95']:.1f}x baseline (p95 {poll['p95']:.1f} ms) "
          f"| {push['rate']:.0f} events/s | events={args.events} visitors={args.visitors}")


if __name__ == "__main__":
    main()
