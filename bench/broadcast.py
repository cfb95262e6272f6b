"""Broadcast benchmark: a segment enrolled at a flow's manual trigger, its members selected in SQL, against the evaluator.

    .venv/bin/python bench/broadcast.py                        # 100,000 contacts, 5 events each
    .venv/bin/python bench/broadcast.py --contacts 1000000     # the issue's full size
    .venv/bin/python bench/broadcast.py --contacts 2000        # the suite's tiny run

Set-up (not timed) loads contacts and events as bench/segments.py does and publishes two
copies of a flow that starts by hand. Then the segment "did order_paid in the last 14 days and
never signed_up" (or, `--audience everyone`, every contact with an email address) is sent to each, as the
broadcast's jobs do: `enrol_next_chunk` until done,
each chunk committed. To the first, chunks are the next 500 members selected by the compiled
condition (engine.filter_sql); to the second — the baseline, in the same run — the compiler
is switched off, so each chunk is the next 500 contacts checked by the evaluator, the way
every broadcast went before and a condition SQL cannot decide still goes. Both must enrol the
same contacts.

With AUTOMAP_DATABASE_URL (or --database-url) on PostgreSQL the bench works in its own
database `--database-name` (default automap_bench_broadcast), created and dropped by the
bench; otherwise in a SQLite file in a temporary directory.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

from sqlalchemy import make_url, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.segments import FILTERS, NOW, populate  # noqa: E402
from bench.stats import add_database_arguments, bench_database  # noqa: E402
from workflow_runtime.authoring import flow_store  # noqa: E402
from workflow_runtime.engine import broadcasts  # noqa: E402
from workflow_runtime.engine.filter_sql import NotCompilable  # noqa: E402
from workflow_runtime.storage import schema  # noqa: E402
from workflow_runtime.storage.database import make_engine, session_factory  # noqa: E402
from workflow_runtime.storage.models import Broadcast, Flow, Run, Segment  # noqa: E402

FLOW = {
    "schema_version": 2, "name": "Broadcast bench",
    "nodes": [{"id": "start", "type": "trigger", "config": {"on": "manual"}},
              {"id": "done", "type": "exit", "config": {}}],
    "edges": [{"from": "start", "port": "next", "to": "done"}],
}
# The segment sent: a few members of a large base (the default), or a newsletter to everyone with an address.
AUDIENCES = {"events": ("Paid lately, never signed up", FILTERS["events"]),
             "everyone": ("Everyone with an email address", {"property": "email", "op": "exists"})}


@contextmanager
def evaluator_only() -> Iterator[None]:
    """Broadcasts as they went before the compiler: every chunk's contacts checked by the evaluator."""
    def refuse(*_args: object) -> None:
        raise NotCompilable("the baseline evaluates every contact in Python")

    compiled = broadcasts.compile_where
    broadcasts.compile_where = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        broadcasts.compile_where = compiled


def send(sessions: sessionmaker[Session], flow_id: int, segment_id: int) -> tuple[float, int, int]:
    """Send the segment to the flow chunk by chunk; returns the seconds it took, the chunks and the enrolled."""
    with sessions.begin() as session:
        broadcast = broadcasts.start_broadcast(session, session.get(Flow, flow_id), NOW, NOW,
                                               segment=session.get(Segment, segment_id))
        broadcast_id = broadcast.id
    started, chunks = time.perf_counter(), 0
    while True:
        with sessions.begin() as session:
            chunk = broadcasts.enrol_next_chunk(session, broadcast_id, NOW, NOW)
        chunks += 1
        if not chunk.more:
            break
    seconds = time.perf_counter() - started
    with sessions() as session:
        return seconds, chunks, session.get(Broadcast, broadcast_id).enrolled


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts loaded (default 100000)")
    parser.add_argument("--events", type=int, default=5, help="events per contact (default 5)")
    parser.add_argument("--audience", choices=sorted(AUDIENCES), default="events",
                        help="events: did order_paid in 14 days, never signed_up (default); everyone: every contact")
    add_database_arguments(parser, "automap_bench_broadcast")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_database(args) as database_url:
        schema.upgrade(database_url)
        engine = make_engine(database_url)
        populate(engine, args.contacts, args.events, random.Random(20260302))
        sessions = session_factory(engine)
        with sessions.begin() as session:
            flows = []
            for copy in ("SQL", "evaluator"):
                flow = flow_store.import_flow(session, {**FLOW, "name": f"Broadcast bench ({copy})"})
                flow_store.publish_flow(session, flow)
                flows.append(flow.id)
            name, condition = AUDIENCES[args.audience]
            segment = Segment(name=name, filter=condition)
            session.add(segment)
            session.flush()
            segment_id = segment.id
        compiled_seconds, compiled_chunks, enrolled = send(sessions, flows[0], segment_id)
        with evaluator_only():
            baseline_seconds, baseline_chunks, baseline_enrolled = send(sessions, flows[1], segment_id)
        with sessions() as session:
            members = [set(session.scalars(select(Run.contact_id).where(Run.flow_id == flow_id))) for flow_id in flows]
        assert members[0] == members[1] and enrolled == baseline_enrolled == len(members[0]), "the two paths differ"
        engine.dispose()
    print(f"broadcast: {enrolled:,} of {args.contacts:,} contacts enrolled on {make_url(database_url).get_backend_name()}"
          f" | members selected in SQL {compiled_seconds:.2f} s ({compiled_chunks} chunks, "
          f"{enrolled / compiled_seconds:,.0f} contacts/s) | evaluator baseline {baseline_seconds:.2f} s "
          f"({baseline_chunks} chunks) | {baseline_seconds / compiled_seconds:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
