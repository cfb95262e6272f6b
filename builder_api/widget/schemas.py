"""What the widget sends and receives."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from workflow_runtime.channels.onsite import MAX_REPLY_CHARACTERS, VISITOR_STATUSES


class VisitorSessionRequest(Schema):
    anonymousId = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                metadata={"description": "The browser's anonymous id (the widget's cookie)."})


class VisitorSession(Schema):
    token = fields.String(required=True, metadata={"description": "Send as `Authorization: Bearer …` (or `?token=`)."})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds the token stays valid."})
    stream_url = fields.String(required=True, allow_none=True, metadata={
        "description": "Where to open the event stream (`GET …?token=`) when another server serves it; null: "
                       "`/widget/stream` on this server. Server-sent events: `message` (a chat message or popup "
                       "to show) and `reply` (the visitor's own answer from elsewhere, e.g. by email)."})


class StatusReport(Schema):
    status = fields.String(required=True, validate=validate.OneOf(sorted(status.value for status in VISITOR_STATUSES)))


class StatusResult(Schema):
    id = fields.Integer(required=True)
    new = fields.List(fields.String(), required=True,
                      metadata={"description": "The statuses this report added (a repeated report adds none)."})


class ReplyRequest(Schema):
    body = fields.String(required=True, validate=[validate.Length(min=1, max=MAX_REPLY_CHARACTERS),
                                                  validate.Regexp(r"\s*\S", error="Write something before sending.")])


class StreamQuery(Schema):
    token = fields.String(metadata={"description": "The visitor token, for EventSource, which cannot send headers."})
    after_reply = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**63 - 1), metadata={
        "description": "Send the visitor's replies with a higher id as `reply` events (the widget passes the last "
                       "one it shows)."})


class ConversationItem(Schema):
    kind = fields.String(required=True, metadata={"description": "message (from the site) or reply (from the visitor)."})
    id = fields.Integer(required=True)
    body = fields.String()
    at = fields.String(required=True)
    channel = fields.String()
    sender_name = fields.String()
    message_id = fields.Integer(allow_none=True, metadata={
        "description": "The message a reply answers; null when the visitor wrote without answering one."})
    source = fields.String(metadata={"description": "Where a reply came from: widget or email."})
    statuses = fields.List(fields.String())


class Conversation(Schema):
    items = fields.List(fields.Nested(ConversationItem), required=True)
