"""What the dead-letter endpoints read and answer."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from builder_api.paging import Page
from workflow_runtime.storage.models import FailureKind, FailureState

MAX_IDS = 500


class FailureQuery(Page):
    state = fields.String(load_default=FailureState.QUARANTINED.value,
                          validate=validate.OneOf([*(state.value for state in FailureState), "all"]),
                          metadata={"description": "quarantined (the default), retried, discarded, or all."})
    kind = fields.String(validate=validate.OneOf([kind.value for kind in FailureKind]),
                         metadata={"description": "run, event or segment_check."})


class FailureSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.Enum(FailureKind, by_value=True, required=True,
                       metadata={"description": "run, event or segment_check."})
    item_id = fields.Integer(required=True, metadata={"description": "The run, event or contact."})
    contact_id = fields.Integer(allow_none=True)
    flow_version_id = fields.Integer(allow_none=True)
    node_id = fields.String(allow_none=True, metadata={"description": "Where a run's step failed."})
    node_label = fields.String(allow_none=True,
                               metadata={"description": "That step by the name its card shows (its label, else its type's)."})
    error = fields.String(required=True, metadata={"description": "The exception's type and message."})
    attempts = fields.Integer(required=True, metadata={"description": "How often it failed alone (each retry adds one)."})
    state = fields.Enum(FailureState, by_value=True, required=True)
    first_failed_at = fields.DateTime(required=True)
    failed_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(allow_none=True)


class FailureDetailSchema(FailureSchema):
    traceback = fields.String(required=True)


class FailureListSchema(Schema):
    items = fields.List(fields.Nested(FailureSchema), required=True)
    total = fields.Integer(required=True)


class FailureIds(Schema):
    ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)), required=True,
                      validate=validate.Length(min=1, max=MAX_IDS))


class RetriedSchema(Schema):
    retried = fields.List(fields.Integer(), required=True,
                          metadata={"description": "The failures put back; the others were not quarantined."})


class DiscardedSchema(Schema):
    discarded = fields.List(fields.Integer(), required=True)
