"""The messages report: every send node of every flow in one table, a row per node and channel.

Read from the per-node counters (`node_counters`), never the messages or runs, so it costs the
same for ten messages or a million: one grouped SELECT sums each version's nodes' message and
conversion counters, which add up per flow (a broadcast enrols contacts at a flow's manual
trigger, so its messages are that flow's). A node keeps its id across versions, so its figures
add up under that id; it is described as the version shown describes it (the live one, else the
latest), and a node only an earlier version had is listed after the shown version's nodes when
it has figures in the range.

A row holds one channel's messages, so a popup and its fallback email are never added together:
the node's own channel always has a row, another channel (a popup's or chat's email fallback)
only when it has a figure in the range. `queued` is a gauge (messages recorded and not yet handed
over or failed), read at the range's end as statistics mode reads it; every other figure is summed
over the range's days. A row's `converted` and `revenue` are its node's: runs that passed it and
reached the flow's goal, the same on each channel row of the node. A run passing two send nodes
is credited at both, so the totals take conversions from the flows' trigger nodes instead, where
each converted run is counted once; narrowed to a channel, from the runs themselves: the listed
flows' runs that converted in the range and were sent a message of that channel, each once (a
run's conversion is counted on the day it converted, as the counters count it). Rates are shares of `sent`. Webhook nodes call an
integration, not the contact: they are left out.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select, true
from sqlalchemy.orm import Session

from nodes import registry
from workflow_runtime.authoring.flow_store import get_flow
from workflow_runtime.engine.counters import QUEUED, message_metric
from workflow_runtime.reports.stats import CONVERTED, DayRange
from workflow_runtime.storage.models import Channel, Flow, FlowVersion, Message, MessageTemplate, NodeCounter, Run
from workflow_runtime.storage.models.message import MessageStatus

# The channels whose messages reach the contact, in the order a node lists them.
REPORTED_CHANNELS = tuple(channel.value for channel in Channel if channel is not Channel.WEBHOOK)
# A row's message figures, as its columns come; `queued` is the gauge.
MESSAGE_FIGURES = tuple(status.value for status in (
    MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.CLICKED, MessageStatus.REPLIED,
    MessageStatus.UNSUBSCRIBED, MessageStatus.FAILED)) + (QUEUED,)
# The figures given as shares of `sent`.
RATES = ("delivered", "read", "clicked", "replied", "unsubscribed", "failed", CONVERTED)
LABEL_LENGTH = 60  # as the canvas clips a node's summary


@dataclass(frozen=True)
class MessagesFilter:
    """What the report covers: one channel or all, one flow or all, the days counted (UTC, both ends included)."""

    channel: str | None = None
    flow_id: int | None = None
    days: DayRange = field(default_factory=DayRange)

    def __post_init__(self) -> None:
        if self.channel is not None and self.channel not in REPORTED_CHANNELS:
            raise ValueError(f"{self.channel!r} is not a channel of messages: pick one of {', '.join(REPORTED_CHANNELS)}")


@dataclass
class _NodeFigures:
    """One node's counters in the range: metric → count (gauges at the range's end) and its revenue."""

    counts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    revenue: Decimal = Decimal(0)

    def add(self, other: _NodeFigures) -> None:
        for metric, count in other.counts.items():
            self.counts[metric] += count
        self.revenue += other.revenue

    def has_channel(self, channel: str) -> bool:
        return any(self.counts[message_metric(channel, figure)] for figure in MESSAGE_FIGURES)


@dataclass(frozen=True)
class _SendNode:
    """A send node of a flow as the version shown describes it (or the latest that had it)."""

    node: Mapping[str, Any]
    channels: tuple[str, ...]  # its node type's message channels, its own first
    shown: bool  # False: only an earlier version has it


@dataclass(frozen=True)
class _ReportedFlow:
    """A published flow: as the rows name it, its send nodes in the report's order, and each version's triggers."""

    flow: dict[str, Any]  # id, name, status
    send_nodes: list[_SendNode]
    triggers: dict[int, list[str]]  # version id → its trigger nodes, where each converted run is counted once

    def node_figures(self, figures: Mapping[tuple[int, str], _NodeFigures], node_id: str) -> _NodeFigures:
        """The node's figures, every version added up."""
        total = _NodeFigures()
        for version_id in self.triggers:
            total.add(figures.get((version_id, node_id)) or _NodeFigures())
        return total

    def conversions(self, figures: Mapping[tuple[int, str], _NodeFigures]) -> _NodeFigures:
        """The flow's converted runs and their revenue, each run once: what its trigger nodes counted."""
        total = _NodeFigures()
        for version_id, node_ids in self.triggers.items():
            for node_id in node_ids:
                found = figures.get((version_id, node_id)) or _NodeFigures()
                total.counts[CONVERTED] += found.counts[CONVERTED]
                total.revenue += found.revenue
        return total


