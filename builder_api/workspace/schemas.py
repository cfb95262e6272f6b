"""What the workspace endpoints answer and read: the install snippet, the keys, the email settings."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from workflow_runtime.storage.models import KeyName


class IdentityExampleSchema(Schema):
    language = fields.String(required=True, metadata={"description": "python, node or php."})
    code = fields.String(required=True)


class InstallSchema(Schema):
    snippet = fields.String(required=True, metadata={"description": "The HTML to paste before </body> on every page."})
    script_url = fields.String(required=True)
    write_key = fields.String(required=True, metadata={"description": "The public site key in force."})
    identify_snippet = fields.String(required=True, metadata={
        "description": "How a page tells the widget who the signed-in user is, with the hash the backend computed."})
    identity_examples = fields.List(fields.Nested(IdentityExampleSchema), required=True, metadata={
        "description": "Server-side code computing context.user_hash = hex HMAC-SHA256(identity secret, userId)."})
    require_user_hash = fields.Boolean(required=True, metadata={
        "description": "AUTOMAP_REQUIRE_USER_HASH: every site-key call naming a userId must carry a valid hash."})


class WorkspaceKeySchema(Schema):
    name = fields.Enum(KeyName, by_value=True, required=True)
    label = fields.String(required=True)
    secret = fields.Boolean(required=True, metadata={"description": "False for the site key, which is in every page."})
    value = fields.String(allow_none=True, required=True, metadata={
        "description": "The key itself for the public site key; null for a secret (GET …/keys/<name> reveals it)."})
    masked = fields.String(required=True, metadata={"description": "The key with all but its last 4 characters hidden."})
    pinned_by = fields.String(allow_none=True, required=True, metadata={
        "description": "The environment variable that sets the key: then only the deployment can rotate it."})
    rotated_at = fields.DateTime(allow_none=True, required=True)
    previous_valid_until = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "Until when the key before the last rotation is still accepted (null: it no longer is)."})


class WorkspaceKeyListSchema(Schema):
    items = fields.List(fields.Nested(WorkspaceKeySchema), required=True)
    grace_hours = fields.Integer(required=True, metadata={"description": "How long a rotated key's predecessor works."})


class RevealedKeySchema(Schema):
    name = fields.Enum(KeyName, by_value=True, required=True)
    value = fields.String(required=True)


class EmailStatusSchema(Schema):
    configured = fields.Boolean(required=True, metadata={"description": "Whether AUTOMAP_SMTP_URL names a server."})
    host = fields.String(allow_none=True, required=True)
    port = fields.Integer(allow_none=True, required=True)
    username = fields.String(allow_none=True, required=True, metadata={"description": "Never the password."})
    encryption = fields.String(required=True, validate=validate.OneOf(["none", "starttls", "tls"]))
    mail_from = fields.String(required=True, metadata={"description": "AUTOMAP_MAIL_FROM, the sender address."})
    inbound_domain = fields.String(required=True, metadata={
        "description": "AUTOMAP_INBOUND_DOMAIN, where answers to forwarded chat messages are sent (reply+…@)."})
    problem = fields.String(allow_none=True, required=True, metadata={
        "description": "Why AUTOMAP_SMTP_URL cannot be used, when it is set but malformed."})


class TestEmailRequestSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))


class TestEmailSentSchema(Schema):
    sent_to = fields.String(required=True)
