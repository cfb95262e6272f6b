"""What a forecast gives: its per-node figures beside the live figures of the same window, their difference, the
message statuses estimated from the rates seen in reality, and what cannot be exact.

Both sides are read by the statistics' own function (reports.stats.flow_stats): the forecast's from the
scratch database, the live one's from the live counters over the window's days (every version of the flow
added up: what really happened).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.forecast.replay import ReplayTally
from workflow_runtime.forecast.window import Window
from workflow_runtime.reports.stats import DayRange, flow_stats, stats_scope
from workflow_runtime.storage.models import Message, NodeCounter

# The statuses a contact gives a message, estimated for the forecast's messages that had no counterpart in reality.
ENGAGEMENT = ("delivered", "read", "clicked", "replied", "dismissed", "unsubscribed")


def forecast_figures(scratch: Session, flow_id: int) -> dict[str, Any]:
    """The forecast's statistics: every counter of the scratch database is the window's."""
    scope = stats_scope(scratch, flow_id, None)
    assert scope is not None  # the scratch database holds the published forecast version
    return flow_stats(scratch, scope, DayRange())


def counters(scratch: Session) -> dict[str, dict[str, int]]:
    """The forecast's raw counters summed over days, zeros left out: {node: {metric: count}}."""
    totals: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for node_id, metric, count in scratch.execute(select(NodeCounter.node_id, NodeCounter.metric, NodeCounter.count)):
        totals[node_id][metric] += count
    return {node: {metric: count for metric, count in sorted(metrics.items()) if count}
            for node, metrics in sorted(totals.items())}


def live_figures(live: Session, flow_id: int, window: Window) -> dict[str, Any] | None:
    """The flow's real statistics over the window's days (all versions), None if it was never published."""
    scope = stats_scope(live, flow_id, None)
    return flow_stats(live, scope, window.days) if scope is not None else None


def live_nodes(live: Mapping[str, Any] | None) -> dict[str, Any]:
    """The live figures by node id, nodes of earlier versions included."""
    if live is None:
        return {}
    return {**{node["id"]: node for node in live["removed_nodes"]}, **live["nodes"]}


def flatten(node: Mapping[str, Any]) -> dict[str, float]:
    """A node's figures as flat numbers: entered, waiting, left.<port>, <channel>.<status>, converted, revenue, …"""
    flat: dict[str, float] = {key: node[key] for key in ("entered", "waiting", "completed", "exited", "errored",
                                                          "converted", "revenue")}
    flat.update({f"left.{port}": count for port, count in node["left"].items()})
    flat.update({f"exited_by.{cause}": count for cause, count in node["exited_by"].items()})
    for channel, statuses in node.get("channels", {}).items():
        flat.update({f"{channel}.{status}": count for status, count in statuses.items()})
    return flat


