"""What the user endpoints answer and read: people who log in to the builder."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from workflow_runtime.storage.models import InboxAccess

INBOX_ACCESS = [access.value for access in InboxAccess]
NAME_DESCRIPTION = "How visitors see the user's chat messages (null: the team's name; never the email address)."
ACCESS_DESCRIPTION = ("Which inbox conversations the user sees: `all`, or `assigned` (the unassigned ones and "
                      "their own).")


class UserAccountSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_login_at = fields.DateTime(allow_none=True, required=True)
    disabled_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When the user was disabled (they can no longer log in); null while they can."})
    is_you = fields.Boolean(required=True, metadata={"description": "The user this browser is logged in as."})
    name = fields.String(required=True, allow_none=True, metadata={"description": NAME_DESCRIPTION})
    inbox_access = fields.String(required=True, validate=validate.OneOf(INBOX_ACCESS),
                                 metadata={"description": ACCESS_DESCRIPTION})


class UserAccountListSchema(Schema):
    items = fields.List(fields.Nested(UserAccountSchema), required=True)


class NewUserSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "At least 8 characters."})


class NewPasswordSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "At least 8 characters."})


class UserChangeSchema(Schema):
    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": NAME_DESCRIPTION})
    inbox_access = fields.String(validate=validate.OneOf(INBOX_ACCESS), metadata={"description": ACCESS_DESCRIPTION})
