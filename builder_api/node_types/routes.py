"""`GET /api/node-types`: the palette, ports and config schemas the canvas builds from."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from builder_api.auth import require_admin
from flows import schemas
from nodes import registry
from nodes.base import Category

# Config schemas `$ref` these by `$id`; serving them alongside lets a client resolve every ref.
# The flow schema comes too: the canvas builds its flow-settings form from its `settings` definition.
SHARED_SCHEMAS = ("common.schema.json", "filter.schema.json", "flow.schema.json")

blueprint = Blueprint("node_types", __name__, description="The node catalogue: palette, ports, config schemas.")
blueprint.before_request(require_admin)


class PortSource(Schema):
    """Where the ports of a node come from when its config decides them."""

    list = fields.String(required=True, metadata={"description": "The config's array with one item per port."})
    id = fields.String(required=True, metadata={"description": "The item's field that is the port's id."})
    label = fields.String(required=True, metadata={"description": "The item's field with the port's words."})


class NodeTypeInfo(Schema):
    """One node type's declaration, as `NodeType.describe()` gives it (see nodes.base.NodeType)."""

    type = fields.String(required=True, metadata={"description": "The `type` string in the flow document."})
    label = fields.String(required=True, metadata={"description": "The palette name a marketer reads."})
    category = fields.String(required=True, validate=validate.OneOf([category.value for category in Category]),
                             metadata={"description": "The palette group."})
    description = fields.String(required=True, metadata={"description": "One sentence on what the node does."})
    ports = fields.List(fields.String(), required=True, metadata={"description": "The output ports, in display order."})
    port_labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                              metadata={"description": "The words on each of `ports`."})
    port_source = fields.Nested(PortSource, required=True, allow_none=True,
                                metadata={"description": "Where a node whose config decides its ports finds them "
                                                         "(a split's variants); null for fixed `ports`."})
    waits = fields.Boolean(required=True, metadata={"description": "True if the node can hold a run over time, which makes a loop through it safe."})
    is_entry = fields.Boolean(required=True, metadata={"description": "True for nodes that start runs; they take no incoming edge."})
    channels = fields.List(fields.String(), required=True, metadata={
        "description": "The channels its messages go out on, its own first and then its fallbacks (a popup's email)."})
    config_schema = fields.Dict(required=True, metadata={"description": "JSON Schema (2020-12) of the node's `config`."})


class NodeTypeCatalogue(Schema):
    node_types = fields.List(fields.Nested(NodeTypeInfo), required=True, metadata={"description": "Every node type, in palette order."})
    schemas = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True,
                          metadata={"description": "Shared JSON Schemas by `$id`, for the `$ref`s in config schemas."})


def node_catalogue() -> dict[str, Any]:
    """Every node type's declaration, in palette order, and the schemas their configs reference."""
    shared = [schemas.load(name) for name in SHARED_SCHEMAS]
    return {
        "node_types": [node_type.describe() for node_type in registry.all_types()],
        "schemas": {schema["$id"]: schema for schema in shared},
    }


@blueprint.get("")
@blueprint.response(200, NodeTypeCatalogue)
def list_node_types() -> dict[str, Any]:
    """Every node type's declaration, in palette order, and the schemas their configs reference."""
    return node_catalogue()
