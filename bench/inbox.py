"""Inbox benchmark: latency from an operator's answer to the visitor's open widget, and from a visitor's message to
the team's open inbox.

    .venv/bin/python bench/inbox.py                  # 1,000 answers at 20/s to 20 connected visitors (embedded)
    .venv/bin/python bench/inbox.py --database-url postgresql://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/12        # real servers, as a deployment runs them

The product's own server processes answer (bench/servers.py): with the embedded defaults one
`automap serve` (a SQLite file, the in-process Redis stand-in, the worker in the same process);
with `--database-url` and `--redis-url`, gunicorn, an `automap widget-stream` and an `automap
worker`. This process plays the visitors and one operator. Each of `--visitors` contacts (known by
an anonymous id) holds its widget's stream open (`GET /widget/stream`); the operator holds the
inbox's (`GET /inbox/stream`, with a token from `POST /api/conversations/stream-token`).

  visitor → inbox    each visitor writes first (`POST /widget/messages`, round robin at `--rate` a second, `--messages`
                     in all): from just before the request to the inbox stream's `conversation` event carrying it.
  operator → widget  the operator answers (`POST /api/conversations/<id>/messages` with the admin token, round robin,
                     `--replies` at `--rate` a second): from just before the request to the `message` event with
                     that id on that visitor's stream.
  baseline           the same answers, to widgets without push: each polls `GET /widget/conversation` every
                     `--poll-interval` seconds (staggered and jittered, as independent browsers' timers are).

The streams and the polls are read on an event loop in a thread of their own; the requests go out from
a few keep-alive connections in others. `perf_counter` is CLOCK_MONOTONIC, one clock for the machine.
An item that never arrives fails the run. The target (issue 19) is p95 <= 100 ms operator → widget.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

import httpx  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import Engine, create_engine, make_url  # noqa: E402

from bench.process_cpu import cpu_seconds, postgres_cpu  # noqa: E402
from bench.runtime import ensure_database  # noqa: E402
from bench.servers import Servers, start_embedded, start_servers  # noqa: E402
from bench.widget import prepare  # noqa: E402
from builder_api.settings import normalise_database_url  # noqa: E402

RECONNECT_SECONDS = 1.0  # what the streams' `retry:` tells EventSource
POLL_JITTER = 0.2  # ± this share of the polling interval between a widget's polls
ARRIVAL_TIMEOUT = 10.0  # seconds after the last request by which every item must have arrived


@dataclass
class Visitor:
    """A contact with its widget: the visitor token and where its stream opens."""

    contact_id: int
    token: str
    stream_url: str


@dataclass
class Sent:
    """A request: when it went out (just before), how long its answer took, and the item it answered."""

    at: float
    took: float
    item: dict[str, Any]


class Arrivals:
    """When each item (a key naming where it was seen, its kind and id) first arrived."""

    def __init__(self) -> None:
        self.at: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def note(self, key: Hashable) -> None:
        now = time.perf_counter()
        with self._lock:
            self.at.setdefault(key, now)

    def wait(self, keys: Sequence[Hashable], timeout: float) -> list[Hashable]:
        """Wait until every key arrived or `timeout` passed; the keys still missing."""
        deadline = time.perf_counter() + timeout
        while (missing := [key for key in keys if key not in self.at]) and time.perf_counter() < deadline:
            time.sleep(0.005)
        return missing


async def server_sent_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    """(event name, decoded data) of each event of a text/event-stream body, as EventSource dispatches them."""
    name, data = "message", []
    async for line in lines:
        if not line:
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


async def _reported(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Await the coroutine; its failure is told at once (what it should have seen then never arrives)."""
    try:
        return await coroutine
    except Exception:
        traceback.print_exc()
        raise


