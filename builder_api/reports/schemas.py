"""What the report endpoints read and answer."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from builder_api.conversations.schemas import UserRef
from builder_api.ids import MAX_ID
from builder_api.ingest.schemas import Timestamp
from workflow_runtime.reports.messages_report import REPORTED_CHANNELS
from workflow_runtime.storage.models import FlowStatus


class InboxReportQuery(Schema):
    since = Timestamp(data_key="from", metadata={"description": "Start (included); default: 30 days ago."})
    until = Timestamp(data_key="to", metadata={"description": "End (included); default: now."})

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


class MessagesReportQuery(Schema):
    channel = fields.String(validate=validate.OneOf(REPORTED_CHANNELS), metadata={
        "description": "Only this channel's rows; default every channel."})
    flow_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "Only this flow's send nodes; default every flow."})
    first = fields.Date(data_key="from", metadata={"description": "First day (UTC, YYYY-MM-DD) counted; default the beginning."})
    last = fields.Date(data_key="to", metadata={"description": "Last day (UTC, YYYY-MM-DD) counted; default today."})

    @validates_schema
    def _ordered(self, data: dict, **_: object) -> None:
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            raise ValidationError(f"'to' ({data['last']}) is before 'from' ({data['first']}).", "to")


class ReportedFlow(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in FlowStatus]),
                           metadata={"description": "An archived flow's sends are listed too."})


class MessageRates(Schema):
    """Shares of `sent` (0..1; 0 when nothing was sent)."""

    delivered = fields.Float(required=True)
    read = fields.Float(required=True)
    clicked = fields.Float(required=True)
    replied = fields.Float(required=True)
    unsubscribed = fields.Float(required=True)
    failed = fields.Float(required=True)
    converted = fields.Float(required=True)


class MessageFigures(Schema):
    sent = fields.Integer(required=True, metadata={"description": "Recorded in the send ledger."})
    delivered = fields.Integer(required=True, metadata={
        "description": "Handed over: accepted by the SMTP server or shown in the visitor's browser."})
    read = fields.Integer(required=True, metadata={"description": "Opened (email) or seen (chat, popup)."})
    clicked = fields.Integer(required=True)
    replied = fields.Integer(required=True)
    unsubscribed = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    queued = fields.Integer(required=True, metadata={
        "description": "Recorded and not yet handed over nor failed: a gauge, at the end of the range."})
    converted = fields.Integer(required=True, metadata={
        "description": "Runs that passed the node and reached the flow's goal: the node's, the same on each of its "
                       "channel rows (counted once per node in the totals)."})
    revenue = fields.Float(required=True, metadata={"description": "The revenue of those conversions."})
    rates = fields.Nested(MessageRates, required=True)


class MessagesRow(MessageFigures):
    """One channel of one send node, every version of its flow added up."""

    flow = fields.Nested(ReportedFlow, required=True)
    node_id = fields.String(required=True)
    node_label = fields.String(required=True, metadata={
        "description": "The node's label, else its popup title, email subject or template, or chat text, else its id."})
    node_type = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(REPORTED_CHANNELS))


class MessagesReport(Schema):
    items = fields.List(fields.Nested(MessagesRow), required=True, metadata={
        "description": "By flow name, then the nodes' order in the flow; the drill-down "
                       "GET /api/flows/<flow>/nodes/<node>/contacts?metric=<channel>:<figure> lists the contacts."})
    totals = fields.Nested(MessageFigures, required=True, metadata={
        "description": "The rows' figures added up; `converted` and `revenue` count each converted run once: every "
                       "run of the listed flows, or, narrowed to a channel, those sent a message of that channel."})
