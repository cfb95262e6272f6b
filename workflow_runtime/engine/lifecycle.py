"""Pausing, resuming, archiving and deleting a flow (contacts enter by hand in engine.broadcasts)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.orm import Session

from workflow_runtime.engine.counters import ExitCause
from workflow_runtime.engine.interpreter import BatchEffects, exit_run
from workflow_runtime.storage.models import UNFINISHED, Flow, FlowStatus, FlowVersion, Message, Run, RunStatus


class LifecycleError(ValueError):
    """The flow is not in a state that allows this change; the message says why."""


def pause_flow(flow: Flow) -> None:
    """Hold every run where it is (nothing is sent) and enrol no one until resumed."""
    if flow.status is not FlowStatus.LIVE:
        raise LifecycleError(f"flow {flow.id} is {flow.status.value}: only a live flow can be paused")
    flow.status = FlowStatus.PAUSED


def resume_flow(session: Session, flow: Flow, now: datetime) -> list[int]:
    """Make the flow live again; returns the runs that fell due while it was paused, to queue now."""
    if flow.status is not FlowStatus.PAUSED:
        raise LifecycleError(f"flow {flow.id} is {flow.status.value}: only a paused flow can be resumed")
    flow.status = FlowStatus.LIVE
    due = select(Run.id).where(
        _of_flow(flow),
        Run.status.in_(UNFINISHED),
        or_(Run.status == RunStatus.ACTIVE, Run.resume.is_not(None), Run.wake_at <= now),
    )
    return list(session.scalars(due))


def archive_flow(session: Session, flow: Flow, now: datetime) -> int:
    """Exit every unfinished run and stop the flow for good (its statistics stay); returns runs exited."""
    if flow.status is FlowStatus.ARCHIVED:
        return 0
    flow.status = FlowStatus.ARCHIVED
    effects = BatchEffects()
    runs = session.scalars(select(Run).where(_of_flow(flow), Run.status.in_(UNFINISHED)).with_for_update())
    exited = 0
    for run in runs:
        exit_run(run, ExitCause.ARCHIVED, now, effects.counters)
        exited += 1
    effects.counters.flush(session)
    return exited


def _version_ids(flow: Flow) -> Select[tuple[int]]:
    """The ids of the flow's versions: runs and messages are found through them (indexed by version)."""
    return select(FlowVersion.id).where(FlowVersion.flow_id == flow.id)


def _of_flow(flow: Flow) -> ColumnElement[bool]:
    """The flow's runs."""
    return Run.flow_version_id.in_(_version_ids(flow))


def delete_flow(session: Session, flow: Flow) -> None:
    """Delete a draft or archived flow with its versions, runs and counters; a running one is archived first."""
    if flow.status in (FlowStatus.LIVE, FlowStatus.PAUSED):
        raise LifecycleError(f"flow {flow.id} is {flow.status.value}: archive it before deleting it")
    session.execute(update(Message).where(Message.flow_version_id.in_(_version_ids(flow)))
                    .values(run_id=None, flow_version_id=None))  # the ledger keeps its history, unlinked
    session.delete(flow)
    session.flush()