class Listeners:
    """The streams and polls the bench watches, on one event loop in a thread of its own (the requests being timed
    go out from other threads); each task runs until it is cancelled."""

    def __init__(self, servers: Servers) -> None:
        self.dropped = 0  # connections that failed and were opened again, as a browser would
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self._http = self._run(self._client(servers.url)).result()

    @staticmethod
    async def _client(url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=url, timeout=None, limits=httpx.Limits(max_connections=None))

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(_reported(coroutine), self._loop)

    def stream(self, url: str, token: str, on_event: Callable[[str, Any], None]) -> Future[None]:
        """Hold a stream open, connecting again whenever the server ends it (as EventSource does); `on_event`
        is called with each event as it arrives."""
        async def hold() -> None:
            while True:
                try:
                    async with self._http.stream("GET", url, params={"token": token}) as response:
                        if response.status_code != 200:
                            raise RuntimeError(f"{url} answered {response.status_code}: "
                                               f"{(await response.aread())[:300]!r}")
                        async for name, data in server_sent_events(response.aiter_lines()):
                            on_event(name, data)
                except httpx.TransportError:  # e.g. a keep-alive connection the server closed as it was reused
                    self.dropped += 1
                    await asyncio.sleep(RECONNECT_SECONDS)
        return self._run(hold())

    def poll(self, token: str, interval: float, on_items: Callable[[list[dict]], None]) -> Future[None]:
        """Read `GET /widget/conversation` about every `interval` seconds, from a random start, each pause jittered
        by ±20 %: browsers' timers drift apart, and without it round-robin answers would lock in phase with the
        polls (every answer to a visitor waiting the same time)."""
        async def poll() -> None:
            next_read = time.perf_counter() + random.uniform(0, interval)
            while True:
                await asyncio.sleep(max(0.0, next_read - time.perf_counter()))
                next_read += interval * random.uniform(1 - POLL_JITTER, 1 + POLL_JITTER)
                try:
                    answer = await self._http.get("/widget/conversation",
                                                  headers={"Authorization": f"Bearer {token}"})
                except httpx.TransportError:  # as above: this poll is lost, the next one comes at its time
                    self.dropped += 1
                    continue
                if answer.status_code != 200:
                    raise RuntimeError(f"/widget/conversation answered {answer.status_code}: {answer.text[:300]!r}")
                on_items(answer.json()["items"])
        return self._run(poll())

    @staticmethod
    def stop(tasks: Sequence[Future[None]]) -> None:
        """Cancel the tasks; one that failed on its own fails the run."""
        for task in tasks:
            if task.done() and not task.cancelled():
                task.result()
            task.cancel()

    def close(self) -> None:
        """Cancel what still runs (a failed run leaves its streams open), close the connections, end the loop."""
        self._run(self._shut_down()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _shut_down(self) -> None:
        running = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await self._http.aclose()


class Requests:
    """POSTs each sent at its time (`rate` a second) from a few keep-alive connections: the people sending them
    (visitors in their browsers, operators in theirs) act independently of each other."""

    def __init__(self, servers: Servers, rate: float, connections: int = 4) -> None:
        self.url, self.rate, self.connections = servers.url, rate, connections
        self._local = threading.local()

    def send(self, calls: Sequence[tuple[str, str, str]]) -> list[Sent]:
        """(path, bearer token, text) per call."""
        with ThreadPoolExecutor(self.connections) as pool:
            begin = time.perf_counter()
            futures = []
            for n, call in enumerate(calls):
                time.sleep(max(0.0, begin + n / self.rate - time.perf_counter()))
                futures.append(pool.submit(self._post, *call))
            return [future.result() for future in futures]

    def _post(self, path: str, token: str, text: str) -> Sent:
        if not hasattr(self._local, "http"):
            self._local.http = httpx.Client(base_url=self.url, timeout=60)
        body, headers = json.dumps({"body": text}).encode(), {"Authorization": f"Bearer {token}",
                                                               "Content-Type": "application/json"}
        begin = time.perf_counter()
        answer = self._local.http.post(path, content=body, headers=headers)
        took = time.perf_counter() - begin
        if answer.status_code != 201:
            raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]!r}")
        return Sent(begin, took, answer.json())


