"""A contact's journeys: for each flow run, the path with times, what decided each way taken (a condition's rule,
a split's variant, an event or a time-out), each message with its statuses, the goal credit, and what operators
did to it — read from the run's path, the ledger and the audit log, never recomputed."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.document import node_label
from nodes import registry
from workflow_runtime.audience.contact_card import RECENT, ContactNotFound
from workflow_runtime.storage.models import Contact, Flow, FlowVersion, Message, MessageStatus, Run, RunAction
from workflow_runtime.storage.models.run import PathStep

# A flow message's idempotency key ends with the visit of its node and its channel (interpreter.RunContext).
_VISIT = re.compile(r":visit:(\d+):[a-z_]+$")


def contact_journeys(session: Session, contact_id: int) -> list[dict[str, Any]]:
    """The contact's latest runs (up to RECENT), newest first, each traced step by step.

    Raises ContactNotFound.
    """
    if session.get(Contact, contact_id) is None:
        raise ContactNotFound(f"There is no contact with id {contact_id}.")
    runs = list(session.scalars(select(Run).where(Run.contact_id == contact_id)
                                .order_by(Run.entered_at.desc(), Run.id.desc()).limit(RECENT)))
    run_ids = [run.id for run in runs]
    versions = _versions(session, {run.flow_version_id for run in runs})
    messages = _messages_by_run(session, run_ids)
    actions = _actions_by_run(session, contact_id)
    moved_to = {run.context["moved_from"]["run_id"]: run.id for run in runs if "moved_from" in run.context}
    return [_journey(run, versions[run.flow_version_id], messages.get(run.id, []), actions.get(run.id, []),
                     moved_to.get(run.id)) for run in runs]


def _versions(session: Session, ids: Iterable[int]) -> dict[int, Any]:
    query = (select(FlowVersion.id, FlowVersion.number, FlowVersion.document, Flow.name)
             .join(Flow, Flow.id == FlowVersion.flow_id).where(FlowVersion.id.in_(list(ids))))
    return {version.id: version for version in session.execute(query)}


def _messages_by_run(session: Session, run_ids: list[int]) -> dict[int, list[Message]]:
    by_run: defaultdict[int, list[Message]] = defaultdict(list)
    if run_ids:
        query = select(Message).where(Message.run_id.in_(run_ids)).order_by(Message.created_at, Message.id)
        for message in session.scalars(query):
            by_run[message.run_id].append(message)
    return by_run


def _actions_by_run(session: Session, contact_id: int) -> dict[int, list[dict[str, Any]]]:
    by_run: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    query = select(RunAction).where(RunAction.contact_id == contact_id).order_by(RunAction.created_at, RunAction.id)
    for action in session.scalars(query):
        by_run[action.run_id].append(action_record(action))
    return by_run


def action_record(action: RunAction) -> dict[str, Any]:
    """An operator action as the journey shows it."""
    return {"id": action.id, "action": action.action.value, "at": action.created_at, "actor": action.actor,
            "reason": action.reason, "from_node_id": action.from_node_id, "to_node_id": action.to_node_id,
            "new_run_id": action.new_run_id}


def _journey(run: Run, version: Any, messages: list[Message], actions: list[dict[str, Any]],
             moved_to: int | None) -> dict[str, Any]:
    nodes = {node["id"]: node for node in version.document["nodes"]}
    steps = [PathStep.read(step) for step in run.path]
    sent = _messages_by_visit(messages)
    visits: defaultdict[str, int] = defaultdict(int)
    traced = []
    for index, step in enumerate(steps):
        visits[step.node_id] += 1
        node = nodes.get(step.node_id, {})
        last = index == len(steps) - 1
        traced.append({
            "node_id": step.node_id, "node_type": node.get("type"), "label": node_label(version.document, step.node_id),
            "entered_at": step.entered_at,
            "left_at": run.ended_at if last else steps[index + 1].entered_at,
            "port": step.port, "port_label": _port_label(node, step.port),
            "rule": _rule(node, step.rule),
            "messages": [_message(message) for message in sent.get((step.node_id, visits[step.node_id]), [])],
        })
    return {
        "run_id": run.id, "flow_id": run.flow_id, "flow_name": version.name, "version": version.number,
        "status": run.status.value, "node_id": run.node_id, "entered_at": run.entered_at, "ended_at": run.ended_at,
        "end_reason": run.end_reason, "waiting_until": run.wake_at, "waiting_for": run.waiting_for,
        "goal": {"event": run.goal_event, "deadline": run.goal_deadline, "converted_at": run.converted_at,
                 "revenue": float(run.revenue) if run.revenue is not None else None},
        "moved_from": run.context.get("moved_from"), "moved_to": moved_to,
        "trigger": run.context.get("trigger", {}),
        "steps": traced, "actions": actions,
        "nodes": [{"id": node_id, "type": node.get("type"), "label": node_label(version.document, node_id)}
                  for node_id, node in nodes.items()],
    }


def _messages_by_visit(messages: list[Message]) -> dict[tuple[str | None, int], list[Message]]:
    """The run's messages by the (node, visit) that sent them (a message whose key names no visit: visit 1)."""
    by_visit: defaultdict[tuple[str | None, int], list[Message]] = defaultdict(list)
    for message in messages:
        visit = _VISIT.search(message.idempotency_key)
        by_visit[message.node_id, int(visit.group(1)) if visit else 1].append(message)
    return by_visit


def _message(message: Message) -> dict[str, Any]:
    failed = MessageStatus.FAILED.value in (message.statuses or [])
    return {"id": message.id, "channel": message.channel.value, "status": message.status.value,
            "statuses": list(message.statuses or []), "created_at": message.created_at,
            "updated_at": message.updated_at, "error": message.last_error if failed else None}


def _port_label(node: Mapping[str, Any], port: str | None) -> str | None:
    """A port as the canvas names it: a split's variant by its label, other ports by their id."""
    if port is None:
        return None
    node_type = registry.get(node.get("type", ""))
    source = node_type.port_source if node_type is not None else None
    if source is not None:
        for item in node.get("config", {}).get(source["list"], []):
            if item.get(source["id"]) == port:
                return item.get(source["label"]) or port
    return port


def _rule(node: Mapping[str, Any], pointer: str | None) -> dict[str, Any] | None:
    """The rule at `pointer` in the node's config (the one that decided its step), with the pointer."""
    if pointer is None:
        return None
    target: Any = node.get("config", {})
    for part in pointer.split("/")[1:]:  # the interpreter writes plain keys and list indexes: nothing escaped
        try:
            target = target[int(part)] if isinstance(target, list) else target[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return {"pointer": pointer, "rule": None}
    return {"pointer": pointer, "rule": target}
