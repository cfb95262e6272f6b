"""Payloads of logging in and out."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from builder_api.users.schemas import ACCESS_DESCRIPTION, NAME_DESCRIPTION
from workflow_runtime.storage.models import InboxAccess


class LoginArgs(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UserSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_login_at = fields.DateTime(allow_none=True)
    name = fields.String(allow_none=True, metadata={"description": NAME_DESCRIPTION})
    inbox_access = fields.Enum(InboxAccess, by_value=True, required=True, metadata={
        "description": ACCESS_DESCRIPTION + " A user with `assigned` cannot manage users, API tokens or the "
                                            "workspace's keys and settings."})


class SessionSchema(Schema):
    user = fields.Nested(UserSchema, required=True)
    csrf_token = fields.String(required=True, metadata={"description": "Send it as X-CSRF-Token on every write."})
