"""Marshmallow schemas of the segments endpoints."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from builder_api.contacts.schemas import ContactSummary


class SegmentBody(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    filter = fields.Raw(required=True, metadata={"description": "A condition of the filter language (filter.schema.json#/$defs/condition)."})


class SegmentChanges(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    filter = fields.Raw(metadata={"description": "A condition of the filter language (filter.schema.json#/$defs/condition)."})


class SegmentOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    filter = fields.Dict(required=True)
    count = fields.Integer(metadata={"description": "How many contacts match the condition now (not in the list)."})
    tracked = fields.Boolean(required=True, metadata={"description": "True when a live flow starts on entering the segment, so memberships are kept."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class SegmentList(Schema):
    segments = fields.List(fields.Nested(SegmentOut), required=True)


class SegmentPreview(Schema):
    contacts = fields.List(fields.Nested(ContactSummary), required=True)
    total = fields.Integer(required=True)
