"""`/api/flows`: the maps — list, create, edit the draft, rename, validate, publish (with a migration plan and its
preview), versions, diff, import/export."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from werkzeug.utils import secure_filename

from builder_api.auth import require_admin
from builder_api.broadcasts.schemas import BroadcastSchema, location
from builder_api.errors import ErrorSchema
from builder_api.extensions import db
from builder_api.flows import schemas, service
from builder_api.runtime_access import job_queue
from flows.diff import diff_documents
from flows.document import dumps
from flows.validation import FlowInvalid, Severity
from workflow_runtime.authoring import flow_store
from workflow_runtime.storage.models import Broadcast, FlowMigration

blueprint = Blueprint("flows", __name__, description="Automation maps: drafts, published versions, life cycle.")
blueprint.before_request(require_admin)

NOT_FOUND = "No flow (or version) with this id."


@blueprint.get("")
@blueprint.arguments(schemas.FlowListArgs, location="query")
@blueprint.response(200, schemas.FlowListSchema)
def list_flows(args: dict[str, Any]) -> dict[str, Any]:
    """Every flow, last edited first, with status, live version, lifetime totals and the runs waiting in it; filter
    by name or status."""
    return {"flows": service.summaries(db.session, args.get("q"), args.get("status"))}


@blueprint.post("")
@blueprint.arguments(schemas.FlowCreateArgs)
@blueprint.response(201, schemas.FlowSchema)
def create_flow(payload: dict[str, Any]) -> dict[str, Any]:
    """A new draft flow, empty or with a document (saved even if it is not valid yet)."""
    try:
        flow = flow_store.create_flow(db.session, payload["name"], payload.get("document"), payload.get("description"))
    except FlowInvalid as invalid:
        raise service.refuse(invalid, "The document cannot be stored.", "document") from None
    db.session.commit()
    return service.detail(db.session, flow)


@blueprint.post("/import")
@blueprint.arguments(schemas.FlowDocumentArgs)
@blueprint.response(201, schemas.FlowSchema)
def import_flow(document: dict[str, Any]) -> dict[str, Any]:
    """Store an exported (or older-format) flow document as a new draft; it must be valid. A name another flow has
    is numbered: "Abandoned cart (2)"."""
    try:
        flow = flow_store.import_flow(db.session, document)
    except FlowInvalid as invalid:
        raise service.refuse(invalid, "The flow was not imported.") from None
    db.session.commit()
    return service.detail(db.session, flow)


@blueprint.get("/<int:flow_id>")
@blueprint.response(200, schemas.FlowSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_flow(flow_id: int) -> dict[str, Any]:
    """The flow with its draft, the draft's validation errors and its published versions."""
    return service.detail(db.session, service.find_flow(db.session, flow_id))


