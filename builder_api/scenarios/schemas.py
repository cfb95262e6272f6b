"""Answers of the scenarios gallery."""
from __future__ import annotations

from marshmallow import Schema, fields


class PreviewNodeSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True)
    position = fields.Dict(allow_none=True, metadata={"description": "{x, y} on the canvas, when the scenario has it."})


class ScenarioPreviewSchema(Schema):
    nodes = fields.List(fields.Nested(PreviewNodeSchema), required=True)
    edges = fields.List(fields.Dict(), required=True)


class ScenarioSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    node_count = fields.Integer(required=True)
    preview = fields.Nested(ScenarioPreviewSchema, required=True)


class ScenarioListSchema(Schema):
    scenarios = fields.List(fields.Nested(ScenarioSchema), required=True)
