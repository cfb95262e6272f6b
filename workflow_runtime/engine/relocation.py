"""Moving a contact's journey elsewhere: the run ends where it is and a new run goes on from another node.

A new run, not the old one rewritten: the old run's path, messages and counters stay as they happened
(its node counts it `exited` by cause `moved`, so every node still balances), and the new run's sends get
idempotency keys of their own. The new run names the one it came from in `context["moved_from"]`.
"""
from __future__ import annotations

from datetime import datetime

from workflow_runtime.engine.counters import CounterBatch, ExitCause
from workflow_runtime.engine.interpreter import exit_run
from workflow_runtime.storage.models import Run, RunStatus
from workflow_runtime.storage.models.run import entered_step
from workflow_runtime.storage.run_rows import AnyRun


def move_run(run: AnyRun, to_node_id: str, now: datetime, counters: CounterBatch, *, detail: str,
             version_id: int | None = None, keep_goal: bool = True) -> Run:
    """End `run` (if it has not ended) as moved, `detail` saying where, and return a new run due now at
    `to_node_id` of `version_id` (by default the run's own version), counted `entered` there; the caller adds
    it to the session and queues it. With `keep_goal` the new run keeps the old one's goal window and
    conversion (a move: one journey converts once); without, its goal window starts again now (a restart), as
    when it entered the flow."""
    if run.status in (RunStatus.ACTIVE, RunStatus.WAITING):
        exit_run(run, ExitCause.MOVED, now, counters, detail)
    version_id = run.flow_version_id if version_id is None else version_id
    goal_deadline, converted_at, revenue = run.goal_deadline, run.converted_at, run.revenue
    if not keep_goal:
        goal_deadline = None if run.goal_deadline is None else now + (run.goal_deadline - run.entered_at)
        converted_at = revenue = None
    moved = Run(
        flow_id=run.flow_id, flow_version_id=version_id, contact_id=run.contact_id, status=RunStatus.ACTIVE,
        node_id=to_node_id, path=[entered_step(to_node_id, now)], node_state={},
        context={**run.context, "moved_from": {"run_id": run.id, "node_id": run.node_id}},
        entered_at=now, wake_at=now, goal_event=run.goal_event, goal_deadline=goal_deadline,
        converted_at=converted_at, revenue=revenue,
    )
    counters.add(version_id, to_node_id, "entered", now)
    return moved
