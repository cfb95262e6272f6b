"""A real runtime for tests: real RQ jobs on Redis (or the embedded stand-in), virtual time."""
from __future__ import annotations

import itertools
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import scratch_postgres_database
from workflow_runtime.authoring import flow_store
from workflow_runtime.clock import VirtualClock
from workflow_runtime.dispatch import runtime
from workflow_runtime.dispatch.embedded import embedded_redis
from workflow_runtime.dispatch.scheduler import queue_due_runs
from workflow_runtime.dispatch.worker import make_worker
from workflow_runtime.engine import broadcasts
from workflow_runtime.engine.definition import forget_definitions
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import Broadcast, Contact, Event, Flow, Message, NodeCounter, Run, Segment

START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)  # a Monday


@pytest.fixture
def redis_connection() -> Iterator[Redis]:
    """The real Redis of AUTOMAP_REDIS_URL, emptied around the test; else the embedded stand-in."""
    url = os.environ.get("AUTOMAP_REDIS_URL")
    connection = Redis.from_url(url) if url else embedded_redis()
    connection.flushdb()
    yield connection
    connection.flushdb()


class Harness:
    """Drives the runtime the way production does: rows in the database, batch jobs through RQ."""

    def __init__(self, current: runtime.Runtime, clock: VirtualClock) -> None:
        self.runtime = current
        self.clock = clock
        self.worker = make_worker(current, drain=True)
        self._numbers = itertools.count(1)

    def session(self) -> Session:
        return self.runtime.sessions()

    def publish(self, document: dict[str, Any]) -> int:
        with self.runtime.sessions.begin() as session:
            flow = flow_store.import_flow(session, document)
            flow_store.publish_flow(session, flow)
            return flow.id

    def contact(self, **fields: Any) -> int:
        """A known contact (with an email address, unless `email=None` makes it an anonymous visitor)."""
        fields.setdefault("email", f"contact{next(self._numbers)}@example.com")
        with self.runtime.sessions.begin() as session:
            contact = Contact(first_seen_at=self.clock.now(), last_seen_at=self.clock.now(), **fields)
            session.add(contact)
            session.flush()
            return contact.id

    def record_event(self, contact_id: int, name: str, properties: dict[str, Any] | None = None,
                     seconds_ago: int = 0) -> int:
        """Store an event (as ingestion does: marked unapplied) without queuing it; returns its id."""
        with self.runtime.sessions.begin() as session:
            [event_id] = unapplied_events.record(session, [
                Event(contact_id=contact_id, name=name, properties=properties or {},
                      timestamp=self.clock.now() - timedelta(seconds=seconds_ago))])
        return event_id

    def track(self, contact_id: int, name: str, properties: dict[str, Any] | None = None) -> None:
        """Record an event now and let the workers apply it."""
        self.runtime.jobs.apply_events([self.record_event(contact_id, name, properties)])
        self.drain()

    def broadcast(self, flow_id: int, *, segment_id: int | None = None, contact_ids: list[int] | None = None,
                  drain: bool = True) -> Broadcast:
        """Enrol a segment's members (or contacts by id) at the flow's manual trigger as the API does: a broadcast
        its jobs enrol a chunk at a time; returns it (as it stands after the jobs, with `drain`)."""
        with self.runtime.sessions.begin() as session:
            segment = session.get(Segment, segment_id) if segment_id is not None else None
            broadcast = broadcasts.start_broadcast(session, session.get(Flow, flow_id), self.clock.now(),
                                                   datetime.now(timezone.utc), segment=segment,
                                                   contact_ids=contact_ids or ())
            broadcast_id = broadcast.id
        self.runtime.jobs.enrol_broadcasts([broadcast_id])
        if drain:
            self.drain()
        with self.session() as session:
            return session.get(Broadcast, broadcast_id)

    def advance(self, delta: timedelta) -> None:
        """Move virtual time and process everything that fell due."""
        self.clock.advance(delta)
        self.drain()

    def drain(self) -> None:
        """Tick and work until nothing is due and the queue is empty."""
        while True:
            queue_due_runs(self.runtime, self.clock.now())
            if self.runtime.jobs.queue.count == 0:
                return
            self.worker.work(burst=True, logging_level="WARNING")

    def drain_until(self, done: Callable[[], bool], timeout: float = 30.0) -> None:
        """Work as `drain` does until `done()` or the time-out, for a command that waits on the workers from another thread."""
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            self.drain()
            time.sleep(0.05)

    def counters(self, flow_id: int) -> dict[str, dict[str, int]]:
        """The live version's counters summed over days: {node: {metric: count}}."""
        with self.session() as session:
            version_id = session.get(Flow, flow_id).live_version_id
            rows = session.execute(
                select(NodeCounter.node_id, NodeCounter.metric, NodeCounter.count).where(
                    NodeCounter.flow_version_id == version_id
                )
            )
            totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for node_id, metric, count in rows:
                totals[node_id][metric] += count
            return {node: {m: c for m, c in metrics.items() if c} for node, metrics in totals.items()}

    def revenue(self, flow_id: int, node_id: str) -> float:
        with self.session() as session:
            version_id = session.get(Flow, flow_id).live_version_id
            rows = session.scalars(
                select(NodeCounter.amount).where(
                    NodeCounter.flow_version_id == version_id, NodeCounter.node_id == node_id,
                    NodeCounter.metric == "converted",
                )
            )
            return float(sum(rows))

    def runs(self, flow_id: int) -> list[Run]:
        with self.session() as session:
            return list(session.scalars(select(Run).where(Run.flow_id == flow_id).order_by(Run.id)))

    def messages(self, contact_id: int) -> list[Message]:
        with self.session() as session:
            return list(session.scalars(select(Message).where(Message.contact_id == contact_id).order_by(Message.id)))


@pytest.fixture
def harness(app: Flask, session: Session, redis_connection: Redis) -> Iterator[Harness]:
    # Definitions are cached by version id, and this test's tables reuse the ids an earlier test's flows had (one
    # that ran the app's own runtime, without a harness, leaves its definitions behind).
    forget_definitions()
    clock = VirtualClock(START)
    current = runtime.configure(
        runtime.build(app.config["AUTOMAP"].database_url, redis_connection, clock=clock, batch_size=50)
    )
    yield Harness(current, clock)
    current.engine.dispose()
    forget_definitions()


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: a SQLite file, or one on AUTOMAP_DATABASE_URL's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrating.db'}"
        return
    configured = os.environ.get("AUTOMAP_DATABASE_URL", "")
    if not configured.startswith("postgres"):
        pytest.skip("set AUTOMAP_DATABASE_URL to a PostgreSQL server to migrate one")
    with scratch_postgres_database(configured, f"migrating_{os.getpid()}") as url:
        yield url
