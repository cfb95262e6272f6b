"""`GET /api/node-types`: the palette, ports and config schemas the canvas builds from."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from builder_api.auth import require_admin
from flows import schemas
from nodes import registry

# Config schemas `$ref` these by `$id`; serving them alongside lets a client resolve every ref.
# The flow schema comes too: the canvas builds its flow-settings form from its `settings` definition.
SHARED_SCHEMAS = ("common.schema.json", "filter.schema.json", "flow.schema.json")

blueprint = Blueprint("node_types", __name__, description="The node catalogue: palette, ports, config schemas.")
blueprint.before_request(require_admin)


class NodeTypeCatalogue(Schema):
    node_types = fields.List(fields.Dict(), required=True, metadata={"description": "Every node type, in palette order."})
    schemas = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True,
                          metadata={"description": "Shared JSON Schemas by `$id`, for the `$ref`s in config schemas."})


@blueprint.get("")
@blueprint.response(200, NodeTypeCatalogue)
def list_node_types() -> dict[str, Any]:
    """Every node type's declaration, in palette order, and the schemas their configs reference."""
    shared = [schemas.load(name) for name in SHARED_SCHEMAS]
    return {
        "node_types": [node_type.describe() for node_type in registry.all_types()],
        "schemas": {schema["$id"]: schema for schema in shared},
    }
