"""Marshmallow schemas of the segments endpoints."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from builder_api.contacts.schemas import ContactSummary
from builder_api.paging import MAX_PAGE, Page


class SegmentBody(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    filter = fields.Raw(required=True, metadata={"description": "A condition of the filter language (filter.schema.json#/$defs/condition)."})


class SegmentChanges(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    filter = fields.Raw(metadata={"description": "A condition of the filter language (filter.schema.json#/$defs/condition)."})


class SegmentUser(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class SegmentOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    filter = fields.Dict(required=True)
    count = fields.Integer(allow_none=True, metadata={
        "description": "How many contacts match the condition now (null in a list asked for without counts)."})
    tracked = fields.Boolean(required=True, metadata={"description": "True when a live flow starts on entering the segment, so memberships are kept."})
    used_by_flows = fields.List(fields.Nested(SegmentUser), required=True, metadata={
        "description": "Flows that start on the segment, or whose draft or live version refers to it in a rule."})
    used_by_segments = fields.List(fields.Nested(SegmentUser), required=True, metadata={
        "description": "Segments whose condition refers to this one."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class SegmentListQuery(Schema):
    counts = fields.Boolean(load_default=True, metadata={
        "description": "false leaves out the live counts (each walks the contacts): for pickers that need names."})


class SegmentList(Schema):
    segments = fields.List(fields.Nested(SegmentOut), required=True)


COUNT_DESCRIPTION = ("false: the page alone, without counting every match (`total` is then null unless the page "
                     "holds them all); ask the count apart (limit 0) to show the page first.")


class UnsavedPreview(Schema):
    filter = fields.Raw(required=True, metadata={"description": "A condition of the filter language, not saved."})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=0, max=MAX_PAGE))
    count = fields.Boolean(load_default=True, metadata={"description": COUNT_DESCRIPTION})


class PreviewPage(Page):
    count = fields.Boolean(load_default=True, metadata={"description": COUNT_DESCRIPTION})


class SegmentPreview(Schema):
    contacts = fields.List(fields.Nested(ContactSummary), required=True)
    total = fields.Integer(required=True, allow_none=True, metadata={
        "description": "How many match in all; null when not counted (count=false and a full page)."})