def difference(forecast: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Per node, forecast minus live for every figure that differs (a node live never had counts from zero)."""
    changes: dict[str, dict[str, float]] = {}
    for node_id, node in forecast.items():
        ours = flatten(node)
        theirs = flatten(live[node_id]) if node_id in live else {}
        differing = {key: round(value - theirs.get(key, 0), 2) for key, value in ours.items()
                     if round(value - theirs.get(key, 0), 2)}
        if differing:
            changes[node_id] = differing
    return changes


def unmatched_messages(scratch: Session, sent_in_reality: set[tuple[int, str, str]]) -> Counter[tuple[str, str]]:
    """(node, channel) → the forecast's messages that no message of reality matches (same contact, node, channel)."""
    unmatched: Counter[tuple[str, str]] = Counter()
    for contact_id, node_id, channel in scratch.execute(select(Message.contact_id, Message.node_id, Message.channel)):
        if (contact_id, node_id, channel.value) not in sent_in_reality:
            unmatched[node_id, channel.value] += 1
    return unmatched


def estimates(forecast: Mapping[str, Any], live: Mapping[str, Any],
              unmatched: Counter[tuple[str, str]]) -> dict[str, dict[str, dict[str, Any]]]:
    """For nodes whose forecast sent messages reality did not: each channel's statuses with those messages given
    the rates seen on the same node and channel in reality, or no estimate (`rate_from` null) where reality sent
    none there."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for (node_id, channel), count in sorted(unmatched.items()):
        counted = forecast[node_id]["channels"][channel]
        seen = live.get(node_id, {}).get("channels", {}).get(channel)
        if not seen or not seen["sent"]:
            found.setdefault(node_id, {})[channel] = {"unmatched": count, "rate_from": None}
            continue
        found.setdefault(node_id, {})[channel] = {
            "unmatched": count, "rate_from": f"{seen['sent']} {channel} messages of node {node_id} in reality",
            **{status: round(counted[status] + count * seen[status] / seen["sent"], 1) for status in ENGAGEMENT}}
    return found


def notes(window: Window, step: timedelta, tally: ReplayTally, live: Mapping[str, Any] | None,
          found_estimates: Mapping[str, Any]) -> list[str]:
    """What the forecast cannot know exactly, each a sentence."""
    days = window.days
    said = [
        "Contacts are replayed with their properties and tags as they are now: past values are not stored (identify "
        "calls keep no history), so a condition on a property that changed during the window may decide otherwise "
        "than it did.",
        "Runs the flow had in progress when the window opened are not carried into the forecast; the live figures "
        "count what they did within the window.",
        f"Events are applied at their timestamps, rounded up to steps of {int(step.total_seconds())} s; nobody counts "
        "as on the site (presence is not recorded), so an on-site message's email fallback goes when it is due.",
        "Nothing is delivered: a message the flow also sent in reality (same contact, node and channel) gets the "
        "statuses it reached there, at the time of its last change (the ledger keeps no time per status); others "
        "stay queued, and a webhook call without a counterpart succeeds at once.",
        "Messages held by quiet hours or the frequency cap are counted as waiting at their node (no counter of "
        "their own).",
        f"The live figures are the flow's counters (every version) from {days.first} to {days.last}, counted per "
        "UTC day.",
    ]
    if live is None:
        said.append("The flow was never published: there are no live figures to compare with.")
    if found_estimates:
        estimated = ", ".join(f"{node} ({', '.join(channels)})" for node, channels in found_estimates.items())
        said.append(f"Opens, clicks and replies of messages reality never sent are estimated from the rates seen on "
                    f"the same node, or not at all where it sent none: {estimated}.")
    if tally.no_manual_trigger:
        said.append(f"{tally.no_manual_trigger} contacts enrolled by hand in reality were not enrolled: this flow has "
                    "no manual trigger.")
    if tally.unmatched_engagements:
        said.append(f"{tally.unmatched_engagements} messages read, clicked or answered in reality were never sent by "
                    "the forecast: their statuses are left out.")
    if tally.failed_events:
        said.append(f"{len(tally.failed_events)} events failed to apply and were left out "
                    f"(ids {', '.join(map(str, tally.failed_events[:10]))}).")
    return said


TABLE_COLUMNS = ("node", "type", "entered", "left by port", "waiting", "sent", "suppressed", "converted", "revenue")


def table_rows(result: Mapping[str, Any]) -> list[list[str]]:
    """The result as a table's rows (TABLE_COLUMNS): each figure as "forecast (live ±difference)", or the forecast's
    alone where it equals the live one."""
    live = (result.get("live") or {}).get("nodes", {})
    rows = []
    for node_id, node in result["nodes"].items():
        shown = partial(_shown, flatten(node), flatten(live[node_id]) if node_id in live else {}, bool(live))
        channels = node.get("channels", {})
        rows.append([
            node_id, node["type"], shown("entered"),
            ", ".join(f"{port} {shown(f'left.{port}')}" for port in node["left"]), shown("waiting"),
            ", ".join(f"{channel} {shown(f'{channel}.sent')}" for channel in channels),
            ", ".join(f"{channel} {shown(f'{channel}.suppressed')}" for channel in channels),
            shown("converted"), shown("revenue"),
        ])
    return rows


def _shown(ours: Mapping[str, float], theirs: Mapping[str, float], compared: bool, key: str) -> str:
    value, seen = ours.get(key, 0), theirs.get(key, 0)
    text = f"{value:g}"
    return text if not compared or value == seen else f"{text} (live {seen:g}, {value - seen:+g})"
