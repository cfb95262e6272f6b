"""What the inbound-mail webhook answers, and how its request body is described in OpenAPI."""
from __future__ import annotations

from marshmallow import Schema, fields

from builder_api.widget.schemas import ConversationItem
from workflow_runtime.channels.inbound_email import MAX_EMAIL_BYTES

RAW_EMAIL = {"type": "string", "format": "binary",
             "description": "The whole email as received (RFC 822 / MIME), headers and body."}
REQUEST_BODY = {
    "required": True,
    "description": (
        "The raw email, in one of two shapes. `message/rfc822`: the body is the email itself (SES through "
        "S3/SNS, a relay's own script); the envelope recipient may be given as `?recipient=`. A form "
        "(`multipart/form-data` or `application/x-www-form-urlencoded`): the email in `body-mime` (Mailgun's "
        "routes forwarding to a URL ending in `mime`) or `email` (SendGrid Inbound Parse with \"POST the raw, "
        "full MIME message\"), the envelope recipient in `recipient` (Mailgun) or `envelope` (SendGrid's JSON "
        "with `to`). Without an envelope recipient the To, Cc and Delivered-To headers are searched for the "
        f"`reply+…@` address. At most {MAX_EMAIL_BYTES // (1024 * 1024)} MB."
    ),
    "content": {
        "message/rfc822": {"schema": RAW_EMAIL},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "body-mime": RAW_EMAIL, "email": RAW_EMAIL,
            "recipient": {"type": "string", "description": "The envelope recipient (Mailgun)."},
            "envelope": {"type": "string", "description": "SendGrid's envelope JSON: {\"to\": [...], \"from\": ...}."},
        }}},
    },
}


class InboundReply(Schema):
    """The answer as it now stands in the conversation."""

    contact_id = fields.Integer(required=True)
    message_id = fields.Integer(required=True, metadata={"description": "The chat message it answers."})
    duplicate = fields.Boolean(required=True, metadata={
        "description": "True if this email (by its Message-ID) was received before: nothing new was stored."})
    reply = fields.Nested(ConversationItem, required=True)
