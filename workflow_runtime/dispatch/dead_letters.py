"""Dead letters, from outside the engine: list what failed alone, retry it once its cause is fixed, or discard it.

Retrying puts each item back where it was (engine.failures.reopen) in the caller's transaction
and, once that committed, queues its job again: a parked run to advance from where its step
failed (on the same flow version), an event to apply, a contact's segments to check. An item
that fails again is quarantined again, one attempt more on its row. `automap failures` and
`/api/failures` are the two ways in.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.document import node_label
from workflow_runtime.dispatch.job_queue import JobQueue
from workflow_runtime.engine import failures
from workflow_runtime.engine.failures import Reopened
from workflow_runtime.storage.models import Failure, FailureKind, FailureState, FlowVersion


def listed(session: Session, state: FailureState | None = FailureState.QUARANTINED, kind: FailureKind | None = None,
           limit: int = 50, offset: int = 0) -> tuple[list[Failure], int]:
    """The failures in this state (every state: None) and of this kind, the latest first, and how many there are."""
    query = select(Failure)
    if state is not None:
        query = query.where(Failure.state == state)
    if kind is not None:
        query = query.where(Failure.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Failure.failed_at.desc(), Failure.id.desc()).limit(limit).offset(offset))
    return list(page), total


def node_labels(session: Session, failed: Collection[Failure]) -> dict[int, str]:
    """Where each failed run's step is, by the name its card shows (its label, else its type's): failure id → name."""
    version_ids = {failure.flow_version_id for failure in failed if failure.node_id and failure.flow_version_id}
    if not version_ids:
        return {}
    documents = dict(session.execute(select(FlowVersion.id, FlowVersion.document)
                                     .where(FlowVersion.id.in_(version_ids))).all())
    return {failure.id: node_label(documents[failure.flow_version_id], failure.node_id) for failure in failed
            if failure.node_id and failure.flow_version_id in documents}


def retry(session: Session, failure_ids: Sequence[int], now: datetime) -> dict[int, Reopened]:
    """Put these quarantined items back, in the caller's transaction: failure id → the item to `queue` once it
    committed (failures not quarantined are left out)."""
    return {failure.id: item for failure in _chosen(session, failure_ids)
            if (item := failures.reopen(session, failure, now))}


def queue(jobs: JobQueue | None, reopened: Collection[Reopened]) -> None:
    """Queue the jobs of the items a committed `retry` put back. Without a queue (an embedded instance's CLI),
    the running server's scheduler finds them within a minute: the runs are due by their wake-up time and
    the events unapplied."""
    if jobs is None:
        return
    jobs.advance([item.item_id for item in reopened if item.kind is FailureKind.RUN])
    jobs.apply_events([item.item_id for item in reopened if item.kind is FailureKind.EVENT])
    jobs.refresh_segments([item.item_id for item in reopened if item.kind is FailureKind.SEGMENT_CHECK])


def discard(session: Session, failure_ids: Sequence[int], now: datetime) -> list[int]:
    """Give up on these quarantined items, in the caller's transaction; the ids of the failures discarded."""
    return [failure.id for failure in _chosen(session, failure_ids) if failures.discard(failure, now)]


def _chosen(session: Session, failure_ids: Sequence[int]) -> list[Failure]:
    query = select(Failure).where(Failure.id.in_(list(failure_ids))).order_by(Failure.id).with_for_update()
    return list(session.scalars(query))
