"""What the flows API does beyond one store call: summaries, audiences, status changes and queueing.

Views stay thin by calling these; the rules themselves live in workflow_runtime
(flow_store, lifecycle, flow_summary, segments) and in flows (diff, validation).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder_api.errors import ApiError
from builder_api.ids import MAX_ID
from builder_api.runtime_access import job_queue, now
from flows.errors import FlowError, FlowInvalid
from flows.validation import flow_warnings
from workflow_runtime.authoring import flow_store, migration
from workflow_runtime.engine import broadcasts, lifecycle
from workflow_runtime.reports.flow_summary import FlowTotals, flow_totals
from workflow_runtime.storage.models import Broadcast, Contact, Flow, FlowMigration, FlowStatus, FlowVersion, Segment


def queue_runs(run_ids: Sequence[int]) -> None:
    """Hand runs that are due now to the workers; without a queue the scheduler's reconciler finds them."""
    queue = job_queue()
    if queue is not None and run_ids:
        queue.advance(run_ids)


def queue_broadcasts(session: Session, flow: Flow) -> None:
    """Hand the flow's unfinished broadcasts to the workers again (it was resumed); else the reconciler finds them."""
    queue = job_queue()
    if queue is not None:
        queue.enrol_broadcasts(broadcasts.idle_broadcasts(session, flow_id=flow.id))


def find_flow(session: Session, flow_id: int) -> Flow:
    """The flow, or a 404 naming the id."""
    flow = session.get(Flow, flow_id)
    if flow is None:
        raise ApiError(404, f"There is no flow with id {flow_id}.")
    return flow


def find_version(session: Session, flow: Flow, number: int) -> FlowVersion:
    """Published version `number` of the flow, or a 404 naming it."""
    if number <= MAX_ID:
        try:
            return flow_store.get_version(session, flow, number)
        except flow_store.FlowNotFound:
            pass
    raise ApiError(404, f"Flow {flow.id} has no version {number}.")


def find_version_document(session: Session, flow: Flow, revision: str | int) -> dict[str, Any]:
    """The draft (`"draft"`) or a published version's document, or a 404 naming the version."""
    return flow.draft if revision == "draft" else find_version(session, flow, int(revision)).document


def flow_errors(errors: Sequence[FlowError], field: str | None = None) -> list[dict[str, Any]]:
    """FlowErrors in the API's error shape, `field` naming the payload field that held the document."""
    return [{"field": field, **error.to_dict()} for error in errors]


def draft_problems(session: Session, flow: Flow) -> list[FlowError]:
    """What stops the draft from being published (errors), then what does not but is probably not meant (warnings)."""
    return [*flow_store.draft_errors(session, flow), *flow_warnings(flow.draft)]


def refuse(invalid: FlowInvalid, message: str, field: str | None = None) -> ApiError:
    """A 422 carrying every error of a refused document."""
    return ApiError(422, f"{message} {invalid}", flow_errors(invalid.errors, field))


def publish(session: Session, flow: Flow, plan: Mapping[str, Any] | None) -> tuple[FlowVersion, FlowMigration | None]:
    """Publish the draft with the migration plan (422 naming every problem of the draft, or the version and node a
    plan misses or names wrongly); nothing is stored when refused."""
    try:
        return migration.publish(session, flow, migration_plan(plan), now(), datetime.now(UTC))
    except FlowInvalid as invalid:
        raise refuse(invalid, "The draft was not published.") from None
    except migration.PlanRefused as refused:
        raise _refuse_plan(refused, "The draft was not published:") from None


def queue_migration(started: FlowMigration | None) -> None:
    """Hand a migration to the workers; without a queue the scheduler's reconciler finds it."""
    queue = job_queue()
    if queue is not None and started is not None:
        queue.migrate([started.id])


def migration_preview(session: Session, flow: Flow, plan: Mapping[str, Any] | None) -> dict[str, Any]:
    """Where the plan would send the contacts of older versions if the draft were published now (422 as publishing
    would refuse the draft, or a choice naming a version or node that does not exist); nothing is written."""
    errors = flow_store.draft_errors(session, flow)
    if errors:
        raise refuse(FlowInvalid(errors), "The draft cannot be published, so nothing can move to it.")
    parsed = migration_plan(plan)
    try:
        previewed = migration.preview(session, flow, flow.draft, migration.next_number(session, flow), parsed)
    except migration.PlanRefused as refused:
        raise _refuse_plan(refused, "The plan cannot be applied:") from None
    return {"mode": parsed.mode, "to_version": previewed.to_version, "nodes": previewed.nodes,
            "moving": previewed.moving, "exiting": previewed.exiting, "staying": previewed.staying,
            "missing": [{"version": row.version, "node_id": row.node_id} for row in previewed.missing],
            "complete": not previewed.missing}


def migration_plan(plan: Mapping[str, Any] | None) -> migration.MigrationPlan:
    """The plan of a request's `migration` (schemas.MigrationPlanSchema, loaded); none: keep."""
    if plan is None:
        return migration.MigrationPlan()
    choices = tuple(migration.Choice(choice["version"], choice["node_id"], choice.get("to"))
                    for choice in plan["map"])
    return migration.MigrationPlan(plan["mode"], choices)


