"""`/api/segments`: saved conditions over contacts, their live count and a preview of who is in."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from builder_api.auth import require_admin
from builder_api.contacts.routes import check_condition
from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.runtime_access import job_queue, now
from builder_api.segments.schemas import (
    PreviewPage,
    SegmentBody,
    SegmentChanges,
    SegmentList,
    SegmentListQuery,
    SegmentOut,
    SegmentPreview,
    UnsavedPreview,
)
from workflow_runtime.audience.contact_card import contact_fields
from workflow_runtime.audience.contact_search import find_contacts
from workflow_runtime.audience.segment_store import (
    SegmentInUse,
    SegmentInvalid,
    SegmentNotFound,
    SegmentUsers,
    create_segment,
    delete_segment,
    get_segment,
    segment_users,
    update_segment,
)
from workflow_runtime.engine.segments import live_segment_triggers
from workflow_runtime.storage.models import Segment

blueprint = Blueprint("segments", __name__, description="Segments: saved filter-language conditions over contacts.")
blueprint.before_request(require_admin)


def _segment(segment_id: int) -> Segment:
    try:
        return get_segment(db.session, segment_id)
    except SegmentNotFound as missing:
        raise ApiError(404, str(missing)) from missing


def _invalid(error: SegmentInvalid) -> ApiError:
    return ApiError(422, f"The segment is not valid: {error.errors[0]['message']}",
                    [{**entry, "location": "json"} for entry in error.errors])


def described(segment: Segment, tracked: set[int] | None = None,
               users: dict[int, SegmentUsers] | None = None, count: bool = True) -> dict[str, Any]:
    """The segment as served, with its live count unless `count` is false; `tracked` (the segments live flows start
    on) and `users` (segment_users) are read when not given."""
    tracked = set(live_segment_triggers(db.session)) if tracked is None else tracked
    used = (segment_users(db.session) if users is None else users).get(segment.id, SegmentUsers([], []))
    return {
        "id": segment.id, "name": segment.name, "description": segment.description, "filter": segment.filter,
        "count": find_contacts(db.session, now(), condition=segment.filter, limit=0).total if count else None,
        "tracked": segment.id in tracked,
        "used_by_flows": [user._asdict() for user in used.flows],
        "used_by_segments": [user._asdict() for user in used.segments],
        "created_at": segment.created_at, "updated_at": segment.updated_at,
    }


@blueprint.get("")
@blueprint.arguments(SegmentListQuery, location="query", error_status_code=400)
@blueprint.response(200, SegmentList)
def list_segments(query: dict[str, Any]) -> dict[str, Any]:
    """Every segment, by name, with how many contacts match it now (unless `counts=false`) and who uses it."""
    segments = db.session.scalars(select(Segment).order_by(Segment.name))
    tracked = set(live_segment_triggers(db.session))
    users = segment_users(db.session)
    return {"segments": [described(segment, tracked, users, query["counts"]) for segment in segments]}


@blueprint.post("/preview")
@blueprint.arguments(UnsavedPreview, error_status_code=400)
@blueprint.response(200, SegmentPreview)
def preview_unsaved(body: dict[str, Any]) -> dict[str, Any]:
    """How many contacts an unsaved condition selects now and the first `limit` of them, most recently seen first:
    the segment page's live count while the condition is edited (an invalid one is a 400 naming its JSON pointers)."""
    check_condition(body["filter"], "json")
    found = find_contacts(db.session, now(), condition=body["filter"], limit=body["limit"], count=body["count"])
    return {"contacts": [contact_fields(contact) for contact in found.contacts], "total": found.total}


@blueprint.post("")
@blueprint.arguments(SegmentBody)
@blueprint.response(201, SegmentOut)
def create(body: dict[str, Any]) -> dict[str, Any]:
    """Create a segment; the condition is checked against the filter schema, field by field."""
    try:
        segment = create_segment(db.session, body["name"], body["filter"], body["description"])
    except SegmentInvalid as invalid:
        db.session.rollback()
        raise _invalid(invalid) from invalid
    db.session.commit()
    return described(segment)


@blueprint.get("/<int:segment_id>")
@blueprint.response(200, SegmentOut)
def get(segment_id: int) -> dict[str, Any]:
    """One segment with how many contacts match it now."""
    return described(_segment(segment_id))


@blueprint.put("/<int:segment_id>")
@blueprint.arguments(SegmentChanges)
@blueprint.response(200, SegmentOut)
def update(changes: dict[str, Any], segment_id: int) -> dict[str, Any]:
    """Change a segment; a new condition for a segment a live flow starts on re-checks every contact's membership."""
    segment = _segment(segment_id)
    try:
        refresh = update_segment(db.session, segment, changes)
    except SegmentInvalid as invalid:
        db.session.rollback()
        raise _invalid(invalid) from invalid
    db.session.commit()
    queue = job_queue() if refresh else None
    if queue is not None:
        queue.refresh_all_segments(db.session, now())  # after the commit: the jobs read the new condition
    return described(segment)


@blueprint.delete("/<int:segment_id>")
@blueprint.response(204)
def delete(segment_id: int) -> None:
    """Delete a segment; refused (409), naming them, while flows or other segments use it."""
    segment = _segment(segment_id)
    try:
        delete_segment(db.session, segment)
    except SegmentInUse as in_use:
        db.session.rollback()
        raise ApiError(409, str(in_use)) from in_use
    db.session.commit()


@blueprint.get("/<int:segment_id>/preview")
@blueprint.arguments(PreviewPage, location="query", error_status_code=400)
@blueprint.response(200, SegmentPreview)
def preview(query: dict[str, Any], segment_id: int) -> dict[str, Any]:
    """A page of the contacts the condition selects now, most recently seen first, and how many in all."""
    segment = _segment(segment_id)
    found = find_contacts(db.session, now(), condition=segment.filter, limit=query["limit"], offset=query["offset"],
                          count=query["count"])
    return {"contacts": [contact_fields(contact) for contact in found.contacts], "total": found.total}
