"""Payloads of logging in and out."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class LoginArgs(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_login_at = fields.DateTime(allow_none=True)


class SessionSchema(Schema):
    user = fields.Nested(UserSchema, required=True)
    csrf_token = fields.String(required=True, metadata={"description": "Send it as X-CSRF-Token on every write."})
