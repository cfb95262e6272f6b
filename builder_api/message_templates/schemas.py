"""HTTP payloads of `/api/message-templates`."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from builder_api.ids import MAX_ID
from workflow_runtime.authoring.message_templates import LibraryEntry
from workflow_runtime.storage.models.message_template import TemplateChannel

SAMPLE = ("Sample data for the placeholders; when left out, a built-in contact with only an email address, "
          "so every `default(…)` fallback shows.")
CONTACT_ID = "Render for this real contact instead of the sample contact (the sample's event still applies)."


class FlowUseSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class MessageTemplateSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    channel = fields.Enum(TemplateChannel, by_value=True, required=True,
                          metadata={"description": "email (MJML body), chat or popup (text body)."})
    subject = fields.String(load_default="", validate=validate.Length(max=500),
                            metadata={"description": "The email subject; `{{ name }}` and other placeholders allowed."})
    body = fields.String(required=True, validate=validate.Length(min=1),
                         metadata={"description": "MJML for email, text for chat and popups; with placeholders."})
    version = fields.Integer(dump_only=True, metadata={"description": "Grows by one on every edit."})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    used_by = fields.List(fields.Nested(FlowUseSchema), dump_only=True, metadata={
        "description": "The flows whose draft or a published version sends this template, by name; while any does, "
                       "it cannot be deleted."})

    @pre_dump
    def _flatten(self, entry: LibraryEntry, **_: Any) -> dict[str, Any]:
        """The template's own fields beside the flows that use it."""
        own = {key: getattr(entry.template, key) for key in self.dump_fields if key != "used_by"}
        return {**own, "used_by": entry.used_by}


class MessageTemplateUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    subject = fields.String(validate=validate.Length(max=500))
    body = fields.String(validate=validate.Length(min=1))


class MessageTemplateListSchema(Schema):
    message_templates = fields.List(fields.Nested(MessageTemplateSchema), required=True)


class MessageTemplateQuerySchema(Schema):
    channel = fields.Enum(TemplateChannel, by_value=True, metadata={"description": "Only this channel's."})


class SampleSchema(Schema):
    contact = fields.Dict(keys=fields.String(), metadata={"description": "Contact fields and properties."})
    event = fields.Dict(keys=fields.String(), metadata={"description": "The trigger event's properties."})


class PreviewRequestSchema(Schema):
    sample = fields.Nested(SampleSchema, metadata={"description": SAMPLE})
    contact_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": CONTACT_ID})


class MessagePreviewRequestSchema(PreviewRequestSchema):
    channel = fields.Enum(TemplateChannel, by_value=True, required=True)
    content = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "The send node's fields: an email's subject, preheader and MJML body; a chat message's "
                       "body; a popup's title, body and button."})


class MessageTemplatePreviewSchema(Schema):
    subject = fields.String(required=True)
    html = fields.String(required=True)
    text = fields.String(required=True)


class MessagePreviewSchema(Schema):
    content = fields.Dict(required=True, metadata={
        "description": "The fields with every text filled in: a chat message's or popup's content, an email's "
                       "subject and preheader."})
    html = fields.String(allow_none=True, metadata={"description": "An email's HTML as the inbox shows it, links untracked."})
    text = fields.String(allow_none=True, metadata={"description": "An email's plain-text part."})


class TestSendRequestSchema(Schema):
    email = fields.Email(required=True, metadata={"description": "Where to send the test email."})
    sample = fields.Nested(SampleSchema, metadata={"description": SAMPLE})


class TestSendSchema(Schema):
    sent_to = fields.String(required=True)
