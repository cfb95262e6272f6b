"""What the report endpoints read and answer."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates_schema

from builder_api.conversations.schemas import UserRef


class InboxReportQuery(Schema):
    since = fields.AwareDateTime(data_key="from", metadata={"description": "Start (included); default: 30 days ago."})
    until = fields.AwareDateTime(data_key="to", metadata={"description": "End (included); default: now."})

    @validates_schema
    def _in_order(self, data: dict, **_: object) -> None:
        if "since" in data and "until" in data and data["since"] >= data["until"]:
            raise ValidationError("`from` must come before `to`.", field_name="from")


class Spread(Schema):
    count = fields.Integer(required=True)
    median_seconds = fields.Float(required=True, allow_none=True)
    p90_seconds = fields.Float(required=True, allow_none=True)


class OperatorResponses(Schema):
    user = fields.Nested(UserRef, required=True, allow_none=True,
                         metadata={"description": "null: answers given through the API with a token."})
    replies = fields.Integer(required=True)
    first_responses = fields.Integer(required=True)
    median_reply_seconds = fields.Float(required=True, allow_none=True)
    median_first_response_seconds = fields.Float(required=True, allow_none=True)


class InboxReport(Schema):
    since = fields.String(required=True, data_key="from")
    until = fields.String(required=True, data_key="to")
    conversations = fields.Integer(required=True, metadata={"description": "Conversations answered in the window."})
    replies = fields.Integer(required=True, metadata={"description": "Answers to a waiting contact in the window."})
    first_response = fields.Nested(Spread, required=True, metadata={
        "description": "How long contacts waited for the first answer of a conversation's opening."})
    reply_time = fields.Nested(Spread, required=True, metadata={"description": "How long contacts waited for any answer."})
    operators = fields.List(fields.Nested(OperatorResponses), required=True)
