"""What the inbox endpoints answer and read."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from builder_api.ids import MAX_ID
from builder_api.ingest.schemas import Timestamp
from builder_api.paging import Page
from workflow_runtime.inbox.listing import StatusFilter, View
from workflow_runtime.inbox.team_actions import MAX_TEXT_CHARACTERS
from workflow_runtime.storage.models import ConversationStatus


class UserRef(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)


class ConversationContact(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    user_id = fields.String(required=True, allow_none=True)


class LastItem(Schema):
    kind = fields.String(required=True)
    body = fields.String(required=True, allow_none=True)
    at = fields.String(required=True)


class ConversationSummary(Schema):
    id = fields.Integer(required=True)
    contact = fields.Nested(ConversationContact, required=True)
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in ConversationStatus]),
                           metadata={"description": "open, snoozed or closed (a snooze that ran out shows open)."})
    snoozed_until = fields.String(required=True, allow_none=True)
    assignee = fields.Nested(UserRef, required=True, allow_none=True)
    unread = fields.Integer(required=True, metadata={
        "description": "Messages the contact wrote since an operator last read or answered the conversation."})
    last_item = fields.Nested(LastItem, required=True, allow_none=True)
    last_activity_at = fields.String(required=True)
    waiting_since = fields.String(required=True, allow_none=True, metadata={
        "description": "When the oldest message the team has not answered came; null while nothing waits."})
    created_at = fields.String(required=True)


class FlowRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    node_id = fields.String(required=True, allow_none=True)


class Forward(Schema):
    state = fields.String(required=True, validate=validate.OneOf(["scheduled", "sent", "withdrawn", "failed"]))
    at = fields.String(required=True, metadata={"description": "When it is due (scheduled) or was settled."})
    reason = fields.String(required=True, allow_none=True)


class Button(Schema):
    text = fields.String(required=True)
    url = fields.String(required=True)


class ThreadItem(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["message", "reply", "note"]), metadata={
        "description": "message: what the site showed the contact (a flow's or an operator's); reply: what the "
                       "contact wrote; note: only the team sees it."})
    id = fields.Integer(required=True)
    at = fields.String(required=True)
    body = fields.String(allow_none=True)
    channel = fields.String(metadata={"description": "A message's channel: chat or popup."})
    title = fields.String()
    button = fields.Nested(Button)
    sender_name = fields.String()
    statuses = fields.List(fields.String())
    operator = fields.Nested(UserRef, allow_none=True, metadata={"description": "The person who wrote a message."})
    flow = fields.Nested(FlowRef, allow_none=True, metadata={"description": "The flow that sent a message."})
    forward = fields.Nested(Forward, allow_none=True, metadata={"description": "A chat message's email forward."})
    source = fields.String(metadata={"description": "Where a reply came from: widget or email."})
    message_id = fields.Integer(allow_none=True, metadata={
        "description": "The message a reply answers; null when the contact wrote first."})
    author = fields.Nested(UserRef, allow_none=True, metadata={"description": "Who wrote a note."})


class ConversationDetail(ConversationSummary):
    items = fields.List(fields.Nested(ThreadItem), required=True, metadata={"description": "Oldest first, the latest 200."})


class ConversationListQuery(Page):
    view = fields.String(load_default=View.ALL.value, validate=validate.OneOf([view.value for view in View]))
    status = fields.String(load_default=StatusFilter.OPEN.value,
                           validate=validate.OneOf([status.value for status in StatusFilter]))
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Contact name, email or user id, or text the contact wrote (case-insensitive)."})
    contact_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class ConversationList(Schema):
    items = fields.List(fields.Nested(ConversationSummary), required=True)
    total = fields.Integer(required=True)


class ConversationCounts(Schema):
    unassigned = fields.Integer(required=True)
    mine = fields.Integer(required=True)
    all = fields.Integer(required=True)
    unread = fields.Integer(required=True, metadata={"description": "Conversations you see with unread messages."})


def _text(description: str) -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=MAX_TEXT_CHARACTERS),
                                                  validate.Regexp(r"\s*\S", error="Write something before sending.")],
                         metadata={"description": description})


class TextBody(Schema):
    body = _text("Plain text, shown as typed.")


class NewConversation(Schema):
    contact_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    body = _text("The first message, plain text.")


class ConversationChange(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in ConversationStatus]))
    snoozed_until = Timestamp(metadata={"description": "Required with status snoozed: when it opens again."})
    assignee_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "A user's id, or null for nobody."})


class StreamToken(Schema):
    token = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    stream_url = fields.String(required=True, allow_none=True, metadata={
        "description": "Where to open the stream (`GET …?token=`) when another server serves it; null: "
                       "`/inbox/stream` on this server. Server-sent events: `ready` once it listens (read the "
                       "list then), `conversation` with {conversation, item} for every change you may see."})
