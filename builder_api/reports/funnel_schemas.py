"""What the funnel endpoints read and answer."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from builder_api.ids import MAX_ID
from builder_api.ingest.schemas import Timestamp
from builder_api.paging import Page
from workflow_runtime.engine.attribution import UTM_TAGS
from workflow_runtime.reports.funnels import MAX_STEPS, MIN_STEPS, Order

BREAKDOWNS = [*UTM_TAGS, "property", "segment"]


class FunnelStep(Schema):
    event = fields.String(required=True, validate=validate.Length(min=1, max=200))
    where = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=10), metadata={
        "description": "Rules on the event's properties, as in an event rule's `where` ({property, op, value})."})
    label = fields.String(validate=validate.Length(min=1, max=100))


class FunnelBreakdown(Schema):
    by = fields.String(required=True, validate=validate.OneOf(BREAKDOWNS), metadata={
        "description": "utm_*: of the contact's step-1 event; property: a contact property; segment: in it or not."})
    property = fields.String(validate=validate.Length(min=1, max=200))
    segment_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class FunnelDefinition(Schema):
    steps = fields.List(fields.Nested(FunnelStep), required=True, validate=validate.Length(min=MIN_STEPS, max=MAX_STEPS))
    window = fields.String(load_default="P7D", validate=validate.Length(min=2, max=40), metadata={
        "description": "ISO 8601 duration each contact has from step 1 to the last (days, hours, minutes, seconds)."})
    order = fields.String(load_default=Order.SEQUENCE.value, validate=validate.OneOf([order.value for order in Order]),
                          metadata={"description": "sequence: other events may come between; strict: none may."})
    since = Timestamp(data_key="from", allow_none=True, metadata={
        "description": "Step 1 from this time (default: 30 days before `to`)."})
    until = Timestamp(data_key="to", allow_none=True, metadata={"description": "…to this one (default: now)."})
    breakdown = fields.Nested(FunnelBreakdown, allow_none=True)


class FunnelStepResult(Schema):
    index = fields.Integer(required=True)
    event = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    rate_from_first = fields.Float(required=True)
    rate_from_previous = fields.Float(required=True)
    median_seconds_from_previous = fields.Float(required=True, allow_none=True)


class BreakdownStep(Schema):
    index = fields.Integer(required=True)
    count = fields.Integer(required=True)
    rate_from_first = fields.Float(required=True)


class BreakdownGroup(Schema):
    value = fields.String(required=True, allow_none=True)
    steps = fields.List(fields.Nested(BreakdownStep), required=True)


class FunnelResult(Schema):
    steps = fields.List(fields.Nested(FunnelStepResult), required=True)
    breakdown = fields.List(fields.Nested(BreakdownGroup), required=True, allow_none=True)
    since = fields.String(required=True, data_key="from")
    until = fields.String(required=True, data_key="to")
    computed_at = fields.String(required=True)


class StepChoice(Schema):
    definition = fields.Nested(FunnelDefinition, required=True)
    step = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_STEPS))
    outcome = fields.String(load_default="reached", validate=validate.OneOf(["reached", "dropped"]), metadata={
        "description": "reached: got to the step; dropped: got to it and not to the next."})


class StepContactsQuery(StepChoice, Page):
    pass


class FunnelContact(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    user_id = fields.String(required=True, allow_none=True)
    reached_at = fields.String(required=True)


class FunnelContacts(Schema):
    items = fields.List(fields.Nested(FunnelContact), required=True)
    total = fields.Integer(required=True)


class StepSegment(StepChoice):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SavedFunnelIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    definition = fields.Nested(FunnelDefinition, required=True)


class SavedFunnelOut(SavedFunnelIn):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class SavedFunnelList(Schema):
    items = fields.List(fields.Nested(SavedFunnelOut), required=True)
