"""Marshmallow schemas of the suggestions endpoints."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from workflow_runtime.audience.suggestions import DOCUMENT_SAMPLE, EVENT_WINDOW


class EventSuggestionsQuery(Schema):
    prefix = fields.String(load_default="", validate=validate.Length(max=200),
                           metadata={"description": "What the name starts with (any case)."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class PropertySuggestionsQuery(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(["contact", "event"]), metadata={
        "description": "contact: contact properties; event: event properties (of `event` when given)."})
    event = fields.String(validate=validate.Length(min=1, max=200),
                          metadata={"description": "With scope=event: only this event's properties."})
    prefix = fields.String(load_default="", validate=validate.Length(max=200),
                           metadata={"description": "What the path starts with (any case)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @validates_schema
    def event_needs_event_scope(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """An event name narrows event properties only: refused beside scope=contact rather than ignored."""
        if data.get("event") is not None and data.get("scope") == "contact":
            raise ValidationError("is for scope=event only: contact properties belong to no event.", "event")


class EventSuggestion(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "How many of the sampled events had this name."})


class EventSuggestions(Schema):
    events = fields.List(fields.Nested(EventSuggestion), required=True, metadata={
        "description": f"Most frequent first, counted over the latest {EVENT_WINDOW:,} events."})


class PropertySuggestion(Schema):
    path = fields.String(required=True, metadata={"description": "Dotted for one level of nesting: address.city."})
    count = fields.Integer(required=True, metadata={"description": "How many sampled documents had it."})
    examples = fields.List(fields.Raw(), required=True, metadata={"description": "A few values seen (texts, numbers, "
                                                                               "true/false), at most three."})


class PropertySuggestions(Schema):
    properties = fields.List(fields.Nested(PropertySuggestion), required=True, metadata={
        "description": f"Most common first, from at most {DOCUMENT_SAMPLE:,} recent property documents: the most "
                       f"recently seen contacts', or the latest events' (within the latest {EVENT_WINDOW:,})."})
