"""A flow's lifetime totals for the list of flows: contacts entered, converted, revenue, and waiting now.

Read from the aggregated node counters, so the cost grows with flows × nodes, not with
runs: every run starts at one trigger node and a conversion is credited to every node
the run passed, so the trigger nodes' `entered` and `converted` are the flow's; the
`waiting` gauge (daily deltas) summed over every node and day is how many wait now.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow_runtime.engine.definition import load_definition
from workflow_runtime.storage.models import FlowVersion, NodeCounter

_METRICS = ("entered", "converted", "waiting")


@dataclass
class FlowTotals:
    """Contacts who entered the flow, how many reached its goal, the revenue the goal brought, and how many of
    its runs wait now (in any version)."""

    entered: int = 0
    converted: int = 0
    revenue: Decimal = Decimal(0)
    waiting: int = 0


def flow_totals(session: Session, flow_ids: Iterable[int]) -> dict[int, FlowTotals]:
    """Totals over every published version of each flow (flows never published are absent)."""
    query = (
        select(FlowVersion.flow_id, NodeCounter.flow_version_id, NodeCounter.node_id, NodeCounter.metric,
               func.sum(NodeCounter.count), func.sum(NodeCounter.amount))
        .join(FlowVersion, FlowVersion.id == NodeCounter.flow_version_id)
        .where(FlowVersion.flow_id.in_(list(flow_ids)), NodeCounter.metric.in_(_METRICS))
        .group_by(FlowVersion.flow_id, NodeCounter.flow_version_id, NodeCounter.node_id, NodeCounter.metric)
    )
    totals: dict[int, FlowTotals] = {}
    trigger_ids: dict[int, set[str]] = {}
    for flow_id, version_id, node_id, metric, count, amount in session.execute(query):
        if metric == "waiting":
            totals.setdefault(flow_id, FlowTotals()).waiting += int(count or 0)
            continue
        if version_id not in trigger_ids:
            trigger_ids[version_id] = {node.id for node in load_definition(session, version_id).triggers()}
        if node_id not in trigger_ids[version_id]:
            continue
        flow = totals.setdefault(flow_id, FlowTotals())
        if metric == "entered":
            flow.entered += int(count or 0)
        else:
            flow.converted += int(count or 0)
            flow.revenue += Decimal(amount or 0)
    return totals
