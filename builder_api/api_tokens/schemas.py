"""What the API token endpoints answer and read: bearer tokens for scripts calling /api."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class ApiTokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The token's first characters, to tell it apart."})
    created_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True, required=True,
                                 metadata={"description": "When it stopped working; null while it works."})


class ApiTokenListSchema(Schema):
    items = fields.List(fields.Nested(ApiTokenSchema), required=True)


class NewApiTokenRequestSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "Who or what uses the token, e.g. 'nightly export'."})


class NewApiTokenSchema(Schema):
    token = fields.Nested(ApiTokenSchema, required=True)
    secret = fields.String(required=True, metadata={
        "description": "The token itself, for `Authorization: Bearer …`: shown this once, only its hash is kept."})
