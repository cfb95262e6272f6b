"""Paging query strings, and bounds for numbers clients send, so the database never sees one it cannot hold."""
from marshmallow import Schema, fields, validate

MAX_OFFSET = 2**31 - 1  # PostgreSQL's OFFSET takes a bigint; no list is anywhere near this long
MAX_PAGE = 500


class Page(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))
