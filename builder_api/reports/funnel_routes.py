"""`/api/reports/funnels`: funnels over the stored events — computed for a definition, the contacts at a step or
dropped after it, those contacts as a segment, and saved funnels.

Definitions travel in the body (steps carry rules), so computing is a POST; nothing is written but by `segment`
and the saved funnels. Errors name the JSON pointer of the definition's problem.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import isodate
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from builder_api.auth import require_admin
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.reports.funnel_schemas import (
    FunnelContacts,
    FunnelDefinition,
    FunnelResult,
    SavedFunnelIn,
    SavedFunnelList,
    SavedFunnelOut,
    StepContactsQuery,
    StepSegment,
)
from builder_api.reports.time_range import report_range
from builder_api.runtime_access import now
from builder_api.segments.routes import described
from builder_api.segments.schemas import SegmentOut
from workflow_runtime.audience.segment_store import SegmentInvalid, snapshot_segment
from workflow_runtime.reports.funnels import Breakdown, Funnel, InvalidFunnel, Order, Step, check, compute, contacts
from workflow_runtime.storage.models import SavedFunnel

blueprint = Blueprint("funnels", __name__, description="Funnels: how many contacts go from one event to the next.")
blueprint.before_request(require_admin)

def _funnel(definition: dict[str, Any], pointer: str = "") -> Funnel:
    """The funnel a loaded definition describes; 400 naming its pointer if it cannot be computed."""
    since, until = report_range(definition.get("since"), definition.get("until"), now())
    try:
        window = isodate.parse_duration(definition["window"])
    except (ValueError, ArithmeticError, isodate.ISO8601Error):
        window = None
    if not isinstance(window, timedelta):
        raise _invalid(InvalidFunnel("/window", f"The window {definition['window']!r} is not a duration of days, hours, "
                                                "minutes or seconds such as P7D or PT2H."), pointer)
    breakdown = definition.get("breakdown")
    return Funnel(
        tuple(Step(step["event"], tuple(step["where"]), step.get("label")) for step in definition["steps"]),
        window, Order(definition["order"]), since, until,
        Breakdown(breakdown["by"], breakdown.get("property"), breakdown.get("segment_id")) if breakdown else None)


def _invalid(error: InvalidFunnel, prefix: str = "") -> ApiError:
    pointer = prefix + error.pointer
    return ApiError(400, f"The funnel cannot be computed: {error}",
                    [{"field": pointer.strip("/").replace("/", ".") or "definition", "pointer": pointer,
                      "location": "json", "message": str(error)}])


@contextmanager
def _checked(prefix: str = "") -> Iterator[None]:
    try:
        yield
    except InvalidFunnel as error:
        raise _invalid(error, prefix) from error


@blueprint.post("/compute")
@blueprint.arguments(FunnelDefinition)
@blueprint.response(200, FunnelResult)
@blueprint.alt_response(400, schema=ErrorSchema, description="The definition cannot be computed (its pointer named).")
def compute_funnel(definition: dict[str, Any]) -> dict[str, Any]:
    """How many contacts reached each step, the rates, the median time between steps, and the breakdown."""
    funnel = _funnel(definition)
    with _checked():
        result = compute(db.session, funnel, now())
    return {**result, "since": funnel.since.isoformat(), "until": funnel.until.isoformat(),
            "computed_at": now().isoformat()}


@blueprint.post("/contacts")
@blueprint.arguments(StepContactsQuery)
@blueprint.response(200, FunnelContacts)
@blueprint.alt_response(400, schema=ErrorSchema, description="The definition or step cannot be computed.")
def step_contacts(query: dict[str, Any]) -> dict[str, Any]:
    """The contacts who reached a step (`outcome` reached) or stopped there (`dropped`), latest first."""
    funnel = _funnel(query["definition"], "/definition")
    with _checked("/definition"):
        items, total = contacts(db.session, funnel, now(), query["step"], query["outcome"] == "dropped",
                                query["limit"], query["offset"])
    return {"items": items, "total": total}


@blueprint.post("/segment")
@blueprint.arguments(StepSegment)
@blueprint.response(201, SegmentOut)
@blueprint.alt_response(400, schema=ErrorSchema, description="The definition or step cannot be computed.")
@blueprint.alt_response(422, schema=ErrorSchema, description="The segment cannot be made (its name is taken).")
def step_segment(body: dict[str, Any]) -> dict[str, Any]:
    """The contacts of a step (or those who dropped there) as a new segment, to look at or broadcast to: each gets a
    tag naming the funnel step, and the segment is that tag."""
    funnel = _funnel(body["definition"], "/definition")
    with _checked("/definition"):
        items, _total = contacts(db.session, funnel, now(), body["step"], body["outcome"] == "dropped")
    slug = re.sub(r"[^a-z0-9]+", "-", body["name"].lower()).strip("-")[:60] or "funnel"
    tag = f"funnel:{slug}:{uuid.uuid4().hex[:12]}"  # one segment's own, whatever its name or the time
    try:
        segment = snapshot_segment(db.session, body["name"], [item["id"] for item in items], tag)
    except SegmentInvalid as error:
        db.session.rollback()
        raise ApiError(422, f"The segment is not valid: {error}", [{**entry, "location": "json"}
                                                                   for entry in error.errors]) from error
    db.session.commit()
    return described(segment)


@blueprint.get("")
@blueprint.response(200, SavedFunnelList)
def list_funnels() -> dict[str, Any]:
    """The saved funnels, by name."""
    return {"items": list(db.session.scalars(select(SavedFunnel).order_by(SavedFunnel.name)))}


def _saved(funnel_id: int) -> SavedFunnel:
    saved = db.session.get(SavedFunnel, funnel_id)
    if saved is None:
        raise ApiError(404, f"There is no saved funnel {funnel_id}.")
    return saved


def _store(saved: SavedFunnel, body: dict[str, Any], moment: datetime) -> SavedFunnel:
    with _checked("/definition"):  # what cannot be computed is not kept
        check(_funnel(body["definition"], "/definition"))
    saved.name = body["name"]
    saved.definition = FunnelDefinition().dump(body["definition"])
    saved.updated_at = moment
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise ApiError(409, f"A funnel is named {body['name']!r} already.", [
            {"field": "name", "pointer": "/name", "location": "json", "message": "Taken by another funnel."}]) from error
    db.session.commit()
    return saved


@blueprint.post("")
@blueprint.arguments(SavedFunnelIn)
@blueprint.response(201, SavedFunnelOut)
@blueprint.alt_response(409, schema=ErrorSchema, description="Another funnel has this name.")
def save_funnel(body: dict[str, Any]) -> SavedFunnel:
    """Keep a funnel under a name."""
    moment = now()
    saved = SavedFunnel(created_at=moment)
    db.session.add(saved)
    return _store(saved, body, moment)


@blueprint.get("/<int:funnel_id>")
@blueprint.response(200, SavedFunnelOut)
@blueprint.alt_response(404, schema=ErrorSchema, description="No saved funnel has this id.")
def get_funnel(funnel_id: int) -> SavedFunnel:
    """A saved funnel."""
    return _saved(funnel_id)


@blueprint.put("/<int:funnel_id>")
@blueprint.arguments(SavedFunnelIn)
@blueprint.response(200, SavedFunnelOut)
@blueprint.alt_response(404, schema=ErrorSchema, description="No saved funnel has this id.")
@blueprint.alt_response(409, schema=ErrorSchema, description="Another funnel has this name.")
def update_funnel(body: dict[str, Any], funnel_id: int) -> SavedFunnel:
    """Rename a saved funnel or change its definition."""
    return _store(_saved(funnel_id), body, now())


@blueprint.delete("/<int:funnel_id>")
@blueprint.response(204)
@blueprint.alt_response(404, schema=ErrorSchema, description="No saved funnel has this id.")
def delete_funnel(funnel_id: int) -> None:
    """Forget a saved funnel (segments made from it stay)."""
    db.session.delete(_saved(funnel_id))
    db.session.commit()
