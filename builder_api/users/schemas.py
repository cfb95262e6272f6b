"""What the user endpoints answer and read: people who log in to the builder."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class UserAccountSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_login_at = fields.DateTime(allow_none=True, required=True)
    disabled_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When the user was disabled (they can no longer log in); null while they can."})
    is_you = fields.Boolean(required=True, metadata={"description": "The user this browser is logged in as."})


class UserAccountListSchema(Schema):
    items = fields.List(fields.Nested(UserAccountSchema), required=True)


class NewUserSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "At least 8 characters."})


class NewPasswordSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "At least 8 characters."})
