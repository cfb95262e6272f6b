"""Payloads and answers of the flows API."""
from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from builder_api.ids import MAX_ID
from flows.errors import Severity
from workflow_runtime.authoring.flow_store import NAME_LENGTH
from workflow_runtime.storage.models import FlowStatus

STATUSES = [status.value for status in FlowStatus]
DOCUMENT = {"description": "A flow document (flows/schema/flow.schema.json); older schema_versions are upgraded."}


class FlowListArgs(Schema):
    q = fields.String(validate=validate.Length(max=NAME_LENGTH), metadata={"description": "Part of the name."})
    status = fields.String(validate=validate.OneOf(STATUSES))


class FlowSummarySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    live_version = fields.Integer(required=True, allow_none=True)
    node_count = fields.Integer(required=True)
    entered = fields.Integer(required=True, metadata={"description": "Contacts who entered, all versions."})
    waiting = fields.Integer(required=True, metadata={
        "description": "Of them, how many wait in it now, all versions: the runs archiving would end."})
    converted = fields.Integer(required=True, metadata={"description": "Of them, how many reached the goal."})
    revenue = fields.Float(required=True, metadata={"description": "Revenue the goal brought."})
    updated_at = fields.DateTime(required=True)


class FlowListSchema(Schema):
    flows = fields.List(fields.Nested(FlowSummarySchema), required=True)


class FlowCreateArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_LENGTH))
    description = fields.String(validate=validate.Length(max=5000))
    document = fields.Dict(metadata=DOCUMENT)


class FlowUpdateArgs(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_LENGTH))
    description = fields.String(validate=validate.Length(max=5000))
    document = fields.Dict(required=True, metadata=DOCUMENT)


class FlowRenameArgs(Schema):
    name = fields.String(validate=[validate.Length(max=NAME_LENGTH),
                                   validate.Regexp(r"\s*\S", error="Give the flow a name.")])
    description = fields.String(validate=validate.Length(max=5000))


class FlowDocumentArgs(Schema):
    """A whole flow document as the request body; flows.validation checks it, not marshmallow."""

    class Meta:
        unknown = INCLUDE

    schema_version = fields.Raw()
    name = fields.Raw()
    description = fields.Raw()
    settings = fields.Raw()
    nodes = fields.Raw()
    edges = fields.Raw()


class FlowErrorSchema(Schema):
    code = fields.String(required=True)
    node_id = fields.String(required=True, allow_none=True)
    pointer = fields.String(required=True, metadata={"description": "JSON pointer into the document."})
    message = fields.String(required=True)
    severity = fields.String(validate=validate.OneOf([severity.value for severity in Severity]), metadata={
        "description": "`warning` for what does not stop publishing but is probably not meant (a message printing "
                       "a contact value with no fallback); left out for an error, which does stop it."})


class VersionSummarySchema(Schema):
    number = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)


class VersionListSchema(Schema):
    versions = fields.List(fields.Nested(VersionSummarySchema), required=True)


class VersionSchema(VersionSummarySchema):
    document = fields.Dict(required=True)


class FlowSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    live_version = fields.Integer(required=True, allow_none=True)
    document = fields.Dict(required=True, metadata={"description": "The draft."})
    validation = fields.List(fields.Nested(FlowErrorSchema), required=True, metadata={
        "description": "What stops the draft from being published, then the warnings (`severity`), which do not; "
                       "[] if nothing."})
    versions = fields.List(fields.Nested(VersionSummarySchema), required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ValidationResultSchema(Schema):
    valid = fields.Boolean(required=True,
                           metadata={"description": "No errors: the draft can be published, warnings or not."})
    errors = fields.List(fields.Nested(FlowErrorSchema), required=True, metadata={
        "description": "The errors, then the warnings (`severity`), each by node id and JSON pointer."})


class PublishResultSchema(Schema):
    version = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)


_REVISION = validate.Regexp(r"^(draft|[1-9][0-9]{0,8})$", error="Give a version number or 'draft'.")


class DiffArgs(Schema):
    from_ = fields.String(required=True, data_key="from", validate=_REVISION)
    to = fields.String(required=True, validate=_REVISION)


class NodeRefSchema(Schema):
    id = fields.Raw(required=True)
    type = fields.Raw(required=True)
    pointer = fields.String(required=True)


class ChangeSchema(Schema):
    op = fields.String(required=True, validate=validate.OneOf(["added", "removed", "changed"]))
    pointer = fields.String(required=True)
    from_ = fields.Raw(data_key="from", attribute="from")
    to = fields.Raw()


class NodeChangeSchema(NodeRefSchema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class NodeDiffSchema(Schema):
    added = fields.List(fields.Nested(NodeRefSchema), required=True)
    removed = fields.List(fields.Nested(NodeRefSchema), required=True)
    changed = fields.List(fields.Nested(NodeChangeSchema), required=True)


class EdgeSchema(Schema):
    from_ = fields.Raw(required=True, data_key="from", attribute="from")
    port = fields.Raw(required=True)
    to = fields.Raw(required=True)


class EdgeDiffSchema(Schema):
    added = fields.List(fields.Nested(EdgeSchema), required=True)
    removed = fields.List(fields.Nested(EdgeSchema), required=True)


class DiffSchema(Schema):
    from_ = fields.String(required=True, data_key="from", attribute="from")
    to = fields.String(required=True)
    nodes = fields.Nested(NodeDiffSchema, required=True)
    edges = fields.Nested(EdgeDiffSchema, required=True)
    settings = fields.List(fields.Nested(ChangeSchema), required=True)
    document = fields.List(fields.Nested(ChangeSchema), required=True, metadata={"description": "Name, description."})


class ExportArgs(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=10**9),
                             metadata={"description": "A published version; the draft when left out."})


class EnrolArgs(Schema):
    contact_ids = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
                              validate=validate.Length(min=1, max=10_000))
    segment_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID))

    @validates_schema
    def _one_audience(self, data: dict[str, Any], **_: Any) -> None:
        if ("contact_ids" in data) == ("segment_id" in data):
            raise ValidationError("Give either contact_ids or segment_id.", "_schema")


