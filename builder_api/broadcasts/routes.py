"""`/api/broadcasts`: enrolments of a segment or of chosen contacts into a flow, and how far each has got.

`POST /api/flows/<id>/enrol` starts one and answers 202 at once; jobs enrol the audience a
chunk at a time (workflow_runtime.engine.broadcasts), and these endpoints show the progress.
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import func, select

from builder_api.auth import require_admin
from builder_api.broadcasts.schemas import BroadcastListSchema, BroadcastQuery, BroadcastSchema
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from workflow_runtime.storage.models import Broadcast

blueprint = Blueprint("broadcasts", __name__, description="Broadcasts: audiences entered into flows by jobs.")
blueprint.before_request(require_admin)


@blueprint.get("")
@blueprint.arguments(BroadcastQuery, location="query", error_status_code=400)
@blueprint.response(200, BroadcastListSchema)
def list_broadcasts(query: dict[str, Any]) -> dict[str, Any]:
    """The broadcasts, the latest first (of one flow with `flow_id`)."""
    listed = select(Broadcast)
    if "flow_id" in query:
        listed = listed.where(Broadcast.flow_id == query["flow_id"])
    total = db.session.scalar(select(func.count()).select_from(listed.subquery())) or 0
    items = db.session.scalars(listed.order_by(Broadcast.id.desc()).limit(query["limit"]).offset(query["offset"]))
    return {"items": list(items), "total": total}


@blueprint.get("/<int:broadcast_id>")
@blueprint.response(200, BroadcastSchema)
@blueprint.alt_response(404, schema=ErrorSchema, description="No broadcast has this id.")
def get_broadcast(broadcast_id: int) -> Broadcast:
    """One broadcast and its progress."""
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise ApiError(404, f"There is no broadcast {broadcast_id}: GET /api/broadcasts lists them.")
    return broadcast
