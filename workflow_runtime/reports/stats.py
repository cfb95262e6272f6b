"""Per-node statistics of one flow version over a range of days, read from the aggregated counters.

One statement over `node_counters` (one row per version, node, metric and day) answers
everything: a SELECT grouped by (node, metric) for the nodes and edges and one grouped
by day for the series, sent together (UNION ALL, one round trip). Its cost grows with
nodes × metrics × days, never with the number of runs.

`waiting` is a gauge kept as daily deltas (+1 on hold, −1 on leaving): its value is
the sum of every delta up to the range's last day, i.e. how many runs were waiting at
the end of that day — the current figure when the range runs to today or is open.
Every other metric is summed over the days of the range. The flow's totals are the
trigger nodes' figures: every run starts at one trigger, and a conversion is counted
on every node of the run's path, so its trigger counts each converted run once.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, null, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session

from nodes import registry
from nodes.base import Category
from workflow_runtime.authoring.flow_store import FlowNotFound
from workflow_runtime.engine.counters import converted_by, left
from workflow_runtime.engine.failures import ERRORED
from workflow_runtime.engine.interpreter import SUPPRESSED
from workflow_runtime.reports.significance import Arm, compare
from workflow_runtime.storage.models import Flow, FlowVersion, NodeCounter
from workflow_runtime.storage.models.message import MessageStatus

WAITING = "waiting"
CONVERTED = "converted"
ENTERED = "entered"
MESSAGE_METRICS = (*(status.value for status in MessageStatus), SUPPRESSED)


@dataclass(frozen=True)
class DayRange:
    """The days a statistic covers, both ends included; None leaves that end open."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise ValueError(f"the range starts on {self.first} after it ends on {self.last}")


@dataclass
class _Figures:
    """One node's counters: metric → count in the range, revenue, and the waiting gauge."""

    counts: defaultdict[str, int]
    revenue: Decimal = Decimal(0)
    waiting: int = 0


def stats_version(session: Session, flow_id: int, number: int | None) -> FlowVersion | None:
    """The version to report on: `number`, else the live one, else the latest; None if never published.

    One query in the usual cases. Raises FlowNotFound for an unknown flow or version number.
    """
    wanted = FlowVersion.number == number if number is not None else FlowVersion.id == Flow.live_version_id
    query = (select(Flow.id, FlowVersion).outerjoin(FlowVersion, and_(FlowVersion.flow_id == Flow.id, wanted))
             .where(Flow.id == flow_id))
    found = session.execute(query).first()
    if found is None:
        raise FlowNotFound(f"there is no flow with id {flow_id}")
    version = found[1]
    if version is None and number is not None:
        raise FlowNotFound(f"flow {flow_id} has no version {number}")
    if version is None:
        latest = select(FlowVersion).filter_by(flow_id=flow_id).order_by(FlowVersion.number.desc()).limit(1)
        version = session.scalar(latest)
    return version


def flow_stats(session: Session, version: FlowVersion, days: DayRange) -> dict[str, Any]:
    """The statistics of one published version (see module docstring), as the API serves them: plain JSON values."""
    document = version.document
    nodes = {node["id"]: node for node in document["nodes"]}
    triggers = [node_id for node_id, node in nodes.items() if registry.get(node["type"]).is_entry]
    figures, series = _read_counters(session, version.id, triggers, days)
    entered = sum(figures[node_id].counts[ENTERED] for node_id in triggers)
    converted = sum(figures[node_id].counts[CONVERTED] for node_id in triggers)
    return {
        "flow_id": version.flow_id,
        "version": version.number,
        "from": _iso(days.first),
        "to": _iso(days.last),
        "totals": {
            "entered": entered,
            "converted": converted,
            "conversion_rate": _rate(converted, entered),
            "revenue": _money(sum((figures[node_id].revenue for node_id in triggers), Decimal(0))),
        },
        "nodes": {node_id: _node(node, figures[node_id]) for node_id, node in nodes.items()},
        "edges": [
            {"from": edge["from"], "port": edge["port"], "to": edge["to"],
             "count": figures[edge["from"]].counts[left(edge["port"])]}
            for edge in document["edges"]
        ],
        "series": series,
    }


def _read_counters(session: Session, version_id: int, triggers: list[str],
                   days: DayRange) -> tuple[defaultdict[str, _Figures], list[dict[str, Any]]]:
    """The nodes' figures and the daily series, from one statement (two grouped SELECTs, UNION ALL)."""
    by_node, by_day = _by_node(version_id, days), _by_day(version_id, triggers, days)
    figures: defaultdict[str, _Figures] = defaultdict(lambda: _Figures(defaultdict(int)))
    series: dict[date, dict[str, Any]] = {}
    for node_id, day, metric, count, revenue, all_days in session.execute(union_all(by_node, by_day)):
        if day is not None:
            entry = series.get(day) or series.setdefault(day, _no_day(day))
            entry[metric] = int(count or 0)
            if metric == CONVERTED:
                entry["revenue"] = _money(Decimal(revenue or 0))
            continue
        node = figures[node_id]
        if metric == WAITING:
            node.waiting = int((count if all_days is None else all_days) or 0)
            continue
        node.counts[metric] = int(count or 0)
        if metric == CONVERTED:
            node.revenue = Decimal(revenue or 0)
    return figures, _every_day(series)