def figures(name: str, sent: Sequence[Sent], keys: Sequence[Hashable], arrivals: Arrivals) -> dict[str, float]:
    """Latency in ms from each request to the arrival of its item (under its key; every one must arrive): p50,
    p95 and max; the p95 of the requests' own answers; the rate they were sent at."""
    missing = arrivals.wait(keys, ARRIVAL_TIMEOUT)
    if missing:
        raise SystemExit(f"{name}: {len(missing)} of {len(sent)} items never arrived, e.g. {missing[0]}")
    latencies = sorted((arrivals.at[key] - request.at) * 1000 for request, key in zip(sent, keys, strict=True))
    span = sent[-1].at - sent[0].at
    return {"rate": (len(sent) - 1) / span if span else float(len(sent)), "p50": statistics.median(latencies),
            "p95": _p95(latencies), "max": latencies[-1], "request p95": _p95(sorted(r.took * 1000 for r in sent))}


def _p95(ordered: Sequence[float]) -> float:
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


class InboxWatch:
    """What the operator's open inbox showed: when each item arrived (key: kind, id), and each contact's
    conversation (to answer in)."""

    def __init__(self) -> None:
        self.arrivals = Arrivals()
        self.conversation_of: dict[int, int] = {}

    def on_event(self, name: str, data: Any) -> None:
        if name == "ready":
            self.arrivals.note("ready")
        elif name == "conversation" and data["item"] is not None:
            self.conversation_of.setdefault(data["conversation"]["contact"]["id"], data["conversation"]["id"])
            self.arrivals.note((data["item"]["kind"], data["item"]["id"]))


def widget_watch(arrivals: Arrivals, n: int) -> Callable[[str, Any], None]:
    """Visitor n's widget stream: when each message and reply arrived (key: n, kind, id)."""
    def on_event(name: str, data: Any) -> None:
        if name in ("message", "reply"):
            arrivals.note((n, name, data["id"]))
    return on_event


def polling_watch(arrivals: Arrivals, n: int) -> Callable[[list[dict]], None]:
    """Visitor n's polling widget: when each item first appeared in its conversation (key: n, kind, id)."""
    def on_items(items: list[dict]) -> None:
        for item in items:
            arrivals.note((n, item["kind"], item["id"]))
    return on_items


def visitors_write(requests: Requests, visitors: Sequence[Visitor], count: int, inbox: InboxWatch,
                   widgets: Arrivals) -> dict[str, float]:
    """`count` visitor messages, round robin (each visitor's first starts its conversation), timed to the inbox.

    A visitor's own message comes back on its stream (its other tabs show it) once the stream follows
    its contact: then its widget is connected, which the answers need."""
    order = [n % len(visitors) for n in range(count)]
    written = requests.send([("/widget/messages", visitors[n].token, f"Question {i} from visitor {n}")
                             for i, n in enumerate(order)])
    to_inbox = figures("visitor → inbox", written, [("reply", request.item["id"]) for request in written],
                       inbox.arrivals)
    first = {n: request.item["id"] for n, request in reversed(list(zip(order, written)))}
    if missing := widgets.wait([(n, "reply", reply_id) for n, reply_id in first.items()], 30):
        raise SystemExit(f"{len(missing)} widgets never showed their visitor's message")
    return to_inbox


def operator_answers(requests: Requests, servers: Servers, visitors: Sequence[Visitor], inbox: InboxWatch,
                     numbers: range, arrivals: Arrivals, name: str) -> dict[str, float]:
    """Answers `numbers`, answer n to visitor n (round robin), timed to their arrival at the visitors' widgets."""
    conversations = [inbox.conversation_of[visitors[n % len(visitors)].contact_id] for n in numbers]
    sent = requests.send([(f"/api/conversations/{conversation}/messages", servers.admin_token, f"Answer {n}")
                          for n, conversation in zip(numbers, conversations, strict=True)])
    keys = [(n % len(visitors), "message", request.item["id"]) for n, request in zip(numbers, sent, strict=True)]
    return figures(name, sent, keys, arrivals)