def _refuse_plan(refused: migration.PlanRefused, message: str) -> ApiError:
    """A 422 naming, for each problem, the version and node and where in the map it is."""
    errors = [{"field": "migration.map", "node_id": problem.node_id, "message": problem.message,
               "pointer": "/migration/map" + (f"/{problem.index}" if problem.index is not None else "")}
              for problem in refused.problems]
    return ApiError(422, f"{message} {refused}", errors)


def find_migration(session: Session, flow: Flow, migration_id: int) -> FlowMigration:
    """The flow's migration, or a 404 naming it."""
    found = session.get(FlowMigration, migration_id) if migration_id <= MAX_ID else None
    if found is None or found.flow_id != flow.id:
        raise ApiError(404, f"Flow {flow.id} has no migration {migration_id}.")
    return found


def summaries(session: Session, q: str | None, status: str | None) -> list[dict[str, Any]]:
    """The list of flows, newest edit first, each with its lifetime totals."""
    query = select(Flow).order_by(Flow.updated_at.desc(), Flow.id.desc())
    if q:
        query = query.where(Flow.name.icontains(q, autoescape=True))
    if status:
        query = query.where(Flow.status == FlowStatus(status))
    flows = list(session.scalars(query))
    totals = flow_totals(session, [flow.id for flow in flows])
    return [summary(flow, totals.get(flow.id, FlowTotals())) for flow in flows]


def _heading(flow: Flow) -> dict[str, Any]:
    """What the list and the detail both show of a flow."""
    return {
        "id": flow.id,
        "name": flow.name,
        "description": flow.description,
        "status": flow.status.value,
        "live_version": flow.live_version.number if flow.live_version else None,
    }


def summary(flow: Flow, totals: FlowTotals) -> dict[str, Any]:
    """One row of the list of flows."""
    return {
        **_heading(flow),
        "node_count": len(flow.draft.get("nodes", [])),
        "entered": totals.entered,
        "waiting": totals.waiting,
        "converted": totals.converted,
        "revenue": float(totals.revenue),
        "updated_at": flow.updated_at,
    }


def detail(session: Session, flow: Flow) -> dict[str, Any]:
    """The flow with its draft, what stops the draft from being published and its warnings, and its versions."""
    return {
        **_heading(flow),
        "document": flow.draft,
        "validation": [problem.to_dict() for problem in draft_problems(session, flow)],
        "versions": flow.versions,
        "created_at": flow.created_at,
        "updated_at": flow.updated_at,
    }


def change_status(session: Session, flow: Flow, action: str) -> list[int]:
    """Pause, resume or archive the flow (409 if its status does not allow it); returns runs to queue."""
    try:
        if action == "pause":
            lifecycle.pause_flow(flow)
            return []
        if action == "resume":
            return lifecycle.resume_flow(session, flow, now())
        lifecycle.archive_flow(session, flow, now())
        return []
    except lifecycle.LifecycleError as error:
        raise _conflict(error) from None


def broadcast(session: Session, flow: Flow, contact_ids: Sequence[int] | None, segment_id: int | None) -> Broadcast:
    """Record a broadcast of the segment, or of the given contacts (all must exist), into the flow, for jobs to
    enrol (422 naming the field for an unknown segment or contact, 409 if the flow cannot take contacts)."""
    segment = None
    if segment_id is not None:
        segment = session.get(Segment, segment_id)
        if segment is None:
            raise ApiError(422, f"There is no segment with id {segment_id}.",
                           [{"field": "segment_id", "pointer": "/segment_id", "message": "No such segment."}])
    wanted = sorted(set(contact_ids or ()))
    found = set(session.scalars(select(Contact.id).where(Contact.id.in_(wanted)))) if wanted else set()
    missing = [contact_id for contact_id in wanted if contact_id not in found]
    if missing:
        shown = ", ".join(map(str, missing[:10]))
        raise ApiError(422, f"There is no contact with id {shown}.",
                       [{"field": "contact_ids", "pointer": "/contact_ids", "message": f"Unknown contact ids: {shown}."}])
    try:
        return broadcasts.start_broadcast(session, flow, now(), datetime.now(UTC), segment=segment, contact_ids=wanted)
    except lifecycle.LifecycleError as error:
        raise _conflict(error) from None
    except ValueError as error:
        raise ApiError(422, f"Segment {segment_id}'s filter cannot be evaluated: {error}",
                       [{"field": "segment_id", "pointer": "/segment_id", "message": str(error)}]) from None


def delete(session: Session, flow: Flow) -> None:
    """Delete a draft or archived flow (409 if it is live or paused)."""
    try:
        lifecycle.delete_flow(session, flow)
    except lifecycle.LifecycleError as error:
        raise _conflict(error) from None


def _conflict(error: lifecycle.LifecycleError) -> ApiError:
    """A 409 saying, in a sentence, why the flow's status does not allow the change."""
    message = str(error)
    return ApiError(409, f"{message[:1].upper()}{message[1:]}.")