def messages_report(session: Session, filters: MessagesFilter) -> dict[str, Any]:
    """The report's rows (by flow name, then the nodes' order in the flow) and their totals, as plain JSON values.

    Raises FlowNotFound when `filters.flow_id` names no flow.
    """
    if filters.flow_id is not None:
        get_flow(session, filters.flow_id)
    flows = sorted(_flows(session, filters.flow_id), key=lambda found: (found.flow["name"].casefold(), found.flow["id"]))
    version_ids = [version_id for found in flows for version_id in found.triggers] if filters.flow_id else None
    figures = _figures(session, filters, version_ids)
    templates = _template_names(session, flows)
    items: list[dict[str, Any]] = []
    converted = _NodeFigures()
    for found in flows:
        rows = []
        for send_node in found.send_nodes:
            node_figures = found.node_figures(figures, send_node.node["id"])
            rows += [_row(found.flow, send_node.node, templates, channel, node_figures)
                     for channel in _row_channels(send_node, node_figures) if filters.channel in (None, channel)]
        if rows:
            items += rows
            converted.add(found.conversions(figures))
    if filters.channel is not None:
        listed = {item["flow"]["id"] for item in items}
        converted = _converted_after(session, listed, filters.channel, filters.days) if listed else _NodeFigures()
    return {"items": items, "totals": _totals(items, converted)}


def _converted_after(session: Session, flow_ids: set[int], channel: str, days: DayRange) -> _NodeFigures:
    """The runs of these flows that converted in the days and were sent a message of `channel`, each once, with
    their revenue."""
    was_sent = select(Message.id).where(Message.run_id == Run.id, Message.channel == Channel(channel)).exists()
    query = select(func.count(), func.sum(Run.revenue)).where(Run.flow_id.in_(flow_ids), was_sent,
                                                              Run.converted_at.is_not(None))
    if days.first:
        query = query.where(Run.converted_at >= datetime.combine(days.first, time(), timezone.utc))
    if days.last and days.last < date.max:
        query = query.where(Run.converted_at < datetime.combine(days.last + timedelta(days=1), time(), timezone.utc))
    count, revenue = session.execute(query).one()
    found = _NodeFigures(revenue=Decimal(revenue or 0))
    found.counts[CONVERTED] = count
    return found