def cpu_reading(servers: Servers, engine: Engine | None) -> dict[str, dict[int, float]]:
    """CPU seconds so far of each server process (PostgreSQL: of each backend serving the bench's database), by role."""
    if servers.worker is None:
        return {"automap serve": {servers.api.pid: cpu_seconds(servers.api.pid)}}
    assert servers.stream is not None and engine is not None
    return {"API": {servers.api_worker_pid(): cpu_seconds(servers.api_worker_pid())},
            "streams": {servers.stream.pid: cpu_seconds(servers.stream.pid)},
            "worker": {servers.worker.pid: cpu_seconds(servers.worker.pid)}, "PostgreSQL": postgres_cpu(engine)}


def cpu_spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds by role between two readings (a PostgreSQL backend that ended in between is not counted)."""
    return {role: sum(seconds - before[role].get(pid, 0.0) for pid, seconds in after[role].items()) for role in after}


def open_visitors(servers: Servers, contacts: Sequence[int]) -> list[Visitor]:
    """A visitor token per contact, as each widget asks for one when its page loads."""
    visitors = []
    with httpx.Client(base_url=servers.url, timeout=60) as http:
        for n, contact_id in enumerate(contacts):
            answer = http.post("/widget/session", json={"anonymousId": f"anon-{n}"}, auth=(servers.write_key, ""))
            answer.raise_for_status()
            session = answer.json()
            visitors.append(Visitor(contact_id, session["token"],
                                    session["stream_url"] or f"{servers.url}/widget/stream"))
    return visitors


def inbox_stream(servers: Servers) -> tuple[str, str]:
    """The operator's inbox stream: its URL and token."""
    answer = httpx.post(f"{servers.url}/api/conversations/stream-token", timeout=60,
                        headers={"Authorization": f"Bearer {servers.admin_token}"})
    answer.raise_for_status()
    token = answer.json()
    # Apart from the API (real servers), the stream server serves the inboxes' streams beside the widgets'.
    fallback = servers.stream_url.replace("/widget/stream", "/inbox/stream") if servers.stream_url else None
    return token["stream_url"] or fallback or f"{servers.url}/inbox/stream", token["token"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=1000, help="operator answers per phase (default 1000)")
    parser.add_argument("--messages", type=int, default=200, help="visitor messages, the first one of each visitor "
                                                                  "starting its conversation (default 200)")
    parser.add_argument("--rate", type=float, default=20.0, help="answers (and visitor messages) a second (default 20)")
    parser.add_argument("--visitors", type=int, default=20, help="connected widgets (default 20)")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="the baseline's polling interval, s (default 1)")
    parser.add_argument("--database-url", help="a PostgreSQL server: the bench works in --database-name on it "
                                               "(default: a temporary SQLite file)")
    parser.add_argument("--database-name", default="automap_bench_inbox",
                        help="the bench's own PostgreSQL database, created if missing, its schema dropped and re-created "
                             "(default automap_bench_inbox)")
    parser.add_argument("--redis-url", help="a Redis database to flush and use (default: the in-process stand-in)")
    args = parser.parse_args(argv)
    if bool(args.database_url) != bool(args.redis_url):
        parser.error("--database-url and --redis-url go together: real servers, or the embedded defaults")
    if args.messages < args.visitors:
        parser.error("--messages must be at least --visitors: every visitor writes first")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="automap-bench-inbox-"))
    database_url = normalise_database_url(args.database_url or f"sqlite:///{instance / 'bench.db'}")
    if args.database_url:
        database_url = ensure_database(make_url(database_url), args.database_name)
    contacts = prepare(database_url, args.visitors, flow=None)  # no flow: every message is the inbox's
    # All the bench's browsers share one address: lift the per-address caps a real site keeps.
    crowd = {"AUTOMAP_WIDGET_STREAMS_PER_ADDRESS": str(args.visitors + 10),
             "AUTOMAP_WIDGET_SESSION_RATE": "100000 per minute", "AUTOMAP_WIDGET_MESSAGE_RATE": "100000 per minute"}
    if args.redis_url:
        Redis.from_url(args.redis_url).flushdb()
        servers = start_servers(database_url, args.redis_url, threads=16, **crowd)
    else:
        servers = start_embedded(database_url, instance, **crowd)
    engine = create_engine(database_url) if args.database_url else None  # to read its backends' CPU
    listeners = Listeners(servers)
    try:
        requests = Requests(servers, args.rate)
        visitors = open_visitors(servers, contacts)
        inbox, widgets = InboxWatch(), Arrivals()
        inbox_url, inbox_token = inbox_stream(servers)
        inbox_task = listeners.stream(inbox_url, inbox_token, inbox.on_event)
        streams = [listeners.stream(visitor.stream_url, visitor.token, widget_watch(widgets, n))
                   for n, visitor in enumerate(visitors)]
        if inbox.arrivals.wait(["ready"], 30):
            raise SystemExit("the inbox stream did not open")
        to_inbox = visitors_write(requests, visitors, args.messages, inbox, widgets)
        cpu_before, client_before = cpu_reading(servers, engine), time.process_time()
        push = operator_answers(requests, servers, visitors, inbox, range(args.replies), widgets,
                                "operator → widget")
        cpu = {**cpu_spent(cpu_before, cpu_reading(servers, engine)), "bench client": time.process_time() - client_before}
        load = os.getloadavg()[0]
        Listeners.stop(streams)  # the widgets without push, from here on
        polled = Arrivals()
        polls = [listeners.poll(visitor.token, args.poll_interval, polling_watch(polled, n))
                 for n, visitor in enumerate(visitors)]
        baseline = operator_answers(requests, servers, visitors, inbox, range(args.replies, 2 * args.replies), polled,
                                    "baseline")
        Listeners.stop([*polls, inbox_task])
    finally:
        listeners.close()
        servers.stop()
        if engine is not None:
            engine.dispose()
    report(args, to_inbox, push, baseline, cpu, load, listeners.dropped)


