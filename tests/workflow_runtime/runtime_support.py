"""What the test_runtime_* modules share: valid documents, per-version counters, and the counter invariant.

The invariant is the statistics' promise: at every node of every version,
entered == sum(left:*) + completed + exited + waiting (waiting being the gauge), and
each of those counters equals a recount from the runs themselves; each send node's
`<channel>:<status>` and `<channel>:queued` counters equal a recount from the send ledger.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from flows.validation import validate_flow
from workflow_runtime.channels.messages import HANDED_OVER
from workflow_runtime.engine.counters import EXIT_REASONS, QUEUED, ExitCause, exited_by, message_metric
from workflow_runtime.storage import unapplied_events
from workflow_runtime.storage.models import (
    Channel,
    Event,
    Flow,
    FlowVersion,
    Message,
    MessageStatus,
    NodeCounter,
    Run,
    RunStatus,
)

Edge = tuple[str, str, str]  # (from, port, to)


def document(name: str, nodes: dict[str, tuple[str, dict[str, Any]]], edges: list[Edge],
             **settings: Any) -> dict[str, Any]:
    """A schema-v2 flow document; fails the test at once if flows.validation finds anything wrong with it."""
    doc: dict[str, Any] = {
        "schema_version": 2,
        "name": name,
        "nodes": [{"id": node_id, "type": kind, "config": config} for node_id, (kind, config) in nodes.items()],
        "edges": [{"from": source, "port": port, "to": target} for source, port, target in edges],
    }
    if settings:
        doc["settings"] = settings
    errors = validate_flow(doc)
    assert errors == [], [f"{error.pointer}: {error.message}" for error in errors]
    return doc


def live_version(harness: Any, flow_id: int) -> int:
    with harness.session() as session:
        return session.get(Flow, flow_id).live_version_id


def version_ids(harness: Any, flow_id: int) -> list[int]:
    with harness.session() as session:
        query = select(FlowVersion.id).where(FlowVersion.flow_id == flow_id).order_by(FlowVersion.number)
        return list(session.scalars(query))


def counters(harness: Any, version_id: int) -> dict[str, dict[str, int]]:
    """One version's counters summed over days, zeros left out: {node: {metric: count}}."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with harness.session() as session:
        rows = session.execute(
            select(NodeCounter.node_id, NodeCounter.metric, NodeCounter.count).where(
                NodeCounter.flow_version_id == version_id
            )
        )
        for node_id, metric, count in rows:
            totals[node_id][metric] += count
    return {node: {m: c for m, c in metrics.items() if c} for node, metrics in totals.items() if any(metrics.values())}


def revenue(harness: Any, version_id: int, node_id: str) -> Decimal:
    """The revenue credited to a node with its conversions."""
    with harness.session() as session:
        amounts = session.scalars(
            select(NodeCounter.amount).where(
                NodeCounter.flow_version_id == version_id, NodeCounter.node_id == node_id,
                NodeCounter.metric == "converted",
            )
        )
        return sum(amounts, Decimal(0))


def assert_no_failed_jobs(harness: Any) -> None:
    """No job raised: RQ would park a failed job for a retry the burst worker never sees, and the test read stale rows."""
    queue = harness.runtime.jobs.queue
    parked = queue.failed_job_registry.get_job_ids() + queue.scheduled_job_registry.get_job_ids()
    assert parked == [], [str(queue.fetch_job(job_id).latest_result()) for job_id in parked]


