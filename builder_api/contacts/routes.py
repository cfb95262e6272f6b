"""`/api/contacts`: the list (search and filter-language conditions) and the contact card."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.contacts.schemas import ContactCard, ContactList, ContactListQuery
from builder_api.errors import ApiError
from builder_api.extensions import db
from builder_api.paging import Page
from builder_api.runtime_access import now
from builder_api.widget.schemas import Conversation
from workflow_runtime.audience.contact_card import ContactNotFound, contact_card, contact_fields
from workflow_runtime.audience.contact_search import find_contacts
from workflow_runtime.audience.segment_store import condition_errors
from workflow_runtime.channels import onsite
from workflow_runtime.storage.models import Contact

blueprint = Blueprint("contacts", __name__, description="Contacts: search, filter, and each one's card.")
blueprint.before_request(require_admin)


def check_condition(condition: Any, location: str) -> None:
    """Refuse a condition the filter schema rejects, with its field-level errors (400)."""
    errors = condition_errors(db.session, condition)
    if errors:
        raise ApiError(400, f"The filter is not valid: {errors[0]['message']}",
                       [{**error, "location": location} for error in errors])


@blueprint.get("")
@blueprint.arguments(ContactListQuery, location="query", error_status_code=400)
@blueprint.response(200, ContactList)
def list_contacts(query: dict[str, Any]) -> dict[str, Any]:
    """Contacts, most recently seen first, matching the search text and the filter."""
    condition = query.get("filter")
    if condition is not None:
        check_condition(condition, "query")
    found = find_contacts(db.session, now(), text=query.get("q"), condition=condition,
                          limit=query["limit"], offset=query["offset"])
    return {"contacts": [contact_fields(contact) for contact in found.contacts], "total": found.total}


@blueprint.get("/<int:contact_id>")
@blueprint.arguments(Page, location="query", error_status_code=400)
@blueprint.response(200, ContactCard)
def get_contact(query: dict[str, Any], contact_id: int) -> dict[str, Any]:
    """The card: properties, one page of the event timeline (limit/offset), messages and their statuses, runs."""
    try:
        return contact_card(db.session, contact_id, query["limit"], query["offset"])
    except ContactNotFound as missing:
        raise ApiError(404, str(missing)) from missing


@blueprint.get("/<int:contact_id>/conversation")
@blueprint.response(200, Conversation)
def get_conversation(contact_id: int) -> dict[str, Any]:
    """The contact's chat as the widget shows it: the chat messages sent and the contact's replies (from the
    widget or by email), oldest first, the latest 100."""
    if db.session.get(Contact, contact_id) is None:
        raise ApiError(404, f"There is no contact with id {contact_id}.")
    return {"items": onsite.conversation(db.session, contact_id)}