def report(args: argparse.Namespace, to_inbox: dict[str, float], push: dict[str, float],
           baseline: dict[str, float], cpu: dict[str, float], load: float, dropped: int) -> None:
    """The table, the target, and the summary line last."""
    backends = ("postgresql and redis: gunicorn, an `automap widget-stream` and an `automap worker`" if args.redis_url
                else "embedded: one `automap serve` (sqlite, in-process redis and worker)")
    print(f"backends: {backends}; {args.visitors} visitors, one operator")
    print(f"{'phase':<50} {'sent/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'request p95 ms':>15}")
    for label, each in (("visitor → inbox: SSE + Redis pub/sub", to_inbox),
                        ("operator → widget: SSE + Redis pub/sub", push),
                        (f"operator → widget, baseline: polling every {args.poll_interval:g} s", baseline)):
        print(f"{label:<50} {each['rate']:>7.1f} {each['p50']:>8.1f} {each['p95']:>8.1f} {each['max']:>8.1f} "
              f"{each['request p95']:>15.1f}")
    print("CPU ms per answer, push phase: " + " | ".join(f"{role} {seconds * 1000 / args.replies:.1f}"
                                                         for role, seconds in cpu.items())
          + f" (load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"connections that failed and were opened again: {dropped}")
    print(f"target: p95 <= 100 ms operator → widget: {'met' if push['p95'] <= 100 else 'NOT met'}")
    print(f"inbox: p95 {push['p95']:.1f} ms operator→widget | {baseline['p95'] / push['p95']:.1f}x baseline "
          f"(p95 {baseline['p95']:.1f} ms) | p95 {to_inbox['p95']:.1f} ms visitor→inbox "
          f"| replies={args.replies} visitors={args.visitors}")


if __name__ == "__main__":
    main()