@blueprint.put("/<int:flow_id>")
@blueprint.arguments(schemas.FlowUpdateArgs)
@blueprint.response(200, schemas.FlowSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def update_flow(payload: dict[str, Any], flow_id: int) -> dict[str, Any]:
    """Save the draft (and name, description); a draft that is not valid yet is saved with its errors."""
    flow = service.find_flow(db.session, flow_id)
    try:
        flow_store.set_draft(flow, payload["document"], name=payload.get("name"), description=payload.get("description"))
    except FlowInvalid as invalid:
        raise service.refuse(invalid, "The draft was not saved.", "document") from None
    db.session.commit()
    return service.detail(db.session, flow)


@blueprint.patch("/<int:flow_id>")
@blueprint.arguments(schemas.FlowRenameArgs)
@blueprint.response(200, schemas.FlowSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def rename_flow(payload: dict[str, Any], flow_id: int) -> dict[str, Any]:
    """Rename the flow or change its description (the draft's too), leaving its map and versions as they are."""
    flow = service.find_flow(db.session, flow_id)
    flow_store.rename_flow(flow, payload.get("name"), payload.get("description"))
    db.session.commit()
    return service.detail(db.session, flow)


@blueprint.delete("/<int:flow_id>")
@blueprint.response(204)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blueprint.alt_response(409, schema=ErrorSchema, description="The flow is live or paused: archive it first.")
def delete_flow(flow_id: int) -> None:
    """Delete a draft or archived flow with everything it counted."""
    service.delete(db.session, service.find_flow(db.session, flow_id))
    db.session.commit()


@blueprint.post("/<int:flow_id>/validate")
@blueprint.response(200, schemas.ValidationResultSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def validate_flow(flow_id: int) -> dict[str, Any]:
    """What would stop the draft from being published, then warnings, which do not; by node id and JSON pointer."""
    problems = service.draft_problems(db.session, service.find_flow(db.session, flow_id))
    return {"valid": not any(problem.severity is Severity.ERROR for problem in problems),
            "errors": [problem.to_dict() for problem in problems]}


@blueprint.post("/<int:flow_id>/publish")
@blueprint.arguments(schemas.PublishArgs, required=False)
@blueprint.response(201, schemas.PublishResultSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blueprint.alt_response(422, schema=ErrorSchema, description="The draft is not valid, or the migration plan misses a "
                        "choice or names a node that does not exist; `errors` names each node.")
def publish_flow(payload: dict[str, Any], flow_id: int) -> dict[str, Any]:
    """Freeze the draft as the next immutable version and make it live. Running contacts keep their version, or with
    a `move` plan the ones waiting move to the new version: jobs move them a chunk at a time (the answer's
    `migration` shows how far they got); `POST .../migration-preview` shows first who would go where."""
    flow = service.find_flow(db.session, flow_id)
    version, migration = service.publish(db.session, flow, payload.get("migration"))
    db.session.commit()
    service.queue_migration(migration)
    return {"version": version.number, "published_at": version.published_at, "migration": migration}


@blueprint.post("/<int:flow_id>/migration-preview")
@blueprint.arguments(schemas.PublishArgs, required=False)
@blueprint.response(200, schemas.MigrationPreviewSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blueprint.alt_response(422, schema=ErrorSchema, description="The draft is not valid, or the plan names a version or "
                        "node that does not exist; `errors` names each node.")
def preview_migration(payload: dict[str, Any], flow_id: int) -> dict[str, Any]:
    """What publishing the draft now with this plan would do to the contacts of older versions: "N contacts waiting
    at X (v1) → Y" per node, and the nodes the plan must still choose for. Nothing is written."""
    return service.migration_preview(db.session, service.find_flow(db.session, flow_id), payload.get("migration"))


@blueprint.get("/<int:flow_id>/migrations/<int:migration_id>")
@blueprint.response(200, schemas.MigrationSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No such flow, or it has no migration with this id.")
def get_migration(flow_id: int, migration_id: int) -> FlowMigration:
    """A migration published with a version, and how far its jobs got."""
    flow = service.find_flow(db.session, flow_id)
    return service.find_migration(db.session, flow, migration_id)


@blueprint.post("/<int:flow_id>/<any(pause, resume, archive):action>")
@blueprint.response(200, schemas.FlowSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blueprint.alt_response(409, schema=ErrorSchema, description="The flow's status does not allow this change.")
def change_status(flow_id: int, action: str) -> dict[str, Any]:
    """Pause a live flow (runs hold, nothing is sent, broadcasts wait), resume it, or archive it (its runs exit,
    its unfinished broadcasts fail)."""
    flow = service.find_flow(db.session, flow_id)
    due = service.change_status(db.session, flow, action)
    db.session.commit()
    service.queue_runs(due)
    if action == "resume":
        service.queue_broadcasts(db.session, flow)
    return service.detail(db.session, flow)


@blueprint.get("/<int:flow_id>/versions")
@blueprint.response(200, schemas.VersionListSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def list_versions(flow_id: int) -> dict[str, Any]:
    """The flow's published versions, oldest first."""
    return {"versions": service.find_flow(db.session, flow_id).versions}


@blueprint.get("/<int:flow_id>/versions/<int:number>")
@blueprint.response(200, schemas.VersionSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_version(flow_id: int, number: int) -> Any:
    """One published version with its document."""
    return service.find_version(db.session, service.find_flow(db.session, flow_id), number)


@blueprint.get("/<int:flow_id>/diff")
@blueprint.arguments(schemas.DiffArgs, location="query")
@blueprint.response(200, schemas.DiffSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def diff_versions(args: dict[str, Any], flow_id: int) -> dict[str, Any]:
    """What changed between two versions (or a version and the draft): nodes, edges, settings."""
    flow = service.find_flow(db.session, flow_id)
    old = service.find_version_document(db.session, flow, args["from_"])
    new = service.find_version_document(db.session, flow, args["to"])
    return {"from": args["from_"], "to": args["to"], **diff_documents(old, new)}


@blueprint.get("/<int:flow_id>/export")
@blueprint.arguments(schemas.ExportArgs, location="query")
@blueprint.response(200, schemas.FlowDocumentArgs, description="The flow document, as a file download.")
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def export_flow(args: dict[str, Any], flow_id: int) -> Response:
    """Download the draft's document, or a published version's with `?version=`."""
    flow = service.find_flow(db.session, flow_id)
    version = args.get("version")
    document = service.find_version_document(db.session, flow, version or "draft")
    name = secure_filename(flow.name.lower()) or "flow"
    filename = f"{name}-v{version}.json" if version else f"{name}.json"
    return Response(dumps(document), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.post("/<int:flow_id>/duplicate")
@blueprint.response(201, schemas.FlowSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def duplicate_flow(flow_id: int) -> dict[str, Any]:
    """A new draft flow holding a copy of this flow's draft, numbered after it: "Abandoned cart (2)"."""
    copy = flow_store.duplicate_flow(db.session, service.find_flow(db.session, flow_id))
    db.session.commit()
    return service.detail(db.session, copy)


@blueprint.post("/<int:flow_id>/enrol")
@blueprint.arguments(schemas.EnrolArgs)
@blueprint.response(202, BroadcastSchema, headers={"Location": {"description": "The broadcast's progress resource.",
                                                                 "schema": {"type": "string"}}})
@blueprint.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@blueprint.alt_response(409, schema=ErrorSchema, description="The flow is not live or has no manual trigger.")
def enrol(payload: dict[str, Any], flow_id: int) -> tuple[Broadcast, int, dict[str, str]]:
    """Enter contacts (by id, or a segment's members: a broadcast) at the flow's manual trigger: answers at once
    with the broadcast, which jobs enrol a chunk at a time; `GET /api/broadcasts/<id>` shows how far it has got."""
    flow = service.find_flow(db.session, flow_id)
    broadcast = service.broadcast(db.session, flow, payload.get("contact_ids"), payload.get("segment_id"))
    db.session.commit()
    queue = job_queue()
    if queue is not None:  # else a worker's reconciler finds it
        queue.enrol_broadcasts([broadcast.id])
    return broadcast, 202, location(broadcast)