def table(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    """The report's rows as a table (a header, then a row per item), for a CSV export."""
    yield ["flow_id", "flow_name", "flow_status", "node_id", "node_label", "node_type", "channel",
           *MESSAGE_FIGURES, CONVERTED, "revenue", *(f"{rate}_rate" for rate in RATES)]
    for item in report["items"]:
        flow = item["flow"]
        yield [flow["id"], flow["name"], flow["status"], item["node_id"], item["node_label"], item["node_type"],
               item["channel"], *(item[figure] for figure in MESSAGE_FIGURES), item[CONVERTED], item["revenue"],
               *(item["rates"][rate] for rate in RATES)]


def _flows(session: Session, flow_id: int | None) -> list[_ReportedFlow]:
    """Every published flow (or the one asked for), with its send nodes and its versions' triggers."""
    query = (select(Flow.id, Flow.name, Flow.status, Flow.live_version_id, FlowVersion.id, FlowVersion.document)
             .join(FlowVersion, FlowVersion.flow_id == Flow.id).order_by(Flow.id, FlowVersion.number))
    if flow_id is not None:
        query = query.where(Flow.id == flow_id)
    versions: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    described: dict[int, tuple[dict[str, Any], int | None]] = {}
    for found_id, name, status, live_version_id, version_id, document in session.execute(query):
        described[found_id] = ({"id": found_id, "name": name, "status": status.value}, live_version_id)
        versions[found_id].append((version_id, document))
    return [
        _ReportedFlow(flow, _send_nodes(versions[found_id], live_version_id),
                      {version_id: _triggers(document) for version_id, document in versions[found_id]})
        for found_id, (flow, live_version_id) in described.items()
    ]


def _triggers(document: Mapping[str, Any]) -> list[str]:
    """The version's trigger nodes: every run starts at one, so their counters count each run once."""
    return [node["id"] for node in document["nodes"]
            if (node_type := registry.get(node["type"])) is not None and node_type.is_entry]


def _send_nodes(versions: list[tuple[int, dict[str, Any]]], live_version_id: int | None) -> list[_SendNode]:
    """The shown version's send nodes in its order, then those only earlier versions had (their latest definition)."""
    shown = next((document for version_id, document in versions if version_id == live_version_id), versions[-1][1])
    latest: dict[str, Mapping[str, Any]] = {}
    for _version_id, document in versions:  # oldest first: a later definition replaces an earlier one in place
        latest.update((node["id"], node) for node in document["nodes"])
    in_shown = {node["id"] for node in shown["nodes"]}
    ordered = [(node, True) for node in shown["nodes"]]
    ordered += [(node, False) for node_id, node in latest.items() if node_id not in in_shown]
    send_nodes = []
    for node, is_shown in ordered:
        node_type = registry.get(node["type"])
        channels = tuple(channel for channel in (node_type.channels if node_type else ()) if channel in REPORTED_CHANNELS)
        if channels:
            send_nodes.append(_SendNode(node, channels, is_shown))
    return send_nodes


def _row_channels(send_node: _SendNode, figures: _NodeFigures) -> list[str]:
    """The node's own channel (when the shown version has it, or it has figures), and any other with figures."""
    own, *others = send_node.channels
    others += [channel for channel in REPORTED_CHANNELS if channel not in send_node.channels]  # a node that changed type
    channels = [own] if send_node.shown or figures.has_channel(own) else []
    return channels + [channel for channel in others if figures.has_channel(channel)]


def _figures(session: Session, filters: MessagesFilter,
             version_ids: list[int] | None) -> dict[tuple[int, str], _NodeFigures]:
    """Each version's nodes' message counters and conversions in the range (of the versions given, else all), from
    one grouped SELECT. A gauge adds every day up to the range's last (its level then), the rest the range's days."""
    days = filters.days
    channels = REPORTED_CHANNELS if filters.channel is None else (filters.channel,)
    metrics = [message_metric(channel, figure) for channel in channels for figure in MESSAGE_FIGURES]
    in_range = NodeCounter.day >= days.first if days.first else true()
    in_days = case((in_range, NodeCounter.count), else_=0) if days.first else NodeCounter.count
    query = (
        select(NodeCounter.flow_version_id, NodeCounter.node_id, NodeCounter.metric, func.sum(in_days),
               func.sum(NodeCounter.count), func.sum(NodeCounter.amount).filter(NodeCounter.metric == CONVERTED, in_range))
        .where(NodeCounter.metric.in_([*metrics, CONVERTED]))
        .group_by(NodeCounter.flow_version_id, NodeCounter.node_id, NodeCounter.metric)
    )
    if version_ids is not None:
        query = query.where(NodeCounter.flow_version_id.in_(version_ids))
    if days.last:
        query = query.where(NodeCounter.day <= days.last)
    if days.first:  # earlier days matter only to the queue gauges
        query = query.where(or_(in_range, NodeCounter.metric.like(f"%:{QUEUED}")))
    figures: defaultdict[tuple[int, str], _NodeFigures] = defaultdict(_NodeFigures)
    for version_id, node_id, metric, in_days_count, up_to_last, revenue in session.execute(query):
        node = figures[version_id, node_id]
        node.counts[metric] = int((up_to_last if metric.endswith(f":{QUEUED}") else in_days_count) or 0)
        if metric == CONVERTED:
            node.revenue = Decimal(revenue or 0)
    return figures


def _template_names(session: Session, flows: Sequence[_ReportedFlow]) -> dict[int, str]:
    """The names of the message templates the send nodes use (for their labels)."""
    ids = {node.node["config"]["template_id"] for found in flows for node in found.send_nodes
           if node.node.get("config", {}).get("template_id")}
    if not ids:
        return {}
    return dict(session.execute(select(MessageTemplate.id, MessageTemplate.name).where(MessageTemplate.id.in_(ids))).all())


def node_label(node: Mapping[str, Any], templates: Mapping[int, str]) -> str:
    """What names a send node in the report, as the canvas shows it: the label given to the node, else its popup's
    title, its email's subject or template, or its chat message (clipped), else its id."""
    if node.get("label"):
        return str(node["label"])
    config = node.get("config", {})
    template_id = config.get("template_id")
    template = (templates.get(template_id) or f"Template #{template_id}") if template_id else None
    text = config.get("title") or config.get("subject") or template or config.get("body")
    return _clip(text) if isinstance(text, str) and _clip(text) else str(node["id"])


def _clip(text: str) -> str:
    """The text without markup, its blanks collapsed, cut to LABEL_LENGTH with an ellipsis."""
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
    return plain if len(plain) <= LABEL_LENGTH else plain[:LABEL_LENGTH - 1] + "…"


def _row(flow: dict[str, Any], node: Mapping[str, Any], templates: Mapping[int, str], channel: str,
         figures: _NodeFigures) -> dict[str, Any]:
    counts = {figure: figures.counts[message_metric(channel, figure)] for figure in MESSAGE_FIGURES}
    return {
        "flow": flow,
        "node_id": node["id"],
        "node_label": node_label(node, templates),
        "node_type": node["type"],
        "channel": channel,
        **counts,
        CONVERTED: figures.counts[CONVERTED],
        "revenue": _money(figures.revenue),
        "rates": _rates({**counts, CONVERTED: figures.counts[CONVERTED]}),
    }


def _totals(items: list[dict[str, Any]], converted: _NodeFigures) -> dict[str, Any]:
    """The rows' message figures added up, and the conversions and revenue of their flows, each run once."""
    counts = {figure: sum(item[figure] for item in items) for figure in MESSAGE_FIGURES}
    counts[CONVERTED] = converted.counts[CONVERTED]
    return {**counts, "revenue": _money(converted.revenue), "rates": _rates(counts)}


def _rates(counts: Mapping[str, int]) -> dict[str, float]:
    sent = counts[MessageStatus.SENT.value]
    return {rate: counts[rate] / sent if sent else 0.0 for rate in RATES}


def _money(amount: Decimal) -> float:
    return float(round(amount, 2))
