"""What an operator may do to a contact's run from its journey — move it to a node, skip its wait, exit it,
restart it — each with a reason, recorded in the audit log (`run_actions`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow_runtime.engine.counters import CounterBatch, ExitCause
from workflow_runtime.engine.definition import NodeSpec, load_definition
from workflow_runtime.engine.interpreter import exit_run
from workflow_runtime.engine.relocation import move_run
from workflow_runtime.storage.models import (
    UNFINISHED,
    Flow,
    FlowStatus,
    FlowVersion,
    OperatorAction,
    Run,
    RunAction,
    RunStatus,
)

# The longest reason an operator may give, in characters.
MAX_REASON = 1000


class RunNotFound(LookupError):
    """The contact has no run with this id."""


class ActionRefused(ValueError):
    """The run's state does not allow the action; the message says why and what to do instead."""


class UnknownNode(ValueError):
    """A move names a node its run's version does not have."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (their id) or an API token (no user), by the name the audit log keeps."""

    user_id: int | None
    name: str


@dataclass(frozen=True)
class Acted:
    """The audit log's record of the action, and the runs due now (to queue)."""

    record: RunAction
    due: list[int]


def act(session: Session, contact_id: int, run_id: int, action: OperatorAction, reason: str, actor: Actor,
        now: datetime, node_id: str | None = None) -> Acted:
    """Do `action` to the contact's run, in the caller's transaction, and record it.

    Raises RunNotFound, UnknownNode (a move to a node the run's version lacks) or ActionRefused.
    """
    run = session.scalar(select(Run).where(Run.id == run_id, Run.contact_id == contact_id).with_for_update())
    if run is None:
        raise RunNotFound(f"Contact {contact_id} has no run {run_id}.")
    if run.status is RunStatus.ERRORED:
        raise ActionRefused(f"Run {run_id} is parked by an error at {run.node_id!r}: retry or discard it on the "
                            "Failures page.")
    unfinished = run.status in UNFINISHED
    counters = CounterBatch()
    new_run: Run | None = None
    to_node: str | None = None
    if action is OperatorAction.SKIP_WAIT:
        if run.status is not RunStatus.WAITING:
            raise ActionRefused(f"Run {run_id} is not waiting ({run.status.value} at {run.node_id!r}): there is no wait "
                                "to skip.")
        run.wake_at, run.waiting_for, run.waiting_where, run.resume = now, None, None, None  # due now, as a time-out
    elif action is OperatorAction.EXIT:
        if not unfinished:
            raise ActionRefused(f"Run {run_id} has already ended ({run.status.value} at {run.node_id!r}).")
        exit_run(run, ExitCause.OPERATOR, now, counters, reason[:150])
    else:
        _check_flow_takes_contacts(session, run)
        nodes = load_definition(session, run.flow_version_id).nodes
        if action is OperatorAction.MOVE:
            if not unfinished:
                raise ActionRefused(f"Run {run_id} has already ended ({run.status.value} at {run.node_id!r}): restart "
                                    "it instead.")
            if node_id not in nodes:
                number = session.scalar(select(FlowVersion.number).where(FlowVersion.id == run.flow_version_id))
                raise UnknownNode(f"Version {number} of the flow has no node {node_id!r}.")
            if nodes[node_id].node_type.is_entry:
                raise ActionRefused(f"{node_id!r} is a trigger: restart the run to start it again from there.")
            to_node, detail, keep_goal = node_id, f"to {node_id} by an operator", True
        else:
            to_node, detail, keep_goal = _start(run, nodes), "to the start by an operator (restarted)", False
        new_run = move_run(run, to_node, now, counters, detail=detail, keep_goal=keep_goal)
        session.add(new_run)
        session.flush()
    counters.flush(session)
    record = RunAction(contact_id=contact_id, flow_id=run.flow_id, run_id=run.id,
                       new_run_id=new_run.id if new_run is not None else None, action=action,
                       from_node_id=run.node_id, to_node_id=to_node, reason=reason, user_id=actor.user_id,
                       actor=actor.name[:200], created_at=now)
    session.add(record)
    session.flush()
    due = [new_run.id] if new_run is not None else [run.id] if action is OperatorAction.SKIP_WAIT else []
    return Acted(record, due)


def _start(run: Run, nodes: Mapping[str, NodeSpec]) -> str:
    """Where a restart begins: the trigger the run entered by, or, for a run that began where it was moved to, its
    version's first trigger."""
    first = run.path[0][0]
    if nodes[first].node_type.is_entry:
        return first
    return next(spec.id for spec in nodes.values() if spec.node_type.is_entry)


def _check_flow_takes_contacts(session: Session, run: Run) -> None:
    flow = session.get(Flow, run.flow_id)
    if flow is None or flow.status is FlowStatus.ARCHIVED:
        raise ActionRefused(f"Flow {run.flow_id} is archived: it takes no more contacts.")
