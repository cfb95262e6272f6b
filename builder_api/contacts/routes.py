"""`/api/contacts`: the list (search, filter-language conditions, a segment, sorted by a column), its CSV
export, and the contact card."""
from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask_smorest import Blueprint
from werkzeug.utils import secure_filename

from builder_api.auth import acting, current_user, require_admin
from builder_api.contacts.journey_schemas import ActionRequest, JourneyAction, JourneyList
from builder_api.contacts.schemas import ContactCard, ContactExportQuery, ContactList, ContactListQuery
from builder_api.errors import ApiError, ErrorSchema
from builder_api.extensions import db
from builder_api.flows.service import queue_runs
from builder_api.paging import Page
from builder_api.runtime_access import now
from builder_api.widget.schemas import Conversation
from workflow_runtime.audience.contact_card import ContactNotFound, contact_card, contact_fields
from workflow_runtime.audience.contact_export import export_csv
from workflow_runtime.audience.contact_search import find_contacts
from workflow_runtime.audience.journey_actions import ActionRefused, RunNotFound, UnknownNode, act
from workflow_runtime.audience.journeys import action_record, contact_journeys
from workflow_runtime.audience.segment_store import condition_errors
from workflow_runtime.channels import onsite
from workflow_runtime.engine.attribution import first_touches
from workflow_runtime.engine.revenue import lifetime_revenue
from workflow_runtime.inbox.access import Viewer
from workflow_runtime.storage.models import Contact, OperatorAction, Segment

blueprint = Blueprint("contacts", __name__, description="Contacts: search, filter, and each one's card.")
blueprint.before_request(require_admin)

CSV_DESCRIPTION = ("A CSV file (UTF-8 with a byte order mark, so spreadsheets read accents right): a header row, then a "
                   "row per contact in the list's order. Text a spreadsheet would run as a formula (=, +, -, @ first) "
                   "starts with a quote.")


def check_condition(condition: Any, location: str) -> None:
    """Refuse a condition the filter schema rejects, with its field-level errors (400)."""
    errors = condition_errors(db.session, condition)
    if errors:
        raise ApiError(400, f"The filter is not valid: {errors[0]['message']}",
                       [{**error, "location": location} for error in errors])


def searched_condition(query: dict[str, Any]) -> dict[str, Any] | None:
    """The query's filter and segment as one condition (both must hold), checked (400 naming the field), or None."""
    condition = query.get("filter")
    if condition is not None:
        check_condition(condition, "query")
    segment_id = query.get("segment")
    if segment_id is None:
        return condition
    if db.session.get(Segment, segment_id) is None:
        raise ApiError(400, f"There is no segment with id {segment_id}: pick an existing one.",
                       [{"field": "segment", "pointer": "/segment", "location": "query",
                         "message": f"There is no segment with id {segment_id}."}])
    in_segment = {"segment": segment_id}
    return in_segment if condition is None else {"all": [condition, in_segment]}


@blueprint.get("")
@blueprint.arguments(ContactListQuery, location="query", error_status_code=400)
@blueprint.response(200, ContactList)
def list_contacts(query: dict[str, Any]) -> dict[str, Any]:
    """Contacts matching the search text, the filter and the segment, most recently seen first or by `sort`."""
    found = find_contacts(db.session, now(), text=query.get("q"), condition=searched_condition(query),
                          limit=query["limit"], offset=query["offset"], order=query.get("sort"))
    extra = _derived([contact.id for contact in found.contacts])
    return {"contacts": [{**contact_fields(contact), **extra[contact.id]} for contact in found.contacts],
            "total": found.total}


