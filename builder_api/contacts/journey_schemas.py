"""Marshmallow schemas of a contact's journeys and the operator actions on them."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from workflow_runtime.audience.journey_actions import MAX_REASON
from workflow_runtime.storage.models import OperatorAction


class JourneyRule(Schema):
    pointer = fields.String(required=True, metadata={
        "description": "JSON pointer into the node's config of the rule that decided: in an `all`, the first rule "
                       "that failed (the group itself when all held); in an `any`, the first that held (the group when "
                       "none did)."})
    rule = fields.Raw(allow_none=True, metadata={"description": "The rule as the version has it."})


class JourneyMessage(Schema):
    id = fields.Integer(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    statuses = fields.List(fields.String(), required=True, metadata={"description": "Every status it reached, in order."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    error = fields.String(allow_none=True)


class JourneyStep(Schema):
    node_id = fields.String(required=True)
    node_type = fields.String(allow_none=True)
    label = fields.String(required=True)
    entered_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the run entered the node; null for runs started before step times were kept."})
    left_at = fields.DateTime(allow_none=True, metadata={"description": "When it left (or ended there); null while there."})
    port = fields.String(allow_none=True, metadata={"description": "The way it left; null while there or if it ended there."})
    port_label = fields.String(allow_none=True, metadata={"description": "The port as the canvas names it (a variant's label)."})
    rule = fields.Nested(JourneyRule, allow_none=True, metadata={"description": "For a condition: the rule that decided."})
    messages = fields.List(fields.Nested(JourneyMessage), required=True, metadata={
        "description": "What this visit of the node sent, with its statuses."})


class JourneyGoal(Schema):
    event = fields.String(allow_none=True)
    deadline = fields.DateTime(allow_none=True)
    converted_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the goal was reached: every step before it was credited."})
    revenue = fields.Float(allow_none=True)


class JourneyAction(Schema):
    id = fields.Integer(required=True)
    action = fields.String(required=True, validate=validate.OneOf([action.value for action in OperatorAction]))
    at = fields.DateTime(required=True)
    actor = fields.String(required=True, metadata={"description": "The user's email, or the API token's name."})
    reason = fields.String(required=True)
    from_node_id = fields.String(required=True)
    to_node_id = fields.String(allow_none=True)
    new_run_id = fields.Integer(allow_none=True, metadata={"description": "The run a move or restart started."})


class MovedFrom(Schema):
    run_id = fields.Integer(required=True)
    node_id = fields.String(required=True)


class JourneyNode(Schema):
    id = fields.String(required=True)
    type = fields.String(allow_none=True)
    label = fields.String(required=True)


class Journey(Schema):
    run_id = fields.Integer(required=True)
    flow_id = fields.Integer(required=True)
    flow_name = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    node_id = fields.String(required=True, metadata={"description": "Where the run is, or ended."})
    entered_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)
    waiting_until = fields.DateTime(allow_none=True)
    waiting_for = fields.String(allow_none=True)
    goal = fields.Nested(JourneyGoal, required=True)
    moved_from = fields.Nested(MovedFrom, allow_none=True, metadata={"description": "The run this one went on from."})
    moved_to = fields.Integer(allow_none=True, metadata={"description": "The run that went on from this one."})
    trigger = fields.Dict(required=True, metadata={"description": "The properties of the event that started it."})
    steps = fields.List(fields.Nested(JourneyStep), required=True)
    actions = fields.List(fields.Nested(JourneyAction), required=True, metadata={"description": "What operators did to it."})
    nodes = fields.List(fields.Nested(JourneyNode), required=True, metadata={
        "description": "Every node of the run's version, in the document's order: where a move may go."})


class JourneyList(Schema):
    journeys = fields.List(fields.Nested(Journey), required=True, metadata={"description": "The latest 100 runs, newest first."})


class ActionRequest(Schema):
    action = fields.String(required=True, validate=validate.OneOf([action.value for action in OperatorAction]), metadata={
        "description": "move: end the run and go on from `node_id` of its version; skip_wait: wake it now, as if its "
                       "wait had timed out; exit: end it; restart: end it and start again at its first node."})
    node_id = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "Where to move (move only)."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON), metadata={
        "description": "Why, for the audit log."})

    @validates_schema
    def _node_for_moves(self, data: dict[str, object], **_: object) -> None:
        if data.get("action") == OperatorAction.MOVE.value and "node_id" not in data:
            raise ValidationError("A move needs the node to move to.", field_name="node_id")
        if data.get("action") != OperatorAction.MOVE.value and "node_id" in data:
            raise ValidationError("Only a move takes a node.", field_name="node_id")
        if not str(data.get("reason", "x")).strip():
            raise ValidationError("Say why, for the audit log.", field_name="reason")
