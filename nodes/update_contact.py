"""Update contact: sets or clears properties and tags on the contact's card."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.schemas import ref
from nodes.base import Category, NodeType
from nodes.execution import Go, Outcome, StepContext
from nodes.registry import register

_TAGS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string", "minLength": 1, "maxLength": 100}}


@register
class UpdateContact(NodeType):
    """Changes the contact's properties or tags."""

    type = "update_contact"
    label = "Update contact"
    category = Category.ACTION
    description = "Sets or clears properties and adds or removes tags on the contact."
    ports = ("next",)
    config_schema = {
        "type": "object",
        "description": "Give at least one change.",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "set": {
                "title": "Set properties",
                "type": "object",
                "minProperties": 1,
                "propertyNames": ref("common.schema.json", "property_path"),
                "examples": [{"plan": "pro", "address.city": "Berlin"}],
            },
            "unset": {
                "title": "Clear properties",
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": ref("common.schema.json", "property_path"),
            },
            "add_tags": {**_TAGS, "title": "Add tags"},
            "remove_tags": {**_TAGS, "title": "Remove tags"},
        },
        "examples": [{"set": {"lifecycle": "customer"}, "add_tags": ["paid"]}],
    }

    @classmethod
    def execute(cls, ctx: StepContext, config: Mapping[str, Any]) -> Outcome:
        """Set and unset properties, add and remove tags."""
        ctx.update_contact(
            config.get("set", {}), config.get("unset", []), config.get("add_tags", []), config.get("remove_tags", [])
        )
        return Go("next")
