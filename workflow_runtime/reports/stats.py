"""Per-node statistics of a flow over a range of days, read from the aggregated counters.

By default they add up every version of the flow: contacts still waiting in version 1 after
version 2 was published are counted where they wait. Node ids shared by versions add up and are
laid on the nodes of the version shown (the live one, else the latest); nodes that version no
longer has are listed apart. A version picked alone is reported alone.

One statement over `node_counters` (one row per version, node, metric and day) answers
everything: a SELECT grouped by (version, node, metric) for the nodes, edges and versions and
one grouped by day for the series, sent together (UNION ALL, one round trip). Its cost grows
with versions × nodes × metrics × days, never with the number of runs.

`waiting` is a gauge kept as daily deltas (+1 on hold, −1 on leaving): its value is
the sum of every delta up to the range's last day, i.e. how many runs were waiting at
the end of that day — the current figure when the range runs to today or is open. Each
channel's `queued` (messages recorded, not yet handed over or failed) is a gauge the same way.
Every other metric is summed over the days of the range. The flow's totals are the
trigger nodes' figures: every run starts at one trigger, and a conversion is counted
on every node of the run's path, so its trigger counts each converted run once.

Each node accounts for everyone who entered it: entered = waiting + left by each port + ended
there (completed, exited — by the goal, an exit rule or the archive — or errored). A send node
counts its messages per channel, so a popup and its fallback email are never added together.
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

from flows.document import node_label
from nodes import registry
from workflow_runtime.authoring.flow_store import FlowNotFound
from workflow_runtime.engine.counters import QUEUED, ExitCause, converted_by, exited_by, left, message_metric
from workflow_runtime.engine.failures import ERRORED
from workflow_runtime.engine.interpreter import SUPPRESSED
from workflow_runtime.reports.significance import Arm, compare
from workflow_runtime.storage.models import Flow, FlowVersion, NodeCounter
from workflow_runtime.storage.models.message import MessageStatus

WAITING = "waiting"
CONVERTED = "converted"
ENTERED = "entered"
MESSAGE_METRICS = (QUEUED, *(status.value for status in MessageStatus), SUPPRESSED)


def _is_gauge(metric: str) -> bool:
    """Whether a metric is kept as daily deltas of a level (waiting, a channel's queue) rather than events."""
    return metric == WAITING or metric.endswith(f":{QUEUED}")


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

    def add(self, other: _Figures) -> None:
        for metric, count in other.counts.items():
            self.counts[metric] += count
        self.revenue += other.revenue
        self.waiting += other.waiting


def _no_figures() -> _Figures:
    return _Figures(defaultdict(int))


@dataclass(frozen=True)
class StatsScope:
    """What a statistic covers: every version of a flow (`picked` None) or the one picked, and the version
    whose nodes and edges carry the figures (the one picked, else the live one, else the latest)."""

    flow_id: int
    versions: list[FlowVersion]  # oldest first
    shown: FlowVersion
    picked: int | None
    live_version_id: int | None


def stats_scope(session: Session, flow_id: int, number: int | None) -> StatsScope | None:
    """Every version of the flow, or version `number` alone; None if the flow was never published.

    Raises FlowNotFound for an unknown flow or version number.
    """
    query = (select(Flow.live_version_id, FlowVersion).outerjoin(FlowVersion, FlowVersion.flow_id == Flow.id)
             .where(Flow.id == flow_id).order_by(FlowVersion.number))
    found = session.execute(query).all()
    if not found:
        raise FlowNotFound(f"there is no flow with id {flow_id}")
    live_version_id = found[0][0]
    versions = [version for _live, version in found if version is not None]
    if number is not None:
        versions = [version for version in versions if version.number == number]
        if not versions:
            raise FlowNotFound(f"flow {flow_id} has no version {number}")
    if not versions:
        return None
    shown = next((version for version in versions if version.id == live_version_id), versions[-1])
    return StatsScope(flow_id, versions, shown, number, live_version_id)


def flow_stats(session: Session, scope: StatsScope, days: DayRange) -> dict[str, Any]:
    """The statistics of the scope's versions (see module docstring), as the API serves them: plain JSON values."""
    triggers = {
        version.id: [node["id"] for node in version.document["nodes"] if registry.get(node["type"]).is_entry]
        for version in scope.versions
    }
    by_version, series = _read_counters(session, triggers, days)
    figures: defaultdict[str, _Figures] = defaultdict(_no_figures)
    for version_figures in by_version.values():
        for node_id, node_figures in version_figures.items():
            figures[node_id].add(node_figures)
    shown = scope.shown.document
    nodes = {node["id"]: node for node in shown["nodes"]}
    versions = [_version_totals(version, by_version[version.id], triggers[version.id], scope.live_version_id)
                for version in scope.versions]
    return {
        "flow_id": scope.flow_id,
        "version": scope.picked,
        "shown_version": scope.shown.number,
        "versions": versions,
        "from": _iso(days.first),
        "to": _iso(days.last),
        "totals": _totals(
            sum(version["entered"] for version in versions), sum(version["converted"] for version in versions),
            sum((by_version[v.id][node_id].revenue for v in scope.versions for node_id in triggers[v.id]),
                Decimal(0)),
        ),
        "nodes": {node_id: _node(node, figures[node_id]) for node_id, node in nodes.items()},
        "removed_nodes": _removed_nodes(scope, nodes, figures),
        "edges": [
            {"from": edge["from"], "port": edge["port"], "to": edge["to"],
             "count": figures[edge["from"]].counts[left(edge["port"])]}
            for edge in shown["edges"]
        ],
        "series": series,
    }


def _totals(entered: int, converted: int, revenue: Decimal) -> dict[str, Any]:
    return {"entered": entered, "converted": converted, "conversion_rate": _rate(converted, entered),
            "revenue": _money(revenue)}


def _version_totals(version: FlowVersion, figures: Mapping[str, _Figures], triggers: list[str],
                    live_version_id: int | None) -> dict[str, Any]:
    """One version's entered and converted (at its triggers) and how many of its runs wait now."""
    return {
        "number": version.number,
        "live": version.id == live_version_id,
        "published_at": version.published_at.isoformat(),
        "entered": sum(figures[node_id].counts[ENTERED] for node_id in triggers if node_id in figures),
        "converted": sum(figures[node_id].counts[CONVERTED] for node_id in triggers if node_id in figures),
        "waiting": sum(node.waiting for node in figures.values()),
    }


def _removed_nodes(scope: StatsScope, shown: Mapping[str, Any],
                   figures: Mapping[str, _Figures]) -> list[dict[str, Any]]:
    """The figures of nodes earlier versions had and the shown one has not, each with the versions that had it."""
    removed: dict[str, tuple[FlowVersion, Mapping[str, Any], list[int]]] = {}
    for version in scope.versions:  # oldest first: the latest definition of a node wins
        for node in version.document["nodes"]:
            if node["id"] not in shown:
                numbers = removed[node["id"]][2] if node["id"] in removed else []
                removed[node["id"]] = (version, node, [*numbers, version.number])
    return [
        {"id": node_id, "label": node_label(version.document, node_id), "versions": numbers,
         **_node(node, figures[node_id])}
        for node_id, (version, node, numbers) in removed.items()
        if node_id in figures and figures[node_id].counts[ENTERED]
    ]


def _read_counters(session: Session, triggers: Mapping[int, list[str]], days: DayRange,
                   ) -> tuple[defaultdict[int, defaultdict[str, _Figures]], list[dict[str, Any]]]:
    """Each version's nodes' figures and the daily series, from one statement (two grouped SELECTs, UNION ALL)."""
    by_node, by_day = _by_node(list(triggers), days), _by_day(triggers, days)
    figures: defaultdict[int, defaultdict[str, _Figures]] = defaultdict(lambda: defaultdict(_no_figures))
    series: dict[date, dict[str, Any]] = {}
    for version_id, node_id, day, metric, count, revenue, all_days in session.execute(union_all(by_node, by_day)):
        if day is not None:
            entry = series.get(day) or series.setdefault(day, _no_day(day))
            entry[metric] = int(count or 0)
            if metric == CONVERTED:
                entry["revenue"] = _money(Decimal(revenue or 0))
            continue
        node = figures[version_id][node_id]
        if _is_gauge(metric):
            count = count if all_days is None else all_days
        if metric == WAITING:
            node.waiting = int(count or 0)
            continue
        node.counts[metric] = int(count or 0)
        if metric == CONVERTED:
            node.revenue = Decimal(revenue or 0)
    return figures, _every_day(series)


def _by_node(version_ids: list[int], days: DayRange) -> Select[Any]:
    """Each version's, node's and metric's sum over the range, and the waiting gauge at the range's end.

    Numeric sums are what the aggregation spends its time on, so revenue is summed over the
    `converted` rows only, and the gauge gets a sum of its own only when the range has a first day.
    """
    in_range = NodeCounter.day >= days.first if days.first else None
    counted = NodeCounter.count if in_range is None else case((in_range, NodeCounter.count), else_=0)
    converted = NodeCounter.metric == CONVERTED if in_range is None else and_(NodeCounter.metric == CONVERTED, in_range)
    all_days = null() if in_range is None else func.sum(NodeCounter.count)
    query = (
        # the union's columns take their types from this SELECT: its null day must read back as a date
        select(NodeCounter.flow_version_id, NodeCounter.node_id, type_coerce(null(), NodeCounter.day.type).label("day"),
               NodeCounter.metric, func.sum(counted), func.sum(NodeCounter.amount).filter(converted), all_days)
        .where(NodeCounter.flow_version_id.in_(version_ids))
        .group_by(NodeCounter.flow_version_id, NodeCounter.node_id, NodeCounter.metric)
    )
    if days.last:
        query = query.where(NodeCounter.day <= days.last)
    if in_range is not None:  # earlier days matter only to the gauges
        query = query.where(or_(in_range, NodeCounter.metric == WAITING, NodeCounter.metric.like(f"%:{QUEUED}")))
    return query


def _by_day(triggers: Mapping[int, list[str]], days: DayRange) -> Select[Any]:
    """Entered, converted and revenue per day, every version's added up: the trigger nodes' counters, which count
    each run once."""
    at_a_trigger = or_(*(and_(NodeCounter.flow_version_id == version_id, NodeCounter.node_id.in_(node_ids))
                         for version_id, node_ids in triggers.items()))
    query = (
        select(null().label("flow_version_id"), null().label("node_id"), NodeCounter.day, NodeCounter.metric,
               func.sum(NodeCounter.count), func.sum(NodeCounter.amount), null())
        .where(at_a_trigger, NodeCounter.metric.in_((ENTERED, CONVERTED)))
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
        "exited_by": _exits(counts),
        "errored": counts[ERRORED],
        "converted": counts[CONVERTED],
        "conversion_rate": _rate(counts[CONVERTED], counts[ENTERED]),
        "revenue": _money(figures.revenue),
    }
    if node_type.channels:
        result["channels"] = _channels(node_type.channels, counts)
    if node_type.compares_ports:
        result.update(_variants(config, counts))
    return result


def _channels(channels: tuple[str, ...], counts: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """The node's messages per channel, each status counted apart: a popup and its fallback email apart."""
    return {channel: {status: counts[message_metric(channel, status)] for status in MESSAGE_METRICS}
            for channel in channels}


def _exits(counts: Mapping[str, int]) -> dict[str, int]:
    """The node's exits by cause; `unrecorded` for runs that exited before causes were counted."""
    causes = {cause.value: counts[exited_by(cause)] for cause in ExitCause}
    return {**causes, "unrecorded": counts["exited"] - sum(causes.values())}


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
