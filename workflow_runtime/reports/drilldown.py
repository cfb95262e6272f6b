"""The contacts behind one number of the statistics: who entered, waits in, converted after or read a node.

Counters say how many; this says who, from the runs (their `path` and status) and the
send ledger (each message's `statuses`). It reads the runs of the versions counted (every
version of the flow, or the one picked: reports.stats.StatsScope) through ix_runs_flow_version_id
and the messages of one send node through ix_messages_flow_version_id_node_id. There is one entry per run or message, so the
total matches the all-time counter (a contact who entered twice is listed twice).
`at` is when the run entered the flow (entered, waiting, left:<port>), converted
(converted) or ended (completed, exited, exited:<cause>), or when the message was recorded.
A send node's messages are listed per channel: `email:read`, `popup:queued` (neither handed over nor
failed yet), … .
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.orm import Session

from nodes import registry
from workflow_runtime.channels.messages import HANDED_OVER
from workflow_runtime.engine.counters import EXIT_REASONS, QUEUED, ExitCause, exited_by, message_metric
from workflow_runtime.reports.stats import StatsScope
from workflow_runtime.storage.models import Channel, Contact, Message, Run, RunStatus
from workflow_runtime.storage.models.message import MessageStatus

EXITS = {exited_by(cause): cause for cause in ExitCause}
RUN_METRICS = ("entered", "waiting", "converted", "completed", "exited", *EXITS, "errored")
MESSAGE_STATUSES = (QUEUED, *(status.value for status in MessageStatus))
LEFT_PREFIX = "left:"


class UnknownNode(LookupError):
    """No version counted has a node with this id."""


@dataclass(frozen=True)
class ContactPage:
    """One page of the contacts behind a number, and how many there are in all."""

    contacts: list[dict[str, Any]]
    total: int


def metric_choices(node: Mapping[str, Any]) -> list[str]:
    """The metrics a node's contacts can be listed by: run metrics, left:<port>, and per channel message
    statuses (`email:read`) for nodes that send."""
    node_type = registry.get(node["type"])
    choices = [*RUN_METRICS, *(LEFT_PREFIX + port for port in node_type.output_ports(node.get("config", {})))]
    return choices + [message_metric(channel, status) for channel in node_type.channels for status in MESSAGE_STATUSES]


def node_contacts(session: Session, scope: StatsScope, node_id: str, metric: str,
                  limit: int, offset: int) -> ContactPage:
    """The contacts counted by `metric` at `node_id` in the scope's versions, latest first.

    Raises UnknownNode for a node none of them has, ValueError for a metric it has not.
    """
    node = next((node for version in reversed(scope.versions) for node in version.document["nodes"]
                 if node["id"] == node_id), None)
    if node is None:
        versions = f"version {scope.picked}" if scope.picked is not None else "any version"
        raise UnknownNode(f"Flow {scope.flow_id} has no node '{node_id}' in {versions}.")
    version_ids = [version.id for version in scope.versions]
    choices = metric_choices(node)
    if metric not in choices:
        raise ValueError(f"'{metric}' is not a metric of node '{node_id}': use one of {', '.join(choices)}.")
    channel, _, status = metric.partition(":")
    if status in MESSAGE_STATUSES and channel in registry.get(node["type"]).channels:
        at, source, where = _message_query(session, version_ids, node_id, channel, status)
        key = Message.id
    else:
        at, source, where = _run_query(session, version_ids, node_id, metric)
        key = Run.id
    total = session.scalar(select(func.count()).select_from(source).where(*where)) or 0
    query = (
        select(Contact.id, Contact.name, Contact.email, at)
        .select_from(source)
        .join(Contact, Contact.id == source.c.contact_id)
        .where(*where)
        .order_by(at.desc(), key.desc())
        .limit(limit)
        .offset(offset)
    )
    contacts = [{"id": cid, "name": name, "email": email, "at": moment} for cid, name, email, moment in session.execute(query)]
    return ContactPage(contacts, total)


def _run_query(session: Session, version_ids: list[int], node_id: str,
               metric: str) -> tuple[ColumnElement[datetime], Any, list[ColumnElement[bool]]]:
    """(the `at` column, the table, the conditions) of the runs counted by a run metric."""
    where: list[ColumnElement[bool]] = [Run.flow_version_id.in_(version_ids)]
    at: ColumnElement[datetime] = Run.entered_at
    if metric in EXITS:
        where += [Run.node_id == node_id, Run.status == RunStatus.EXITED,
                  Run.end_reason.startswith(EXIT_REASONS[EXITS[metric]], autoescape=True)]
        at = Run.ended_at
    elif metric in ("waiting", "completed", "exited", "errored"):
        where += [Run.node_id == node_id, Run.status == RunStatus(metric)]
        at = Run.ended_at if metric in ("completed", "exited") else Run.entered_at
    elif metric == "converted":
        where += [Run.converted_at.is_not(None), _path_has(session, node_id)]
        at = Run.converted_at
    elif metric.startswith(LEFT_PREFIX):
        where.append(_path_has(session, node_id, metric.removeprefix(LEFT_PREFIX)))
    else:  # entered
        where.append(_path_has(session, node_id))
    return at, Run.__table__, where


def _message_query(session: Session, version_ids: list[int], node_id: str, channel: str,
                   status: str) -> tuple[ColumnElement[datetime], Any, list[ColumnElement[bool]]]:
    """(the `at` column, the table, the conditions) of a send node's messages on `channel` that reached
    `status`, or for `queued` that reached neither delivered nor failed."""
    where: list[ColumnElement[bool]] = [Message.flow_version_id.in_(version_ids), Message.node_id == node_id,
                                        Message.channel == Channel(channel)]
    if status == QUEUED:
        where += [~_json_list_has(session, Message.statuses, handed_over) for handed_over in sorted(HANDED_OVER)]
    elif status != MessageStatus.SENT.value:  # every ledger row was recorded as sent
        where.append(_json_list_has(session, Message.statuses, status))
    return Message.created_at, Message.__table__, where


def _path_has(session: Session, node_id: str, port: str | None = None) -> ColumnElement[bool]:
    """Whether a run's path has a step at `node_id` (left by `port`, when given), matched by position in the step."""
    if _is_postgresql(session):
        # Not `path @> '[["node"]]'`: array containment ignores positions, so a port named like the node would
        # match. Strict mode: lax mode would unwrap each [node, port] step and compare its items one by one.
        step = "@[0] == $node" if port is None else "@[0] == $node && @[1] == $port"
        test = f"strict $[*] ? ({step})"
        variables = func.jsonb_build_object("node", node_id, "port", port or "")
        return func.jsonb_path_exists(type_coerce(Run.path, JSONB), literal(test, JSONPATH), variables)
    entries = func.json_each(Run.path).table_valued("value").alias("step")
    matches = [func.json_extract(entries.c.value, "$[0]") == node_id]
    if port is not None:
        matches.append(func.json_extract(entries.c.value, "$[1]") == port)
    return exists(select(literal(1)).select_from(entries).where(*matches))


def _json_list_has(session: Session, column: Any, item: str) -> ColumnElement[bool]:
    """Whether a JSON list column holds the string `item`."""
    if _is_postgresql(session):
        return type_coerce(column, JSONB).contains([item])
    entries = func.json_each(column).table_valued("value").alias("entry")
    return exists(select(literal(1)).select_from(entries).where(entries.c.value == item))


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
