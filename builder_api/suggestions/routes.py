"""`/api/suggestions`: event names and property paths seen in recent data, for the canvas's inputs."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_smorest import Blueprint

from builder_api.auth import require_admin
from builder_api.extensions import db
from builder_api.suggestions.schemas import (
    EventSuggestions,
    EventSuggestionsQuery,
    PropertySuggestions,
    PropertySuggestionsQuery,
)
from workflow_runtime.audience.suggestions import event_names, property_paths

blueprint = Blueprint("suggestions", __name__,
                      description="Suggestions: event names and property paths seen in recent data.")
blueprint.before_request(require_admin)


@blueprint.get("/events")
@blueprint.arguments(EventSuggestionsQuery, location="query", error_status_code=400)
@blueprint.response(200, EventSuggestions)
def suggest_events(query: dict[str, Any]) -> dict[str, Any]:
    """Event names starting with `prefix`, most frequent first, from the latest events."""
    return {"events": [asdict(name) for name in event_names(db.session, query["prefix"], query["limit"])]}


@blueprint.get("/properties")
@blueprint.arguments(PropertySuggestionsQuery, location="query", error_status_code=400)
@blueprint.response(200, PropertySuggestions)
def suggest_properties(query: dict[str, Any]) -> dict[str, Any]:
    """Property paths starting with `prefix` (contacts', or events' — one event's with `event`), with a few values."""
    found = property_paths(db.session, query["scope"], event=query.get("event"), prefix=query["prefix"],
                           limit=query["limit"])
    return {"properties": [asdict(path) for path in found]}