def _by_node(version_id: int, days: DayRange) -> Select[Any]:
    """Each node's and metric's sum over the range, and the waiting gauge at the range's end.

    Numeric sums are what the aggregation spends its time on, so revenue is summed over the
    `converted` rows only, and the gauge gets a sum of its own only when the range has a first day.
    """
    in_range = NodeCounter.day >= days.first if days.first else None
    counted = NodeCounter.count if in_range is None else case((in_range, NodeCounter.count), else_=0)
    converted = NodeCounter.metric == CONVERTED if in_range is None else and_(NodeCounter.metric == CONVERTED, in_range)
    all_days = null() if in_range is None else func.sum(NodeCounter.count)
    query = (
        # the union's columns take their types from this SELECT: its null day must read back as a date
        select(NodeCounter.node_id, type_coerce(null(), NodeCounter.day.type).label("day"), NodeCounter.metric,
               func.sum(counted),
               func.sum(NodeCounter.amount).filter(converted), all_days)
        .where(NodeCounter.flow_version_id == version_id)
        .group_by(NodeCounter.node_id, NodeCounter.metric)
    )
    if days.last:
        query = query.where(NodeCounter.day <= days.last)
    if in_range is not None:  # earlier days matter only to the gauge
        query = query.where(or_(in_range, NodeCounter.metric == WAITING))
    return query


def _by_day(version_id: int, triggers: list[str], days: DayRange) -> Select[Any]:
    """Entered, converted and revenue per day: the trigger nodes' counters, which count each run once."""
    query = (
        select(null().label("node_id"), NodeCounter.day, NodeCounter.metric, func.sum(NodeCounter.count),
               func.sum(NodeCounter.amount), null())
        .where(NodeCounter.flow_version_id == version_id, NodeCounter.node_id.in_(triggers),
               NodeCounter.metric.in_((ENTERED, CONVERTED)))
        .group_by(NodeCounter.day, NodeCounter.metric)
    )
    if days.first:
        query = query.where(NodeCounter.day >= days.first)
    if days.last:
        query = query.where(NodeCounter.day <= days.last)
    return query


def _node(node: Mapping[str, Any], figures: _Figures) -> dict[str, Any]:
    """One node's statistics; send nodes add their message counters, splits their variants."""
    node_type = registry.get(node["type"])
    config = node.get("config", {})
    counts = figures.counts
    result: dict[str, Any] = {
        "type": node["type"],
        "entered": counts[ENTERED],
        "waiting": figures.waiting,
        "left": {port: counts[left(port)] for port in node_type.output_ports(config)},
        "completed": counts["completed"],
        "exited": counts["exited"],
        "errored": counts[ERRORED],
        "converted": counts[CONVERTED],
        "conversion_rate": _rate(counts[CONVERTED], counts[ENTERED]),
        "revenue": _money(figures.revenue),
    }
    if node_type.category is Category.MESSAGE:
        result["messages"] = {metric: counts[metric] for metric in MESSAGE_METRICS}
    if node_type.compares_ports:
        result.update(_variants(config, counts))
    return result


def _variants(config: Mapping[str, Any], counts: Mapping[str, int]) -> dict[str, Any]:
    """Each variant's conversion, the p-value that the best differs from the runner-up, and the winner."""
    arms = [Arm(variant["id"], counts[left(variant["id"])], counts[converted_by(variant["id"])])
            for variant in config["variants"]]
    labels = {variant["id"]: variant.get("label", variant["id"]) for variant in config["variants"]}
    winner, p_value = compare(arms)
    return {
        "variants": [
            {"port": arm.port, "label": labels[arm.port], "entered": arm.entered, "converted": arm.converted,
             "conversion_rate": arm.rate}
            for arm in arms
        ],
        "winner": winner,
        "significance": p_value,
    }


def _every_day(series: dict[date, dict[str, Any]]) -> list[dict[str, Any]]:
    """The series with every day from its first to its last, days without counters as zeros."""
    if not series:
        return []
    first, last = min(series), max(series)
    every_day = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return [series.get(day) or _no_day(day) for day in every_day]


def _no_day(day: date) -> dict[str, Any]:
    return {"day": day.isoformat(), "entered": 0, "converted": 0, "revenue": 0.0}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _money(amount: Decimal) -> float:
    return float(round(amount, 2))