def assert_counters_balance(harness: Any, flow_id: int) -> None:
    """For every version of the flow and every node: the invariant, each counter equal to a recount from the runs,
    and each message counter equal to a recount from the send ledger."""
    assert_no_failed_jobs(harness)
    for version_id in version_ids(harness, flow_id):
        counted = counters(harness, version_id)
        assert_message_counters_match_the_ledger(harness, version_id, counted)
        with harness.session() as session:
            runs = list(session.scalars(select(Run).where(Run.flow_version_id == version_id)))
        entered: Counter[str] = Counter()
        left: Counter[tuple[str, str]] = Counter()
        where: Counter[tuple[str, RunStatus]] = Counter()
        causes: Counter[tuple[str, ExitCause]] = Counter()
        for run in runs:
            assert run.status is not RunStatus.ACTIVE, f"run {run.id} is still active at {run.node_id} after draining"
            for node_id, port, *_ in run.path:
                entered[node_id] += 1
                if port is not None:
                    left[node_id, port] += 1
            where[run.node_id, run.status] += 1
            if run.status is RunStatus.EXITED:
                causes[run.node_id, exit_cause(run.end_reason)] += 1
        nodes = set(counted) | set(entered)
        for node in sorted(nodes):
            metrics = counted.get(node, {})
            ports = {metric.removeprefix("left:"): count for metric, count in metrics.items() if metric.startswith("left:")}
            waiting = metrics.get("waiting", 0)
            assert waiting >= 0, f"{node}: the waiting gauge is {waiting}"
            ended = metrics.get("completed", 0) + metrics.get("exited", 0) + metrics.get("errored", 0)
            balance = sum(ports.values()) + ended + waiting
            assert metrics.get("entered", 0) == balance, \
                f"v{version_id} {node}: entered != left + completed + exited + errored + waiting in {metrics}"
            recount = {
                "entered": entered[node],
                "waiting": where[node, RunStatus.WAITING],
                "completed": where[node, RunStatus.COMPLETED],
                "exited": where[node, RunStatus.EXITED],
                "errored": where[node, RunStatus.ERRORED],
            }
            recount.update({f"left:{port}": count for (at, port), count in left.items() if at == node})
            recount.update({exited_by(cause): causes[node, cause] for cause in ExitCause})
            stored = {metric: metrics.get(metric, 0) for metric in recount}
            assert stored == recount, f"v{version_id} {node}: counters {stored} but the runs say {recount}"


def assert_message_counters_match_the_ledger(harness: Any, version_id: int,
                                             counted: dict[str, dict[str, int]]) -> None:
    """Each node's `<channel>:<status>` counters equal the number of its messages on that channel that reached the
    status, and `<channel>:queued` the number that reached neither delivered nor failed (zeros ignored). A message
    failed when it was recorded contains "failed", so it is never queued. `suppressed` never enters the ledger."""
    recount: dict[str, Counter[str]] = defaultdict(Counter)
    with harness.session() as session:
        rows = session.execute(
            select(Message.node_id, Message.channel, Message.statuses).where(Message.flow_version_id == version_id)
        )
        for node_id, channel, statuses in rows:
            reached = set(statuses or [])
            for status in reached:
                recount[node_id][message_metric(channel.value, status)] += 1
            if not reached & HANDED_OVER:
                recount[node_id][message_metric(channel.value, QUEUED)] += 1
    measured = {message_metric(channel.value, status) for channel in Channel
                for status in (*(status.value for status in MessageStatus), QUEUED)}
    for node in sorted(set(counted) | set(recount)):
        stored = {metric: count for metric, count in counted.get(node, {}).items() if metric in measured and count}
        ledger = {metric: count for metric, count in recount[node].items() if count}
        assert stored == ledger, f"v{version_id} {node}: message counters {stored} but the ledger says {ledger}"


def exit_cause(end_reason: str) -> ExitCause:
    """Why an exited run exited, read from its end reason."""
    [cause] = [cause for cause, reason in EXIT_REASONS.items() if end_reason.startswith(reason)]
    return cause


def track_all(harness: Any, contact_ids: list[int], name: str,
              properties: dict[str, Any] | list[dict[str, Any]] | None = None) -> None:
    """Record an event now for each contact (the same properties, or one dict each) and apply them in one batch job."""
    each = properties if isinstance(properties, list) else [properties or {}] * len(contact_ids)
    assert len(each) == len(contact_ids)
    with harness.runtime.sessions.begin() as session:
        event_ids = unapplied_events.record(session, [
            Event(contact_id=contact_id, name=name, properties=dict(props), timestamp=harness.clock.now())
            for contact_id, props in zip(contact_ids, each)])
    harness.runtime.jobs.apply_events(event_ids)
    harness.drain()


def advance_to(harness: Any, moment: datetime) -> None:
    """Move virtual time to `moment` and process everything due by then."""
    harness.advance(moment - harness.clock.now())


def run_of(harness: Any, flow_id: int, contact_id: int) -> Run:
    """The contact's only run in the flow."""
    [run] = [run for run in harness.runs(flow_id) if run.contact_id == contact_id]
    return run