def _derived(contact_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each contact's first-touch tags and lifetime revenue, read from their events."""
    touches, lifetimes = first_touches(db.session, contact_ids), lifetime_revenue(db.session, contact_ids)
    return {contact_id: {"first_touch": touches.get(contact_id), "lifetime": lifetimes[contact_id].as_json()}
            for contact_id in contact_ids}


@blueprint.get("/export")
@blueprint.arguments(ContactExportQuery, location="query", error_status_code=400)
@blueprint.doc(responses={"200": {"description": CSV_DESCRIPTION, "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_contacts(query: dict[str, Any]) -> Response:
    """Download the contacts the list would show (search, filter, segment, sort) as CSV, streamed as it is read."""
    condition = searched_condition(query)
    rows = export_csv(db.session, now(), query["columns"], text=query.get("q"), condition=condition,
                      order=query.get("sort"))
    segment = db.session.get(Segment, query["segment"]) if query.get("segment") else None
    name = "-".join(part for part in ("contacts", segment and secure_filename(segment.name.lower()),
                                      f"{now():%Y-%m-%d}") if part)

    def streamed() -> Any:
        yield "\ufeff"
        yield from rows

    return Response(stream_with_context(streamed()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@blueprint.get("/<int:contact_id>")
@blueprint.arguments(Page, location="query", error_status_code=400)
@blueprint.response(200, ContactCard)
def get_contact(query: dict[str, Any], contact_id: int) -> dict[str, Any]:
    """The card: properties, one page of the event timeline (limit/offset), messages and their statuses, runs."""
    try:
        card = contact_card(db.session, contact_id, query["limit"], query["offset"])
    except ContactNotFound as missing:
        raise ApiError(404, str(missing)) from missing
    card["contact"].update(_derived([contact_id])[contact_id])
    if not Viewer.of(current_user()).may_see_contact(db.session, contact_id):
        # What the contact wrote belongs to a conversation assigned to someone else.
        card["messages"] = [{**message, "replies": []} for message in card["messages"]]
    return card


@blueprint.get("/<int:contact_id>/conversation")
@blueprint.response(200, Conversation)
def get_conversation(contact_id: int) -> dict[str, Any]:
    """The contact's chat as the widget shows it: the chat messages sent and the contact's replies (from the
    widget or by email), oldest first, the latest 100."""
    if db.session.get(Contact, contact_id) is None:
        raise ApiError(404, f"There is no contact with id {contact_id}.")
    if not Viewer.of(current_user()).may_see_contact(db.session, contact_id):
        raise ApiError(404, f"The conversation of contact {contact_id} is assigned to someone else.")
    return {"items": onsite.conversation(db.session, contact_id)}


@blueprint.get("/<int:contact_id>/journeys")
@blueprint.response(200, JourneyList)
@blueprint.alt_response(404, schema=ErrorSchema, description="There is no such contact.")
def get_journeys(contact_id: int) -> dict[str, Any]:
    """Each flow the contact was in (the latest 100 runs): the path with times, the rule that decided each
    condition, split variants, every message and its statuses, the goal credit, and what operators did."""
    try:
        return {"journeys": contact_journeys(db.session, contact_id)}
    except ContactNotFound as missing:
        raise ApiError(404, str(missing)) from missing


@blueprint.post("/<int:contact_id>/journeys/<int:run_id>/actions")
@blueprint.arguments(ActionRequest, error_status_code=400)
@blueprint.response(201, JourneyAction)
@blueprint.alt_response(404, schema=ErrorSchema, description="The contact has no such run.")
@blueprint.alt_response(409, schema=ErrorSchema, description="The run's state does not allow the action (the message says why).")
def act_on_run(payload: dict[str, Any], contact_id: int, run_id: int) -> dict[str, Any]:
    """Move the run to a node, skip its wait, exit it or restart it, with a reason; the audit log keeps who did
    what, when and why. A move or restart ends the run and starts a new one from there (`new_run_id`)."""
    try:
        acted = act(db.session, contact_id, run_id, OperatorAction(payload["action"]), payload["reason"].strip(),
                    acting(), now(), node_id=payload.get("node_id"))
    except RunNotFound as missing:
        raise ApiError(404, str(missing)) from missing
    except UnknownNode as unknown:
        raise ApiError(400, str(unknown), [{"field": "node_id", "pointer": "/node_id", "message": str(unknown),
                                            "location": "json"}]) from unknown
    except ActionRefused as refused:
        raise ApiError(409, str(refused)) from refused
    db.session.commit()
    queue_runs(acted.due)
    return action_record(acted.record)
